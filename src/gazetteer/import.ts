/**
 * `hub gazetteer import`: FULL supplies are loaded into a new schema and
 * swapped in whole, so a crash or a bad file leaves the previous gazetteer
 * serving; the change-only files of one command are staged, then applied in
 * order in one transaction (src/gazetteer/apply-changes.ts), and record the
 * UPRNs they touched for re-matching. A file out of its supply's order, or a
 * supply with a volume missing, is refused (src/gazetteer/supply.ts). An
 * import stopped (options.signal, Ctrl-C in the CLI) drops what it staged and
 * marks itself interrupted; one whose process died is so marked by the next.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import pg from 'pg';
import { readGazetteer, type GazetteerEvent, type HeaderEvent, type RecordEvent } from '../../adapters/gazetteer/read.js';
import { GazetteerTally } from '../../adapters/gazetteer/tally.js';
import { guardPool } from '../db/pool-guard.js';
import '../db/types.js';
import { applyStagedChanges, type ChangeRule } from './apply-changes.js';
import { CopyWriter } from './copy-writer.js';
import * as sql from './sql.js';
import { checkOrder, checkVolumes, insertFileValues, insertFiles, loadedSupply, placeOf, type SupplyFile, type SupplyPlace } from './supply.js';
import { RECORD_TYPES, rowOf, TABLES, type RecordType } from './tables.js';

export interface ImportProgress {
  bytes: number;
  totalBytes: number;
  records: number;
}

export interface Reject {
  file: string;
  line: number;
  reason: string;
  /** A change-only record refused for what the gazetteer holds: its type, key as written, and the rule it broke. */
  recordType?: RecordType;
  key?: string;
  rule?: ChangeRule | 'duplicate-key';
}

const RULE_TEXT: Record<ChangeRule, string> = {
  'insert-of-existing-record': 'an insert of a key the gazetteer already holds, refused: the record held is kept',
  'update-of-missing-record': 'an update of a key the gazetteer does not hold, applied as an insert: a record the supplier had rejected, reinstated, or a supply missed',
  'delete-of-missing-record': 'a delete of a key the gazetteer does not hold',
  'lpi-of-missing-blpu': 'an address of a UPRN that has no BLPU, neither held nor in the supply, refused: a BS 7666 address belongs to a BLPU',
};

/** How many records without a BLPU a FULL supply names with their lines; the count covers them all. */
const MAX_ORPHAN_DETAILS = 1000;
/** How many keys given more than once a FULL supply names with their lines; the count covers them all. */
const MAX_DUPLICATE_DETAILS = 1000;

export interface ImportSummary {
  importId: number;
  fileType: 'FULL' | 'COU';
  formats: string[];
  /** Records loaded, per BS 7666 record type. */
  records: Record<string, number>;
  /** Records of types the hub does not use, per type: counted, not loaded. */
  skipped: Record<string, number>;
  rejects: Reject[];
  addresses: number;
  touched: Record<'inserted' | 'updated' | 'deleted' | 'retired', number>;
  seconds: number;
}

export class GazetteerImportError extends Error {
  constructor(
    message: string,
    readonly summary: Omit<ImportSummary, 'seconds'> | null,
    /** The supply was committed before the failure (only recording the import failed): the gazetteer did change. */
    readonly applied = false,
  ) {
    super(message);
    this.name = 'GazetteerImportError';
  }
}

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Load files dated before the supply already loaded: an operator going back on purpose. */
  allowOlder?: boolean;
  /**
   * Stops the import (the CLI's Ctrl-C): the statement in progress is cancelled, what was staged dropped, and the
   * import recorded as interrupted, unless the supply was applied already.
   */
  signal?: AbortSignal;
}

const INTERRUPTED = 'interrupted before it finished: nothing was applied';
const interrupted = () => new GazetteerImportError(INTERRUPTED, null);
const checkStopped = (options: ImportOptions) => {
  if (options.signal?.aborted) throw interrupted();
};

/** Only one import at a time: both kinds write gazetteer_next or the live tables. */
const IMPORT_LOCK = 7_666_001;
/** Keys, indexes and statistics of a FULL build go two at a time: most of an index build is one core's work. */
const DDL_CONNECTIONS = 2;

