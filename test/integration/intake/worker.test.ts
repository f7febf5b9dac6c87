/**
 * A file's reading, mapping and preparing in a worker thread stores exactly
 * what the same work in the ingesting thread stores: the same records, raw
 * text, hashes, positions and rejects; and a worker's failure fails the intake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRevenuesFile, type RevenuesFile } from '../../../bench/intake.js';
import { DEFAULT_MAPPING_FILES, loadDefaultMapping } from '../../../adapters/mapping/index.js';
import { ingestFile, prepareFile, prepareFileInWorker, type PreparedBatch, type PrepareJob } from '../../../src/intake/ingest-file.js';
import { intakeById } from '../../../src/intake/queries.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

describe('file intake in a worker thread', () => {
  let db: TestDatabase;
  let file: RevenuesFile;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-worker-'));
  const extract = path.join(dir, 'revenues.csv');
  beforeAll(async () => {
    db = await createTestDatabase();
    file = await writeRevenuesFile(extract, 4_500);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (intakeId: number) => ({
    records: (await db.pool.query(
      `SELECT source_ref, version, current, encode(content_hash, 'hex') AS hash, record, raw, raw_format, position, source_updated_at, closed
         FROM source_record WHERE intake_id = $1 ORDER BY source_ref, version`, [intakeId])).rows,
    rejects: (await db.pool.query(`SELECT position, field, rule, reason, raw FROM source_reject WHERE intake_id = $1 ORDER BY id`, [intakeId])).rows,
  });

  it('stores the same as the ingesting thread, batch after batch', { timeout: 120_000 }, async () => {
    const here = await ingestFile(db.pool, 'revenues', extract, { worker: false, today: '2026-11-30' });
    expect(here.counts).toMatchObject({ accepted: file.records, rejected: file.rejects });
    const a = await stored(here.intakeId);
    // Stored afresh, not found unchanged.
    await db.pool.query(`DELETE FROM source_record`);
    const progress: number[] = [];
    const inWorker = await ingestFile(db.pool, 'revenues', extract, { worker: true, today: '2026-11-30', onProgress: (bytes) => progress.push(bytes) });
    expect(inWorker.counts).toEqual(here.counts);
    // Several batches of FILE_BATCH, each reported with the bytes read so far.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const b = await stored(inWorker.intakeId);
    expect(b.records).toHaveLength(file.records);
    expect(b.records).toEqual(a.records);
    expect(b.rejects).toEqual(a.rejects);
  });

  it('hands the rest of the file over to the worker after the batches prepared here, at any point', { timeout: 120_000 }, async () => {
    const mapping = await loadDefaultMapping('revenues');
    const job: PrepareJob = {
      file: extract, mappingFile: DEFAULT_MAPPING_FILES.revenues, today: '2026-11-30', intakeId: 1, batchSize: 500,
      source: { system: 'revenues', channel: 'file', fileName: 'revenues.csv', rawFormat: 'csv' },
    };
    const all = async (batches: AsyncIterable<PreparedBatch>) => {
      const out: PreparedBatch[] = [];
      for await (const batch of batches) out.push(batch);
      return out;
    };
    const here = await all(prepareFile(job, mapping));
    expect(here.length).toBeGreaterThan(10);
    for (const handOverAfter of [0, 1, 7]) {
      const mixed = await all(prepareFileInWorker(job, mapping, { handOverAfter }));
      expect(mixed.map((b) => b.records)).toEqual(here.map((b) => b.records));
      expect(mixed.flatMap((b) => b.items)).toEqual(here.flatMap((b) => b.items));
      // The prepared COPY rows, handed over from the worker without copying, are the same bytes.
      expect(mixed.map((b) => Buffer.from(b.rows).toString())).toEqual(here.map((b) => Buffer.from(b.rows).toString()));
    }
  });

  it('fails the intake with the worker\'s error', async () => {
    const missing = path.join(dir, 'missing.csv');
    await expect(ingestFile(db.pool, 'revenues', missing, { worker: true })).rejects.toThrow(/ENOENT/);
    const last = (await db.pool.query<{ id: number }>(`SELECT max(id) AS id FROM intake`)).rows[0]!.id;
    expect(await intakeById(db.pool, last)).toMatchObject({ status: 'failed', read: 0 });
  });
});
