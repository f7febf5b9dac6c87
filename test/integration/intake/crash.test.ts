/**
 * The crash test of the intake issue: `hub ingest revenues FILE` is killed
 * with SIGKILL part-way through a large extract and started again on the same
 * file. Afterwards every record is stored exactly once as current, the re-run
 * made no second versions, every intake's counts reconcile, and the queued
 * pipeline jobs, once a worker has run them, leave one address match per
 * current record. The killed intake reads as interrupted at once and is
 * marked so by the re-run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRevenuesFile, type RevenuesFile } from '../../../bench/intake.js';
import { intakeById } from '../../../src/intake/queries.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { ROOT, exited, run } from '../../support/process.js';

// The issue asks for 100,000 rows; by default fewer, so that the test stays near 90 s on two shared cores
// (matching every record's address in the worker dominates). CRASH_ROWS=100000 runs the issue's size (allowing 20 minutes).
const ISSUE_ROWS = 100_000;
const ROWS = Number(process.env.CRASH_ROWS ?? 10_000);
const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('intake crash and re-run', () => {
  let db: TestDatabase;
  let file: RevenuesFile;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-crash-'));
  const extract = path.join(dir, 'revenues.csv');
  const env = (): Record<string, string> => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', HUB_DEMO: 'false' });
  const one = async (sql: string): Promise<number> => (await db.pool.query<{ n: number }>(sql)).rows[0]!.n;

  beforeAll(async () => {
    if (ROWS !== ISSUE_ROWS) console.warn(`crash test on ${ROWS} rows, not the issue's ${ISSUE_ROWS}, to stay near 90 s here; CRASH_ROWS=${ISSUE_ROWS} for the full size`);
    db = await createTestDatabase();
    file = await writeRevenuesFile(extract, ROWS);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every record once after a SIGKILL and a re-run; counts reconcile; queued jobs match each record once', { timeout: Math.max(300_000, ROWS * 12) }, async () => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'ingest', 'revenues', extract, '--no-progress'], {
      cwd: ROOT, env: { ...process.env, ...env() }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    // Killed once a good part, but not all, of the file is stored: in the middle of the work.
    let stored = 0;
    while (stored < file.records * 0.3) {
      if (child.exitCode !== null) throw new Error(`hub ingest finished (${child.exitCode}) before it could be killed`);
      await sleep(50);
      stored = await one(`SELECT count(*) AS n FROM source_record`).catch(() => 0);
    }
    child.kill('SIGKILL');
    await once(child, 'close');
    const afterKill = await one(`SELECT count(*) AS n FROM source_record`);
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(file.records);
    const killed = (await db.pool.query<{ id: number; status: string }>(`SELECT id, status FROM intake`)).rows;
    expect(killed).toEqual([{ id: killed[0]!.id, status: 'running' }]);
    // Its owning session is gone (once PostgreSQL has seen the connection close): it reads as interrupted.
    let shown = await intakeById(db.pool, killed[0]!.id);
    for (let i = 0; i < 100 && shown?.status === 'running'; i++) {
      await sleep(50);
      shown = await intakeById(db.pool, killed[0]!.id);
    }
    expect(shown?.status).toBe('interrupted');

    const killedAt = performance.now();
    const again = await run('src/cli/main.ts', ['ingest', 'revenues', extract, '--no-progress'], env(), 240_000);
    expect(again.stderr).not.toMatch(/citizen hub:/);
    expect(again.code).toBe(0);

    // Exactly once: one current version per distinct source ref in the file, and no second versions.
    const refs = await db.pool.query<{ current: number; refs: number; versions: number; maxVersion: number }>(
      `SELECT count(*) FILTER (WHERE current) AS current, count(DISTINCT source_ref) AS refs, count(*) AS versions, max(version) AS "maxVersion" FROM source_record`);
    expect(refs.rows[0]).toEqual({ current: file.records, refs: file.records, versions: file.records, maxVersion: 1 });

    // read = accepted + unchanged + rejected for each intake; the re-run found the killed run's records unchanged.
    const intakes = (await db.pool.query<{ id: number; status: string; read: number; accepted: number; unchanged: number; superseded: number; rejected: number }>(
      `SELECT id, status, read, accepted, unchanged, superseded, rejected FROM intake ORDER BY id`)).rows;
    expect(intakes).toHaveLength(2);
    for (const i of intakes) expect(i.read).toBe(i.accepted + i.unchanged + i.rejected);
    const [first, second] = intakes as [(typeof intakes)[0], (typeof intakes)[0]];
    // The re-run closed the killed intake for good.
    expect(first.status).toBe('interrupted');
    expect(first.accepted).toBe(afterKill);
    expect(second).toMatchObject({ status: 'done', accepted: file.records - afterKill, unchanged: afterKill, superseded: 0, rejected: file.rejects });
    expect(await one(`SELECT count(*) AS n FROM source_reject WHERE intake_id = ${second.id}`)).toBe(file.rejects);
    expect(await one(`SELECT count(*) AS n FROM source_reject WHERE intake_id = ${first.id}`)).toBe(first.rejected);

    const rerunAt = performance.now();
    // The queued jobs, run by `hub worker`: every queued record matched (or marked unmatched) once, and only current ones.
    const queued = await one(`SELECT count(DISTINCT r.id) AS n FROM pgboss.job, jsonb_array_elements_text(data->'ids') AS r (id) WHERE name = 'pipeline.match-address'`);
    const worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'worker'], { cwd: ROOT, env: { ...process.env, ...env() }, stdio: 'ignore' });
    try {
      let matched = 0;
      for (let i = 0; i < 1200 && matched < queued; i++) {
        if (worker.exitCode !== null) throw new Error(`hub worker exited ${worker.exitCode}`);
        await sleep(250);
        matched = await one(`SELECT count(*) AS n FROM address_match`);
      }
    } finally {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    const matches = await db.pool.query<{ rows: number; records: number; notCurrent: number }>(
      `SELECT count(*) AS rows, count(DISTINCT m.source_record_id) AS records, count(*) FILTER (WHERE NOT r.current) AS "notCurrent"
         FROM address_match m JOIN source_record r ON r.id = m.source_record_id`);
    expect(matches.rows[0]).toEqual({ rows: queued, records: queued, notCurrent: 0 });
    // Jobs are queued in their batch's transaction: every stored record was handed to the pipeline.
    const unqueued = file.records - queued;
    expect(unqueued).toBe(0);
    console.log(`crash test: ${ROWS} rows, ${file.records} records, ${file.rejects} rejects; killed after ${afterKill} stored; ` +
      `${queued} queued and matched, ${unqueued} not queued; ${seconds(performance.now() - started)} s ` +
      `(killed run ${seconds(killedAt - started)} s, re-run ${seconds(rerunAt - killedAt)} s, worker ${seconds(performance.now() - rerunAt)} s)`);
  });
});
