/** Taking in one extract file: read and map it as a stream, store every record, keep every reject. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import type pg from 'pg';
import { DEFAULT_MAPPING_FILES, loadMapping, readAndMap } from '../../adapters/mapping/index.js';
import type { Counts } from './store.js';
import { createIntake, ingestItems, interruptAbandoned } from './ingest.js';

export function mappingFileFor(system: string, given: string | undefined): string {
  if (given) return given;
  const shipped = (DEFAULT_MAPPING_FILES as Record<string, string>)[system];
  if (!shipped) throw new Error(`no shipped mapping for system "${system}": give one with --mapping FILE (see docs/mapping-files.md)`);
  return shipped;
}

// Larger than a push batch: fewer statements and commits per record; two batches in memory at a time stay small.
const FILE_BATCH = 2_000;

export interface IngestFileOptions {
  /** The mapping file; the shipped one for the system when not given. */
  mapping?: string;
  /** In each batch's transaction, before it commits, with the ids of new current versions. */
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>;
  /** Bytes of the file read so far, and the counts. */
  onProgress?: (bytes: number, counts: Counts) => void;
  /** The day relative dates are read against (YYYY-MM-DD); today when not given. */
  today?: string;
}

export async function ingestFile(pool: pg.Pool, system: string, file: string, options: IngestFileOptions = {}): Promise<{ intakeId: number; counts: Counts }> {
  const mapping = await loadMapping(mappingFileFor(system, options.mapping));
  const source = { system, channel: 'file' as const, fileName: path.basename(file), rawFormat: mapping.reader.kind };
  // Earlier intakes whose process was killed are closed as interrupted rather than left running for ever.
  await interruptAbandoned(pool);
  const intakeId = await createIntake(pool, source);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const items = readAndMap(mapping, createReadStream(file).pipe(counter), { today: options.today ?? new Date().toISOString().slice(0, 10) }, { path: path.basename(file) });
  const counts = await ingestItems(pool, intakeId, source, items, {
    batchSize: FILE_BATCH,
    ...(options.onAccepted ? { onAccepted: options.onAccepted } : {}),
    onProgress: (c) => options.onProgress?.(bytes, c),
  });
  return { intakeId, counts };
}
