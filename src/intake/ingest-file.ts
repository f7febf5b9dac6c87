/**
 * Taking in one extract file: read and map it as a stream (in a worker thread
 * for a large file), store every record, keep every reject.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import type pg from 'pg';
import { DEFAULT_MAPPING_FILES, loadMapping, readAndMapEach, type Mapping } from '../../adapters/mapping/index.js';
import { closeAbsent, type Closing, type FullExtract } from './close-absent.js';
import { createIntake, ingestPrepared, intakeItem, interruptAbandoned, type IntakeSource } from './ingest.js';
import { ItemPreparer, type Counts, type PreparedItems } from './store.js';
import type { MappingFiles } from './systems.js';
import { startWorker } from '../worker-thread.js';
import { londonDate } from '../policy/decide.js';

/** The mapping file given, else the system's (the shipped one, or MAPPING_FILES's: mappingFilesOf). */
export function mappingFileFor(system: string, given: string | undefined, files: MappingFiles = DEFAULT_MAPPING_FILES): string {
  if (given) return given;
  const file = Object.hasOwn(files, system) ? files[system] : undefined;
  if (!file) throw new Error(`no mapping for system "${system}": give one with --mapping FILE, or name it in MAPPING_FILES (see docs/mapping-files.md)`);
  return file;
}

// Larger than a push batch: fewer statements and commits per record; the batches in memory at a time stay small.
const FILE_BATCH = 2_000;
// Below this a worker thread's start (loading the mapping code again) costs more than it saves.
const WORKER_MIN_BYTES = 1024 * 1024;
// Sessions storing each batch side by side, split by source ref (see ingestPrepared). One: on this 2-core machine two
// cost PostgreSQL about 18 µs more CPU a row (probably the two backends inserting into the same index pages) for no faster intake
// (200,000 rows, load 6-7: 3,718 / 3,566 rows/s with one, 3,788 / 3,431 with two). Worth measuring with spare cores.
const FILE_LANES = 1;
// Batches the worker may prepare ahead of the one being stored: enough to keep both threads busy, few enough for flat memory.
const AHEAD = 2;

export interface IngestFileOptions {
  /** The mapping file; the shipped one for the system when not given. */
  mapping?: string;
  /** In each batch's transaction, before it commits, with the ids of new current versions. */
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>;
  /** Bytes of the file read so far, and the counts. */
  onProgress?: (bytes: number, counts: Counts) => void;
  /** The day relative dates are read against (YYYY-MM-DD); today when not given. */
  today?: string;
  /** Read, map and prepare in a worker thread (default: for files of 1 MiB or more). */
  worker?: boolean;
  /** The file is a full extract: records of the system it lacks are closed (see close-absent.ts). */
  full?: FullExtract;
  /**
   * When the source made the file (ISO 8601), not in the future: the
   * intake's source time, which orders the versions of records without an
   * update time of their own (see storePrepared), and a full extract's time
   * of making (see close-absent.ts). The intake's start when not given.
   */
  extractedAt?: string;
}

/** What the file's reading needs, as plain data for a worker thread. */
export interface PrepareJob {
  file: string;
  mappingFile: string;
  today: string;
  intakeId: number;
  source: IntakeSource;
  batchSize: number;
}

export interface PreparedBatch extends PreparedItems {
  /** Bytes of the file read so far. */
  bytes: number;
  /** Read records (records and unreadable ones) of the file prepared so far, this batch's included. */
  records: number;
}

/** Worker to main thread: ready for work, a batch, the end of the file, or what went wrong. */
export type PrepareMessage = { ready: true } | PreparedBatch | { done: true } | { error: string };
/** Main thread to worker: start after the read records prepared here, or prepare one more batch. */
export type PrepareCommand = { skip: number } | 'more';

/**
 * Reads, maps and prepares the file in this thread, batch by batch, from
 * the read record `skip` on. A batch ends with a read record's last item.
 */
export async function* prepareFile(job: PrepareJob, mapping?: Mapping, skip = 0): AsyncGenerator<PreparedBatch> {
  const loaded = mapping ?? await loadMapping(job.mappingFile);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // pipeline, not pipe: a file that cannot be read fails the reading instead of leaving it waiting.
  const input = pipeline(createReadStream(job.file), counter, () => undefined);
  const mapped = readAndMapEach(loaded, input, { today: job.today }, { path: path.basename(job.file) }, skip);
  let records = skip;
  const batch = new ItemPreparer(job.intakeId, job.source.system);
  for await (const each of mapped) {
    records++;
    for (const item of each) batch.add(intakeItem(item, job.source));
    if (batch.length >= job.batchSize) yield { ...batch.take(), bytes, records };
  }
  if (batch.length > 0) yield { ...batch.take(), bytes, records };
}

// Packages the worker's code imports (see startWorker).
const PRELOADED = ['typebox', 'typebox/compile', 'typebox/value', 'libphonenumber-js', 'yaml', 'fast-xml-parser', 'csv-parse/sync', 'iconv-lite', 'postcode', 'pg-copy-streams'];

