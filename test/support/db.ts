/**
 * A fresh, migrated database per test file on the run's PostgreSQL. `pool`
 * and `url` are the owner's (set-up, tampering, schema checks); `appPool`
 * and `appUrl` are the application role's, as the hub itself connects.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import '../../src/db/types.js';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  appUrl: string;
  appPool: pg.Pool;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminUrl');
}

export function databaseUrl(name: string, login: 'owner' | 'app' = 'owner'): string {
  const url = new URL(login === 'app' ? inject('appUrl') : adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `hub_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  // A migrated database is a copy of the run's template (global-setup.ts), which every migration and grant went into once.
  await admin.query(options.migrate === false ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  await admin.end();
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  const appUrl = databaseUrl(name, 'app');
  // Made on first use only: most files never open it.
  let appPool: pg.Pool | null = null;
  return {
    url,
    pool,
    appUrl,
    get appPool() {
      appPool ??= new pg.Pool({ connectionString: appUrl, max: 8 });
      return appPool;
    },
    async drop() {
      await pool.end();
      await appPool?.end();
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      // pool.end() resolves before its backends have gone; forcing them out then sends their clients an unhandled FATAL.
      for (let i = 0; i < 50; i++) {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0]!.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
