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
  it("is reached over a Unix socket in its cluster directory, still listens on 127.0.0.1 for other tools, and logs its own messages but no statement's error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hub-sock-'));
    const lines: string[] = [];
    const server = await openEmbedded({ dataDir: dir, settings, log: (line) => lines.push(line) });
    try {
      // A statement's error can carry the values it was given (personal data): none of it reaches the log.
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        await expect(client.query("SELECT 'ZEBEDEE QUIMBLEWORTH 1977-03-14'::date")).rejects.toThrow(/invalid input syntax/);
        await client.query("CREATE TEMP TABLE t (name text CHECK (name <> 'ZEBEDEE'))");
        await expect(client.query("INSERT INTO t VALUES ('ZEBEDEE')")).rejects.toThrow(/check constraint/);
        // Logged after the errors: once it is in, so would they be.
        await client.query('CHECKPOINT');
      } finally {
        await client.end();
      }
      for (let i = 0; i < 100 && !lines.some((l) => /checkpoint complete/.test(l)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(lines.some((l) => /checkpoint complete/.test(l))).toBe(true);
      expect(lines.join('\n')).not.toMatch(/ZEBEDEE|1977/);

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
