/**
 * A throw-away database for a benchmark: a new database in the server of
 * DATABASE_URL when set, else an embedded PostgreSQL in a temporary
 * directory (fsync off: the data is discarded after the run).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import '../src/db/types.js';
import { openEmbedded } from '../src/db/embedded.js';

export async function benchDatabase(label: string): Promise<{ url: string; close: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const name = `bench_${label}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    return { url: url.toString(), close: async () => undefined };
  }
  const dir = await mkdtemp(path.join(tmpdir(), `hub-bench-${label}-`));
  const server = await openEmbedded({ dataDir: dir, settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } });
  return { url: server.url, close: async () => { await server.stop(); await rm(dir, { recursive: true, force: true }); } };
}
