/** Schema migrations with node-pg-migrate; plain SQL files in ./migrations. */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';
import { grantAppRole } from './roles.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
const TABLE = 'pgmigrations';

/**
 * Applies pending migrations as the owner at `url`; then, given the
 * application's role, grants it what it may have on every table there is
 * now (src/db/roles.ts), migrations applied or not.
 */
export async function migrate(url: string, options: { appRole?: string | null } = {}): Promise<string[]> {
  const applied = await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: TABLE,
    count: Infinity,
    advisoryLockMode: 'wait',
    log: () => undefined,
  });
  if (options.appRole) await grantAppRole(url, options.appRole);
  return applied.map((m) => m.name);
}

export async function migrationNames(): Promise<string[]> {
  const files = await fs.readdir(MIGRATIONS_DIR);
  return files.filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
}

/** Migrations present in the code but not yet applied to the database. */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const wanted = await migrationNames();
  const { rows } = await pool.query<{ name: string }>(
    `SELECT name FROM ${TABLE} WHERE name = ANY($1::text[])`,
    [wanted],
  ).catch(() => ({ rows: [] as { name: string }[] }));
  const done = new Set(rows.map((r) => r.name));
  return wanted.filter((name) => !done.has(name));
}