interface FileRead {
  path: string;
  name: string;
  format: string;
  fileType: 'FULL' | 'COU';
  header: HeaderEvent;
  place: SupplyPlace;
  events: AsyncGenerator<GazetteerEvent>;
}

/** A file read to its end: its trailer's NEXT_VOLUME_NUMBER is known. */
type ReadFile = SupplyFile & { nextVolume: number | null };

async function openFile(file: string, counter: Transform): Promise<FileRead> {
  const name = path.basename(file);
  const events = readGazetteer(createReadStream(file, { highWaterMark: 1 << 20 }).pipe(counter), { fileName: name });
  let first: IteratorResult<GazetteerEvent>;
  try {
    first = await events.next();
  } catch (error) {
    throw new GazetteerImportError(`${name}: ${(error as Error).message}`, null);
  }
  if (first.done || first.value.kind !== 'header') throw new GazetteerImportError(`${name}: not a gazetteer file`, null);
  const header = first.value;
  return { path: file, name, format: header.format, fileType: header.fileType, header, place: placeOf(header.header, name), events };
}

function emptySummary(importId: number, fileType: 'FULL' | 'COU'): Omit<ImportSummary, 'seconds'> {
  return { importId, fileType, formats: [], records: {}, skipped: {}, rejects: [], addresses: 0, touched: { inserted: 0, updated: 0, deleted: 0, retired: 0 } };
}

/**
 * Imports gazetteer files into the database at `url`. The import has its own
 * connections: one per record type being copied, plus one holding the lock.
 */
export async function importGazetteer(url: string, files: string[], options: ImportOptions = {}): Promise<ImportSummary> {
  // Its own name, so that stopping it cancels its statements and no other session's (an import waiting for the lock, say).
  const name = `hub gazetteer import ${randomBytes(6).toString('hex')}`;
  // A lost connection fails the import's next statement, and with it the import.
  const pool = guardPool(new pg.Pool({ connectionString: url, max: RECORD_TYPES.length + 3, application_name: name }), () => undefined);
  try {
    return await importWith(pool, name, files, options);
  } finally {
    await pool.end();
  }
}

async function importWith(pool: pg.Pool, name: string, files: string[], options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const totalBytes = (await Promise.all(files.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0);
  const progress: ImportProgress = { bytes: 0, totalBytes, records: 0 };
  const counter = () =>
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        progress.bytes += chunk.length;
        done(null, chunk);
      },
    });
  const lock = await pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [IMPORT_LOCK]);
    // Holding the lock, no other import runs: a row still running, or a staging schema, was left by a process that died.
    await lock.query(sql.interruptAbandoned);
    for (const schema of [sql.NEXT, sql.CHANGES]) await lock.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const opened: FileRead[] = [];
    for (const file of files) opened.push(await openFile(file, counter()));
    const kinds = new Set(opened.map((f) => f.fileType));
    if (kinds.size > 1) throw new GazetteerImportError('FULL and change-only files cannot be imported in one command: import the FULL supply first', null);
    const fileType = opened[0]!.fileType;
    const importId = (await pool.query<{ id: number }>(sql.insertImport, [opened.map((f) => f.name), [...new Set(opened.map((f) => f.format))].join(','), fileType])).rows[0]!.id;
    const summary = emptySummary(importId, fileType);
    summary.formats = [...new Set(opened.map((f) => f.format))];
    let committed = false;
    // Stopped, the statements in progress are cancelled (an index build can take minutes); cleaning up waits for that.
    let cancelling: Promise<unknown> = Promise.resolve();
    const cancel = () => {
      if (!committed) cancelling = lock.query(sql.cancelImportStatements, [name]).catch(() => undefined);
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      checkStopped(options);
      await pool.query(insertFiles, insertFileValues(importId, opened));
      const loaded = await loadedSupply(pool);
      checkOrder(opened, loaded, options.allowOlder ?? false);
      // Volumes are checked once every trailer has been read, before anything is swapped in or committed.
      const allRead = (read: ReadFile[]) => checkVolumes(read, loaded);
      if (fileType === 'FULL') await loadFull(pool, opened, summary, progress, options, allRead);
      else await applyChanges(pool, opened, summary, progress, options, allRead);
      committed = true;
      await cancelling;
      await pool.query(sql.finishImport, [importId, 'applied', { records: summary.records, skipped: summary.skipped, addresses: summary.addresses, touched: summary.touched }, JSON.stringify(summary.rejects), null]);
      return { ...summary, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Committed: the supply is live, and only its record failed; saying it failed would be untrue.
      if (committed) throw new GazetteerImportError(`the supply was applied, but recording import ${importId} failed: ${message}`, summary, true);
      if (options.signal?.aborted) {
        await cancelling;
        // Dropped on the way out already, unless the cancel caught that statement too.
        for (const schema of [sql.NEXT, sql.CHANGES]) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
        await pool.query(sql.finishImport, [importId, 'interrupted', { records: summary.records, skipped: summary.skipped }, '[]', INTERRUPTED]);
        throw new GazetteerImportError(INTERRUPTED, summary);
      }
      await pool.query(sql.finishImport, [importId, 'failed', { records: summary.records, skipped: summary.skipped }, JSON.stringify(summary.rejects.slice(0, 1000)), message]);
      throw new GazetteerImportError(message, summary);
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [IMPORT_LOCK]).catch(() => undefined);
    lock.release();
  }
}

