/**
 * `hub gazetteer import` stopped with Ctrl-C: the import records itself
 * interrupted on a database still open, then the command exits 130. A second
 * Ctrl-C while that cleanup waits ends the command at once, with 130 too: it
 * used to meet no listener and kill the process outright, skipping the exit
 * that stops an embedded PostgreSQL the command started.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../support/db.js';
import { SAME_SIGNAL_MS } from '../../../src/signals.js';
import { exited, ROOT, start } from '../../support/process.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES } from '../../support/tiny-council.js';
import { scratchFiles, tinyGazetteerDatabase } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-cli-stop-');
const file = scratch.file;
const full = (date: string) => abpFile([...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))], 'F', { processDate: date });

describe('hub gazetteer import stopped with Ctrl-C', () => {
  let db: TestDatabase;
  const waitingOn = async (query: string) =>
    (await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, [query],
    )).rows[0]!.n > 0;
  const until = async (done: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 1500 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    if (!(await done())) throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    db = await tinyGazetteerDatabase(scratch);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  /** The command importing `date`'s supply, held at its swap by a reader of the live gazetteer. */
  const blocked = async (date: string, reader: pg.Client) => {
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM gazetteer.blpu');
    const command = start('src/cli/main.ts', ['gazetteer', 'import', '--no-progress', file(`AddressBasePremium_FULL_${date}_001.csv`, full(date))], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
    let stderr = '';
    command.stderr.on('data', (d: Buffer) => (stderr += d));
    await until(() => waitingOn('DROP SCHEMA gazetteer_old%'), 'the import to wait at its swap');
    return { command, stderr: () => stderr };
  };

  it('records the import interrupted before the database closes, and exits 130', async () => {
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      const { command, stderr } = await blocked('2026-02-01', reader);
      command.kill('SIGINT');
      expect(await exited(command)).toBe(130);
      expect(stderr()).toMatch(/^\ninterrupted\nimport \d+ interrupted, nothing was applied \(the gazetteer is unchanged\)\n$/);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    expect((await db.pool.query(`SELECT status FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows).toEqual([{ status: 'interrupted' }]);
  });

  it('under `npm run hub`, takes a terminal\'s Ctrl-C and npm\'s copy of it for one: the import is recorded interrupted', async () => {
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM gazetteer.blpu');
      const date = '2026-02-03';
      // Its own process group, as a terminal's foreground job: the group's signal reaches npm and the command alike.
      const npm = spawn('npm', ['run', '--silent', 'hub', '--', 'gazetteer', 'import', '--no-progress', file(`AddressBasePremium_FULL_${date}_001.csv`, full(date))], {
        cwd: ROOT, detached: true, env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
      });
      let stderr = '';
      npm.stderr.on('data', (d: Buffer) => (stderr += d));
      const code = exited(npm);
      await until(() => waitingOn('DROP SCHEMA gazetteer_old%'), 'the import to wait at its swap');
      process.kill(-npm.pid!, 'SIGINT');
      // npm itself dies of the signal; its stderr closes once the command, which holds it too, has exited.
      await code;
      expect(stderr).toMatch(/^\ninterrupted\nimport \d+ interrupted, nothing was applied \(the gazetteer is unchanged\)\n$/);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    expect((await db.pool.query(`SELECT status FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows).toEqual([{ status: 'interrupted' }]);
  }, 60_000);

  it('ends at once with 130 on a second Ctrl-C while the first one\'s cleanup waits', async () => {
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      const { command } = await blocked('2026-02-02', reader);
      // The import's own row, locked: recording it interrupted waits.
      await reader.query(`SELECT id FROM gazetteer_import WHERE status = 'running' FOR UPDATE`);
      command.kill('SIGINT');
      await until(() => waitingOn('%UPDATE gazetteer_import SET finished_at%'), 'the cleanup to wait');
      // An operator's second Ctrl-C, not npm's copy of the first (src/signals.ts).
      await new Promise((resolve) => setTimeout(resolve, SAME_SIGNAL_MS + 50));
      expect(command.exitCode).toBeNull();
      command.kill('SIGINT');
      expect(await exited(command)).toBe(130);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
  });
});
