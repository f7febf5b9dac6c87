/**
 * One real PostgreSQL for the whole test run: DATABASE_URL's server when set,
 * otherwise an embedded one of its own under .data/test-PID (fsync off:
 * throw-away data, removed afterwards), so that runs side by side never share
 * or stop each other's server.
 * Each test file makes its own database on it (test/support/db.ts). The
 * application role (src/db/roles.ts) exists once per server; each test
 * database grants it what the hub's migrate grants.
 */
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { APP_ROLE, ensureLoginRole } from '../../src/db/roles.js';

let server: EmbeddedServer | null = null;
let dataDir: string | null = null;

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    /** The application role's login, to the postgres database (db.ts swaps the database). */
    appUrl: string;
    /** A database with every migration applied, copied for each test file. */
    templateDatabase: string;
  }
}

/** The same login to another database (the query, e.g. a socket directory, kept). */
function inDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env.DATABASE_URL;
  let appUrl: string;
  if (adminUrl) {
    const password = randomBytes(18).toString('base64url');
    await ensureLoginRole(adminUrl, APP_ROLE, password, true);
    const url = new URL(adminUrl);
    url.username = APP_ROLE;
    url.password = password;
    appUrl = url.toString();
  } else {
    dataDir = path.resolve(`.data/test-${process.pid}`);
    server = await openEmbedded({
      dataDir,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    adminUrl = inDatabase(server.url, 'postgres');
    appUrl = inDatabase(server.appUrl, 'postgres');
  }
  // Migrated once: each test file's database is a copy of it, instead of running every migration again.
  const template = `hub_template_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await migrate(inDatabase(adminUrl, template), { appRole: APP_ROLE });
  project.provide('adminUrl', adminUrl);
  project.provide('appUrl', appUrl);
  project.provide('templateDatabase', template);
  const owner = adminUrl;
  return async () => {
    if (!server) {
      const client = new pg.Client({ connectionString: owner });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await client.end();
    }
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