/**
 * Reads one file's events, handing records to `onRecord`; counts skipped
 * types, keeps rejects, and checks the trailer's record count. Throws when
 * the file had rejects or is truncated, after reading it all, so that every
 * problem is reported at once.
 */
async function readAll(
  file: FileRead, summary: Omit<ImportSummary, 'seconds'>, progress: ImportProgress, options: ImportOptions,
  onRecord: (e: RecordEvent, withdrawn: boolean) => Promise<void>,
  onRejectedBlpu?: (uprn: number) => void,
): Promise<GazetteerTally> {
  const tally = new GazetteerTally();
  tally.add(file.header);
  let lastReport = 0;
  for await (const event of file.events) {
    if (options.signal?.aborted) throw interrupted();
    tally.add(event);
    if (event.kind === 'record') {
      progress.records++;
      summary.records[event.record.type] = (summary.records[event.record.type] ?? 0) + 1;
      await onRecord(event, false);
    } else if (event.kind === 'skipped' && event.withdrawn && file.fileType === 'COU') {
      // A change to rejected (status 9): what the hub held under that key must go, not stay current.
      summary.records[event.recordType] = (summary.records[event.recordType] ?? 0) + 1;
      await onRecord({ kind: 'record', record: event.withdrawn, line: event.line, derived: false }, true);
    } else if (event.kind === 'skipped') {
      summary.skipped[event.recordType] = (summary.skipped[event.recordType] ?? 0) + 1;
      if (event.withdrawn?.type === 21) onRejectedBlpu?.(event.withdrawn.data.uprn);
    } else if (event.kind === 'reject') {
      summary.rejects.push({ file: file.name, line: event.line, reason: event.reason });
    }
    if (options.onProgress && progress.records - lastReport >= 5000) {
      lastReport = progress.records;
      options.onProgress(progress);
    }
  }
  options.onProgress?.(progress);
  checkStopped(options);
  if (tally.rejectCount > 0) {
    const first = tally.rejects[0]!;
    throw new GazetteerImportError(`${file.name}: ${tally.rejectCount} malformed line(s), the first at line ${first.line}: ${first.reason}`, null);
  }
  if (tally.trailerMissing) throw new GazetteerImportError(`${file.name}: no trailer record (99): the file is truncated`, null);
  // A split supply's trailer file counts the records of all its files: checked once they are all read.
  if (file.format !== 'abp-split' && tally.trailerMismatch) {
    throw new GazetteerImportError(`${file.name}: the trailer says ${tally.trailerCount} records but the file has ${tally.dataLines}`, null);
  }
  return tally;
}

function checkSplitTrailer(files: FileRead[], tallies: GazetteerTally[]): void {
  const split = tallies.filter((_t, i) => files[i]!.format === 'abp-split');
  const trailer = split.find((t) => t.trailerCount !== null);
  if (!trailer) return;
  const lines = split.reduce((n, t) => n + t.dataLines, 0);
  if (trailer.trailerCount !== lines) {
    throw new GazetteerImportError(`the trailer says ${trailer.trailerCount} records but the split files have ${lines}`, null);
  }
}

