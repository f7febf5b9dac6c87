import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { migrate } from '../../../src/db/migrate.js';
import { APP_ROLE } from '../../../src/db/roles.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { ROOT, exited, run, startUntil } from '../../support/process.js';

/** The error a statement fails with, or null. */
async function failure(pool: pg.Pool, sql: string): Promise<{ code?: string; message: string } | null> {
  try {
    await pool.query(sql);
    return null;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

describe('the application role', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub();
  });
  afterAll(async () => hub.close());

  it('is neither superuser nor owner of the audit trail', async () => {
    const { rows } = await hub.db.appPool.query<{ me: string; superuser: boolean; owner: string; member: boolean }>(
      `SELECT current_user AS me, r.rolsuper AS superuser, pg_get_userbyid(c.relowner) AS owner,
              pg_has_role(current_user, c.relowner, 'USAGE') AS member
         FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'audit_log'::regclass`,
    );
    expect(rows[0]).toMatchObject({ me: APP_ROLE, superuser: false, member: false });
    expect(rows[0]!.owner).not.toBe(APP_ROLE);
  });

  it('audits a read through the app, and is refused UPDATE, DELETE and TRUNCATE of audit_log by its privileges', async () => {
    const adviser = await hub.keyFor('adviser');
    // A search that finds nobody is audited too.
    const read = await hub.app.inject({ url: '/v1/citizens?surname=SMITH', headers: { authorization: `Bearer ${adviser}`, 'x-purpose': 'contact-centre-enquiry' } });
    expect(read.statusCode).toBe(200);
    const { rows } = await hub.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0]!.n).toBe(1);
    for (const sql of ["UPDATE audit_log SET purpose = 'x'", 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      const error = await failure(hub.db.appPool, sql);
      expect(error?.code, sql).toBe('42501');
      // The privilege check, not the append-only trigger (which a superuser can disable).
      expect(error?.message, sql).toMatch(/permission denied for table audit_log/);
    }
    expect((await failure(hub.db.appPool, 'ALTER TABLE audit_log DISABLE TRIGGER USER'))?.message).toMatch(/must be owner/);
    const privileges = await hub.db.pool.query<{ p: string; ok: boolean }>(
      `SELECT p, has_table_privilege($1, c.oid, p) AS ok FROM pg_class c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
        WHERE c.relname LIKE 'audit\\_%' AND c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace ORDER BY c.relname, p`,
      [APP_ROLE],
    );
    expect(privileges.rows.length).toBeGreaterThan(0);
    for (const row of privileges.rows) expect(row.ok, row.p).toBe(row.p === 'SELECT' || row.p === 'INSERT');
  });

  it('keeps the migrations table read-only and cannot create tables', async () => {
    expect((await hub.db.appPool.query('SELECT count(*)::int AS n FROM pgmigrations')).rows[0].n).toBeGreaterThan(0);
    expect((await failure(hub.db.appPool, "DELETE FROM pgmigrations WHERE name = 'x'"))?.code).toBe('42501');
    expect((await failure(hub.db.appPool, 'CREATE TABLE public.mine (id int)'))?.code).toBe('42501');
  });

  it('gets SELECT and INSERT only on an audit table a later migration adds, and everything on other new tables and schemas', async () => {
    await hub.db.pool.query('CREATE TABLE audit_later (id int PRIMARY KEY)');
    await hub.db.pool.query('CREATE TABLE ordinary_later (id int PRIMARY KEY)');
    await hub.db.pool.query('CREATE SCHEMA swapped_in');
    await hub.db.pool.query('CREATE TABLE swapped_in.t (id int)');
    // Default privileges cover what the owner makes between grant runs ...
    await hub.db.appPool.query('INSERT INTO ordinary_later VALUES (1)');
    await hub.db.appPool.query('UPDATE ordinary_later SET id = 2');
    await hub.db.appPool.query('INSERT INTO swapped_in.t VALUES (1)');
    // ... and the run after every migration takes back what audit tables must not have.
    await migrate(hub.db.url, { appRole: APP_ROLE });
    await hub.db.appPool.query('INSERT INTO audit_later VALUES (1)');
    expect((await failure(hub.db.appPool, 'UPDATE audit_later SET id = 2'))?.message).toMatch(/permission denied/);
    expect((await failure(hub.db.appPool, 'DELETE FROM audit_later'))?.message).toMatch(/permission denied/);
    await hub.db.appPool.query('DELETE FROM ordinary_later');
  });
});

describe('DATABASE_APP_URL', () => {
  it('is read with DATABASE_URL, and refused without it or without a role', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://owner:pw@db:5432/hub', DATABASE_APP_URL: 'postgres://app:pw@db:5432/hub' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://owner:pw@db:5432/hub', databaseAppUrl: 'postgres://app:pw@db:5432/hub' });
    expect(loadConfig({}).databaseAppUrl).toBeNull();
    expect(() => loadConfig({ DATABASE_APP_URL: 'postgres://app:pw@db:5432/hub' })).toThrow(/DATABASE_APP_URL: needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://o@db/hub', DATABASE_APP_URL: 'postgres://db/hub' })).toThrow(/DATABASE_APP_URL: must name the role/);
  });
});

describe('the running hub on the embedded database', () => {
  const dataDir = mkdtempSync(path.join(ROOT, '.data', 'role-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('connects as the application role, with a password kept in DATA_DIR and never printed', async () => {
    const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', HUB_DEMO: 'false' };
    const hub = await startUntil('src/main.ts', env, /ready at (http:\/\/\S+) /);
    const password = readFileSync(path.join(dataDir, 'pg-app-password'), 'utf8').trim();
    try {
      expect((await fetch(`${hub.match[1]}/ready`)).status).toBe(200);
      const created = await run('src/cli/main.ts', ['clients', 'create', '--org', 'Role Test', '--role', 'adviser'], env);
      expect(created.code).toBe(0);
      const { port } = JSON.parse(readFileSync(path.join(dataDir, 'postgres.json'), 'utf8')) as { port: number };
      const client = new pg.Client({ connectionString: `postgres://${APP_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/hub` });
      await client.connect();
      try {
        // The hub's own sessions (API pool and pg-boss) log in as the application role.
        const { rows } = await client.query<{ usename: string }>(
          "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'hub' AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        );
        expect(rows.map((r) => r.usename)).toEqual([APP_ROLE]);
        expect((await client.query<{ n: number }>("SELECT count(*)::int AS n FROM api_client WHERE org_id IN (SELECT id FROM organisation WHERE name = 'Role Test')")).rows[0]!.n).toBe(1);
      } finally {
        await client.end();
      }
    } finally {
      hub.child.kill('SIGTERM');
    }
    expect(await exited(hub.child)).toBe(0);
    expect(hub.output()).not.toContain(password);
  }, 120_000);
});