/**
 * prepareFile in a worker thread, AHEAD batches ahead of the caller: parsing
 * and mapping (most of an intake's CPU) then run beside the database writes
 * instead of between them. A worker takes seconds to load the mapping code,
 * so until it is ready the file is prepared here, and the worker goes on
 * after the read records done here; should it fail to start, this thread
 * prepares the whole file. The worker goes when the caller stops reading.
 */
export async function* prepareFileInWorker(job: PrepareJob, mapping: Mapping, options: { handOverAfter?: number } = {}): AsyncGenerator<PreparedBatch> {
  // At most this many batches here, then wait for the worker (tests hand over at a known point this way).
  const handOverAfter = options.handOverAfter ?? Infinity;
  const worker = startWorker(new URL('./prepare-worker.ts', import.meta.url), job, PRELOADED);
  const queue: Exclude<PrepareMessage, { ready: true }>[] = [];
  let ready = false;
  let failure: Error | null = null;
  let exited = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (message: PrepareMessage) => {
    if ('ready' in message) ready = true;
    else queue.push(message);
    notify();
  });
  worker.on('error', (error) => {
    failure = error;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  const command = (c: PrepareCommand) => worker.postMessage(c);
  try {
    let records = 0;
    const here = prepareFile(job, mapping);
    try {
      for (let batches = 0; ; batches++) {
        if (batches >= handOverAfter) while (!ready && failure === null) await new Promise<void>((resolve) => (wake = resolve));
        if (ready && failure === null) break;
        const next = await here.next();
        if (next.done) return;
        records = next.value.records;
        yield next.value;
      }
    } finally {
      await here.return(undefined);
    }
    command({ skip: records });
    for (let i = 0; i < AHEAD; i++) command('more');
    for (;;) {
      while (queue.length === 0 && failure === null && !exited) await new Promise<void>((resolve) => (wake = resolve));
      const message = queue.shift();
      if (!message) throw failure ?? new Error('the intake worker stopped before the end of the file');
      if ('error' in message) throw new Error(message.error);
      if ('done' in message) return;
      command('more');
      yield message;
    }
  } finally {
    await worker.terminate();
  }
}

/** An empty extract file, refused before anything is taken in. */
export function emptyFile(file: string): Error {
  return new Error(`${file} is empty (0 bytes): nothing was taken in; an empty extract is most likely a failed transfer`);
}

export async function ingestFile(
  pool: pg.Pool, system: string, file: string, options: IngestFileOptions = {},
): Promise<{ intakeId: number; counts: Counts; closing: Closing | null }> {
  const mappingFile = mappingFileFor(system, options.mapping);
  const mapping = await loadMapping(mappingFile);
  const fileName = path.basename(file);
  const { extractedAt } = options;
  if (extractedAt !== undefined && !(Date.parse(extractedAt) <= Date.now())) {
    throw new Error(`the extract cannot have been made at ${extractedAt}: that is ${Number.isNaN(Date.parse(extractedAt)) ? 'not a date-time' : 'in the future'}`);
  }
  const source: IntakeSource = {
    system, channel: 'file', fileName, rawFormat: mapping.reader.kind, fullExtract: options.full !== undefined, ...(extractedAt !== undefined ? { extractedAt } : {}),
  };
  // A file that cannot be read fails as the intake's reading does, in this thread.
  const size = await stat(file).then((s) => s.size, () => null);
  // An empty nightly extract is most often a transfer that failed: said, not taken in as a night without changes.
  if (size === 0) throw emptyFile(file);
  // Earlier intakes whose process was killed are closed as interrupted rather than left running for ever.
  await interruptAbandoned(pool);
  const intakeId = await createIntake(pool, source);
  const job: PrepareJob = { file, mappingFile, today: options.today ?? londonDate(new Date()), intakeId, source, batchSize: FILE_BATCH };
  const prepared = (options.worker ?? (size ?? 0) >= WORKER_MIN_BYTES) ? prepareFileInWorker(job, mapping) : prepareFile(job, mapping);
  let bytes = 0;
  // The source refs a full extract holds: the records it lacks are closed once it has all been stored.
  const present = options.full ? new Set<string>() : null;
  async function* batches(): AsyncGenerator<PreparedItems> {
    for await (const batch of prepared) {
      bytes = batch.bytes;
      if (present) for (const item of batch.items) if (item.kind === 'record') present.add(item.sourceRef);
      yield batch;
    }
  }
  let closing: Closing | null = null;
  const full = options.full;
  const counts = await ingestPrepared(pool, intakeId, source, batches(), {
    lanes: FILE_LANES,
    ...(options.onAccepted ? { onAccepted: options.onAccepted } : {}),
    onProgress: (c) => options.onProgress?.(bytes, c),
    ...(full && present ? {
      beforeFinish: async (session: pg.PoolClient, c: Counts) => {
        closing = await closeAbsent(session, { id: intakeId, system, fileName }, present, c, full, options.onAccepted);
      },
    } : {}),
  });
  return { intakeId, counts, closing };
}