async function loadFull(pool: pg.Pool, files: FileRead[], summary: Omit<ImportSummary, 'seconds'>, progress: ImportProgress, options: ImportOptions, allRead: (files: ReadFile[]) => void): Promise<void> {
  for (const statement of sql.createNextSchema()) await pool.query(statement);
  const writer = new CopyWriter(pool, sql.NEXT);
  try {
    const tallies: GazetteerTally[] = [];
    const read: ReadFile[] = [];
    const rejectedBlpus: number[] = [];
    for (const file of files) {
      const tally = await readAll(file, summary, progress, options, async (event) => {
        if (event.record.change !== 'I') {
          summary.rejects.push({ file: file.name, line: event.line, reason: `record type ${event.record.type}: change type ${event.record.change} in a FULL supply` });
          return;
        }
        await writer.write(event.record);
      }, (uprn) => rejectedBlpus.push(uprn));
      tallies.push(tally);
      read.push({ ...file, nextVolume: tally.nextVolume });
    }
    checkSplitTrailer(files, tallies);
    allRead(read);
    if (summary.rejects.length > 0) throw new GazetteerImportError(`${summary.rejects.length} record(s) with a change type other than I in a FULL supply`, null);
    await writer.finish();
    await refuseOrphans(pool, files, summary, rejectedBlpus);
  } catch (error) {
    await writer.abort();
    await pool.query(`DROP SCHEMA IF EXISTS ${sql.NEXT} CASCADE`).catch(() => undefined);
    throw error;
  }
  const clients = await Promise.all(Array.from({ length: DDL_CONNECTIONS }, () => pool.connect()));
  const client = clients[0]!;
  try {
    for (const c of clients) await c.query(`SET maintenance_work_mem = '512MB'`);
    const ddl = (await client.query<{ ddl: string }>(sql.LIVE_INDEX_DEFINITIONS)).rows.map((r) => r.ddl);
    const derived = (d: string) => sql.DERIVED_TABLES.some((t) => d.includes(`${sql.NEXT}.${t} `));
    try {
      await runAll(clients, ddl.filter((d) => !derived(d)), options);
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code === UNIQUE_VIOLATION) await refuseDuplicates(client, files, summary, error.table);
      throw new GazetteerImportError(`the supply breaks a key of the gazetteer (${(error as Error).message}): nothing was changed`, null);
    }
    checkStopped(options);
    await client.query(sql.buildIndex(sql.NEXT), [null]);
    checkStopped(options);
    await client.query(sql.buildWords(sql.NEXT), [null]);
    await runAll(clients, [...ddl.filter(derived), ...sql.ALL_TABLES.map((t) => sql.analyse(sql.NEXT, t))], options);
    summary.addresses = (await client.query<{ n: number }>(sql.countRows(sql.NEXT, 'address_index'))).rows[0]!.n;
    checkStopped(options);
    await client.query('BEGIN');
    const touched = await client.query<{ change: 'deleted' | 'retired'; n: number }>(sql.touchedByFull, [summary.importId]);
    for (const { change, n } of touched.rows) summary.touched[change] = n;
    for (const statement of sql.swapSchemas) await client.query(statement);
    checkStopped(options);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.query(`DROP SCHEMA IF EXISTS ${sql.NEXT} CASCADE`).catch(() => undefined);
    throw error;
  } finally {
    for (const c of clients) c.release();
  }
}

/**
 * A FULL supply whose LPIs name a UPRN it has no BLPU for is refused whole,
 * as one that breaks a key is: a BS 7666 address belongs to a BLPU, and a
 * supply with many such (a split supply without its BLPU file) would
 * otherwise be swapped in with its addresses gone from the index. The LPIs
 * of a BLPU the supply marks rejected (DTF status 9) are not counted: they
 * follow their BLPU, as in a change-only file. The lines of (at most)
 * MAX_ORPHAN_DETAILS of them are found by reading the files again, which
 * only a refused supply costs.
 */
