import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openEmbedded } from '../../../src/db/embedded.js';

const answers = async (url: string): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one === 1;
  } finally {
    await client.end();
  }
};

const settings = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

describe('the embedded PostgreSQL', () => {
  it('is reached over a Unix socket in its cluster directory, and still listens on 127.0.0.1 for other tools', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hub-sock-'));
    const server = await openEmbedded({ dataDir: dir, settings });
    try {
      const url = new URL(server.url);
      expect(url.searchParams.get('host')).toBe(path.join(dir, 'pg'));
      expect(await answers(server.url)).toBe(true);
      expect(await answers(server.appUrl)).toBe(true);
      url.search = '';
      url.hostname = '127.0.0.1';
      expect(await answers(url.toString())).toBe(true);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('falls back to TCP when the data directory is too deep for a socket path', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'hub-deep-'));
    const dir = path.join(base, 'a-directory-name-long-enough'.repeat(4));
    const server = await openEmbedded({ dataDir: dir, settings });
    try {
      const url = new URL(server.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.searchParams.has('host')).toBe(false);
      expect(await answers(server.url)).toBe(true);
    } finally {
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);
});
