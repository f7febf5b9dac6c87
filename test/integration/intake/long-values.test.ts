/**
 * One record with a very long value must not stop the others: intake rejects
 * it naming field and rule, and records stored before intake did (or values
 * intake lets through) cannot fail address matching or linkage for their
 * whole batch, since every key those index is bounded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { matchSourceRecords } from '../../../src/addresses/records.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { linkAll, linkSourceRecords } from '../../../src/linkage/batch.js';
import { loadPrepareTables, openLinkage } from '../../../src/linkage/context.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createLogger } from '../../../src/logging.js';
import { logJobFailure, startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { tinyAbp } from '../../support/tiny-council.js';
import { population, sourceRecord, store } from '../linkage/people.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Letters that do not repeat, as PostgreSQL would compress a repeated one into a key small enough to index. */
function letters(n: number, seed = 1): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += String.fromCharCode(65 + (x % 26));
  }
  return out;
}

describe('very long values', () => {
  let hub: TestHub;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-long-'));
  beforeAll(async () => {
    hub = await createTestHub();
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(hub.db.url, [file]);
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a pushed record with a 20,000-character forename naming field and rule, and takes in the rest of the batch', async () => {
    const key = await hub.keyFor('source-system', 'Social Care System', ['social-care']);
    const steward = await hub.keyFor('steward', 'Data Team');
    const client = (id: string, given: string) => ({ clientId: id, name: { given, family: 'LONGFELLOW' }, birthDate: '1970-01-02' });
    const response = await hub.app.inject({
      method: 'POST', url: '/v1/sources/social-care/records',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify([client('QT1', 'ANN'), client('QT2', 'Q'.repeat(20_000)), client('QT3', 'BEN')]),
    });
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 3, accepted: 2, rejected: 1 });
    const rejects = await hub.app.inject({ url: `/v1/sources/social-care/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    const listed = (rejects.json() as { rejects: { position: { index: number }; field: string; rule: string; reason: string }[] }).rejects;
    expect(listed).toEqual([expect.objectContaining({ position: expect.objectContaining({ index: 1 }), field: 'name.given', rule: 'too-long', reason: 'at most 200 characters' })]);
    const stored = (await hub.db.pool.query<{ source_ref: string }>(`SELECT source_ref FROM source_record WHERE system = 'social-care' ORDER BY 1`)).rows;
    expect(stored.map((r) => r.source_ref)).toEqual(['QT1', 'QT3']);
  });

  it('matches and links a batch holding a record stored with very long values, as one stored before intake bounded them', async () => {
    await store(hub.db.pool, population(11, 60));
    const tables = await loadPrepareTables();
    await trainFromDatabase(hub.db.pool, tables, { seed: 5 });
    const ctx = await openLinkage(hub.db.pool, { tables });
    await linkAll(ctx);
    const person = { system: 'housing', surname: 'LONGMAN', dob: '1980-03-04', lines: ['2 MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' };
    // A surrogate pair straddling the cut: a key cut inside it would be JSON PostgreSQL refuses.
    const long = `A${'\u{1F600}'.repeat(150)}${letters(20_000, 2)}`;
    const ids = await store(hub.db.pool, [
      sourceRecord({ ...person, ref: 'LV1', forenames: ['ANN'] }),
      sourceRecord({
        ...person, ref: 'LV2', forenames: [long], surname: `LONGMAN${letters(20_000, 3)}`, lines: [letters(20_000, 4), long],
        postcode: letters(20_000, 5), email: `${letters(20_000, 6).toLowerCase()}@example.org`, phone: letters(20_000, 7),
      }),
      sourceRecord({ ...person, ref: 'LV3', forenames: ['BEN'] }),
    ]);
    expect(ids).toHaveLength(3);
    const matched = await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), ids);
    expect(matched.noAddress).toBe(0);
    await linkSourceRecords(ctx, ids);
    const linked = (await hub.db.pool.query<{ source_ref: string }>(`SELECT source_ref FROM citizen_link WHERE system = 'housing' AND source_ref LIKE 'LV%' AND ended_at IS NULL ORDER BY 1`)).rows;
    expect(linked.map((r) => r.source_ref)).toEqual(['LV1', 'LV2', 'LV3']);
    // The whole run goes through too (`hub linkage run`).
    await expect(linkAll(ctx, { relink: true })).resolves.toBeDefined();
  }, 180_000);

  it('writes a failed pipeline job to the log with its queue, id, attempt and error, without the value a data exception quotes', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
    let queue: Queue | null = null;
    try {
      queue = await startQueue(hub.db.url, {
        workers: true, log: () => undefined, onFailure: logJobFailure(createLogger('info', sink)),
        jobs: [{ name: 'pipeline.test-fails', retryLimit: 1, retryDelaySeconds: 0, async handler() { await hub.db.pool.query('SELECT $1::date', ['ZEBEDEE']); } }],
      });
      const jobId = await queue.boss.send('pipeline.test-fails', { ids: [1] });
      for (let i = 0; i < 120 && lines.length < 2; i++) await sleep(250);
      const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(entries).toEqual([
        expect.objectContaining({ level: 50, queue: 'pipeline.test-fails', jobId, attempt: 1, attempts: 2, code: '22007', msg: 'job failed: retried after a backoff' }),
        expect.objectContaining({ level: 50, queue: 'pipeline.test-fails', jobId, attempt: 2, attempts: 2, code: '22007', msg: 'job failed for the last time: dead-lettered' }),
      ]);
      expect(entries[0]!.error).toBe('invalid input syntax for type date: [redacted]');
      expect(lines.join('\n')).not.toMatch(/ZEBEDEE/);
    } finally {
      await queue?.stop(5000);
    }
  }, 60_000);
});