async function refuseOrphans(pool: pg.Pool, files: FileRead[], summary: Omit<ImportSummary, 'seconds'>, rejectedBlpus: number[]): Promise<void> {
  const orphans = (await pool.query<{ n: number; lpi_key: string; uprn: number }>(sql.orphanLpis(sql.NEXT), [rejectedBlpus, MAX_ORPHAN_DETAILS])).rows;
  if (orphans.length === 0) return;
  const uprnOf = new Map(orphans.map((o) => [o.lpi_key, Number(o.uprn)]));
  for (const file of files) {
    for await (const event of readGazetteer(createReadStream(file.path, { highWaterMark: 1 << 20 }), { fileName: file.name })) {
      if (event.kind !== 'record' || event.record.type !== 24) continue;
      const uprn = uprnOf.get(event.record.data.lpiKey);
      if (uprn === undefined) continue;
      uprnOf.delete(event.record.data.lpiKey);
      const key = `LPI_KEY ${event.record.data.lpiKey}`;
      const reason = `record 24 ${key}: lpi-of-missing-blpu (UPRN ${uprn}: an address of a UPRN that has no BLPU in the supply)`;
      summary.rejects.push({ file: file.name, line: event.line, reason, recordType: 24, key, rule: 'lpi-of-missing-blpu' });
    }
  }
  const n = orphans[0]!.n;
  const first = summary.rejects[0];
  // Past MAX_ORPHAN_DETAILS the ones listed are not necessarily the first in the files.
  const where = first ? `, ${n <= MAX_ORPHAN_DETAILS ? 'the first' : 'one'} at ${first.file} line ${first.line}` : '';
  throw new GazetteerImportError(`${n} address record(s) (LPI) of a UPRN with no BLPU in the supply${where}: a FULL supply must hold the BLPU of every address`, null);
}

const UNIQUE_VIOLATION = '23505';

/**
 * A FULL supply that gives a key more than once fails where the table's key
 * is built, after the load, and PostgreSQL names only the index. The keys
 * given more than once are found in the table that failed (`table`, as the
 * error names it), and their lines by reading the files again, which only
 * a refused supply costs: nothing is added to the load. Each line giving
 * one is a reject; at most MAX_DUPLICATE_DETAILS keys are listed.
 */
async function refuseDuplicates(client: pg.PoolClient, files: FileRead[], summary: Omit<ImportSummary, 'seconds'>, table: string | undefined): Promise<void> {
  const entry = Object.entries(TABLES).find(([, spec]) => spec.table === table);
  if (!entry) return;
  const type = Number(entry[0]) as RecordType;
  const spec = entry[1];
  const rows = (await client.query<Record<string, unknown> & { keys: number; n: number }>(sql.duplicateKeys(sql.NEXT, spec.table, spec.key), [MAX_DUPLICATE_DETAILS])).rows;
  if (rows.length === 0) return;
  const keyText = (value: (column: string) => unknown) => spec.key.map((k) => `${k.toUpperCase()} ${String(value(k))}`).join(' ');
  const times = new Map(rows.map((r) => [keyText((k) => r[k]), r.n]));
  const at = spec.key.map((k) => spec.columns.indexOf(k));
  const lines = new Map<string, { file: string; line: number }[]>();
  for (const file of files) {
    for await (const event of readGazetteer(createReadStream(file.path, { highWaterMark: 1 << 20 }), { fileName: file.name })) {
      if (event.kind !== 'record' || event.record.type !== type) continue;
      const row = rowOf(event.record);
      const key = keyText((k) => row[at[spec.key.indexOf(k)]!]);
      const n = times.get(key);
      if (n === undefined) continue;
      const reason = `record ${type} ${key}: duplicate-key (given ${n} times in the supply; a FULL supply holds one record per key)`;
      summary.rejects.push({ file: file.name, line: event.line, reason, recordType: type, key, rule: 'duplicate-key' });
      lines.set(key, [...(lines.get(key) ?? []), { file: file.name, line: event.line }]);
    }
  }
  // Files are read in order: the first key met is the one given first.
  const [key, places] = [...lines][0] ?? [keyText((k) => rows[0]![k]), []];
  const n = rows[0]!.keys;
  const what = n === 1 ? `1 key of record ${type} (${spec.table}) given more than once,` : `${n} keys of record ${type} (${spec.table}) given more than once, the first`;
  throw new GazetteerImportError(`the supply breaks a key of the gazetteer: ${what} ${key}${places.length > 0 ? ` at ${where(places)}` : ''}: nothing was changed`, null);
}

/** `A.csv lines 4, 9 and B.csv line 2`. */
function where(places: { file: string; line: number }[]): string {
  const byFile = new Map<string, number[]>();
  for (const p of places) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p.line]);
  return [...byFile].map(([file, lines]) => `${file} line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}`).join(' and ');
}

/**
 * Runs independent statements (each on one table of the next schema) on
 * several connections at once; after the first failure, or once the import
 * is stopped, no more are started.
 */
async function runAll(clients: pg.PoolClient[], statements: string[], options: ImportOptions): Promise<void> {
  const queue = [...statements];
  let failure: unknown = null;
  await Promise.all(clients.map(async (c) => {
    for (let s = queue.shift(); s !== undefined && failure === null; s = queue.shift()) {
      if (options.signal?.aborted) failure ??= interrupted();
      else await c.query(s).catch((error: unknown) => (failure ??= error));
    }
  }));
  if (failure !== null) throw failure;
}

/**
 * The change-only files of one command are applied in one transaction: they
 * are the volumes (or days) of one run, and a bad later file must not leave
 * the earlier ones applied behind an import recorded as failed. Their
 * records are first copied, in file order, into scratch tables, so that
 * applying them and refusing those that do not fit the gazetteer are a few
 * statements per table rather than a round trip per record.
 */
async function applyChanges(pool: pg.Pool, files: FileRead[], summary: Omit<ImportSummary, 'seconds'>, progress: ImportProgress, options: ImportOptions, allRead: (files: ReadFile[]) => void): Promise<void> {
  for (const statement of sql.createChangeSchema()) await pool.query(statement);
  try {
    const writer = new CopyWriter(pool, sql.CHANGES, sql.CHANGE_COLUMNS);
    try {
      const read: ReadFile[] = [];
      let seq = 0;
      for (const [i, file] of files.entries()) {
        const tally = await readAll(file, summary, progress, options, (event, withdrawn) =>
          writer.write(event.record, [++seq, i + 1, event.line, event.record.change, withdrawn ? 't' : 'f', event.derived ? 't' : 'f']));
        read.push({ ...file, nextVolume: tally.nextVolume });
      }
      allRead(read);
      await writer.finish();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    // How many rows each table staged decides between key lookups and hash joins against the live tables.
    for (const table of sql.DATA_TABLES) await pool.query(`ANALYZE ${sql.CHANGES}.${table}`);
    checkStopped(options);
    await applyStaged(pool, files, summary, options);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${sql.CHANGES} CASCADE`).catch(() => undefined);
  }
}

async function applyStaged(pool: pg.Pool, files: FileRead[], summary: Omit<ImportSummary, 'seconds'>, options: ImportOptions): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { touched, reported } = await applyStagedChanges(client, files.map((f) => f.place.processDate));
    for (const r of reported) {
      const reason = `record ${r.recordType} ${r.key}: ${r.rule} (${r.uprn === undefined ? '' : `UPRN ${r.uprn}: `}${RULE_TEXT[r.rule]})`;
      summary.rejects.push({ file: files[r.file - 1]!.name, line: r.line, reason, recordType: r.recordType, key: r.key, rule: r.rule });
    }
    const uprns = [...touched.keys()];
    const successors = new Map(
      (await client.query<{ uprn: number; successor: number }>(sql.successorsOf(sql.LIVE), [uprns])).rows.map((r) => [r.uprn, r.successor]),
    );
    const oldWords = (await client.query<{ words: string[] }>(sql.wordsOfRows(sql.LIVE), [uprns])).rows[0]!.words;
    await client.query(sql.deleteIndexRows(sql.LIVE), [uprns]);
    await client.query(sql.buildIndex(sql.LIVE), [uprns]);
    await client.query(sql.buildWords(sql.LIVE), [uprns]);
    await client.query(sql.deleteStaleWords(sql.LIVE), [oldWords]);
    const kinds = uprns.map((u) => touched.get(u)!);
    await client.query(sql.insertTouched, [summary.importId, uprns, kinds, uprns.map((u) => successors.get(u) ?? null)]);
    for (const kind of kinds) summary.touched[kind]++;
    summary.addresses = (await client.query<{ n: number }>(sql.countRows(sql.LIVE, 'address_index'))).rows[0]!.n;
    checkStopped(options);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
