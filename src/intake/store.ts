/**
 * Stores mapped source records and rejects. Idempotent: the same content
 * for the same (system, source reference) is one record, whenever it comes
 * again; changed content becomes a new current version and the old one is
 * kept as history; a version older than the current one is kept as history
 * without displacing the current one. Older is by the source's own update
 * time where both have one (a version without one cannot be shown newer than
 * a current one that has one), and otherwise by the intakes' source times
 * (when the file was made, or the push received): so content the record had
 * before, coming back from a newer intake, is a change back, not unchanged.
 * A record the hub closed (missing from a full extract, see close-absent.ts,
 * or withdrawn by its source, see withdraw.ts) opens again when it comes
 * back, even with content it had before, unless it comes from an intake
 * older than the closing.
 */
import { hash as digest } from 'node:crypto';
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SourceRecord } from '../../schemas/source-record.js';
import { assertedSince, valueKeys, type AssertedSince } from './asserted-since.js';

/** Where a record came from: file and line, or request id and index in the batch. */
export type Position = Record<string, string | number>;

export type IntakeItem =
  | { kind: 'record'; record: SourceRecord; raw: string; rawFormat: string; position: Position }
  | { kind: 'reject'; position: Position; field: string | null; rule: string | null; reason: string; raw: string | null; sourceRef?: string | null };

/** raw_format of a version the hub made to close a record missing from a full extract. */
export const ABSENT_FORMAT = 'absent-from-full-extract';
/** raw_format of a version the hub made to close a record its source said is gone (DELETE of a pushed record). */
export const WITHDRAWN_FORMAT = 'withdrawn-by-source';
/** The raw_formats of closing versions: made by the hub, not received; a record holding one opens again when it comes back. */
export const CLOSING_FORMATS: readonly string[] = [ABSENT_FORMAT, WITHDRAWN_FORMAT];

export type Outcome = 'accepted' | 'superseded' | 'stale' | 'unchanged' | 'rejected';

export interface Counts {
  read: number;
  accepted: number;
  unchanged: number;
  superseded: number;
  /** Of the accepted, versions kept as history only: older than the current one (see storePrepared). */
  stale: number;
  rejected: number;
}

export const emptyCounts = (): Counts => ({ read: 0, accepted: 0, unchanged: 0, superseded: 0, stale: 0, rejected: 0 });

// Records come in a handful of shapes: their sorted key lists and quoted keys are worked out once
// (the hash runs for every record taken in and was the hottest intake code). Bounded, for odd input.
const CACHE_MAX = 10_000;
const sortedKeysOf = new Map<string, string[]>();
const quotedKeys = new Map<string, string>();

function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  const shape = keys.join('\u0000');
  let sorted = sortedKeysOf.get(shape);
  if (!sorted) {
    sorted = keys.sort();
    if (sortedKeysOf.size < CACHE_MAX) sortedKeysOf.set(shape, sorted);
  }
  return sorted;
}

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < CACHE_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Canonical JSON built piece by piece, for values JSON.stringify would not write canonically. */
function canonicalSlow(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    // An undefined element writes nothing, as Array.prototype.join does.
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + ((canonicalSlow(value[i]) as string | undefined) ?? '');
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of sortedKeys(object)) {
    const v = object[key];
    if (v === undefined) continue;
    out += (first ? '' : ',') + quotedKey(key) + canonicalSlow(v);
    first = false;
  }
  return `${out}}`;
}

/**
 * True when JSON.stringify(value) already writes the canonical text: plain
 * objects whose keys are in sorted order, no undefined members or elements,
 * only JSON scalars. The mapping builds records so (adapters/mapping/map.ts).
 */
function stringifiesCanonically(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object') return false;
  if (Array.isArray(value)) {
    for (const element of value as unknown[]) if (element === undefined || !stringifiesCanonically(element)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0 && !(keys[i - 1]! < key)) return false;
    const member = object[key];
    if (member === undefined || !stringifiesCanonically(member)) return false;
  }
  return true;
}

/**
 * Canonical JSON (sorted keys, undefined members left out) so that the hash
 * does not depend on key order. Checking that a record is already in that
 * form and letting JSON.stringify write it costs a fraction of writing it
 * piece by piece; the text is the same either way.
 */
export function canonical(value: unknown): string {
  return stringifiesCanonically(value) ? JSON.stringify(value) : canonicalSlow(value);
}

export function contentHash(record: SourceRecord): Buffer {
  return Buffer.from(digest('sha256', canonical(record), 'hex'), 'hex');
}

/** An intake's source time (intake.extracted_at) in microseconds since the epoch, as a bigint: exact, unlike a Date. */
const micros = (column: string): string => `(extract(epoch FROM ${column}) * 1000000)::int8`;
/**
 * Every stored version of the batch's source refs: what they already hold,
 * and a lock on them; for the current ones, their intake's source time (by
 * the intake's primary key, one lookup per current version), and on every
 * row the source time of the batch's own intake ($3), looked up once.
 */
const VERSIONS = `
  SELECT s.id, s.source_ref AS "sourceRef", s.version, s.current, s.content_hash AS "hash", s.source_updated_at AS "sourceUpdatedAt",
         s.raw_format IN (${CLOSING_FORMATS.map((f) => `'${f}'`).join(', ')}) AS closing,
         s.intake_id AS "intakeId", CASE WHEN s.current THEN (SELECT ${micros('i.extracted_at')} FROM intake i WHERE i.id = s.intake_id) END AS "madeAt",
         (SELECT ${micros('b.extracted_at')} FROM intake b WHERE b.id = $3) AS "batchMadeAt",
         CASE WHEN s.current THEN s.asserted_since END AS since, CASE WHEN s.current THEN s.received_at END AS "receivedAt"
    FROM source_record s WHERE s.system = $1 AND s.source_ref = ANY($2::text[])
   ORDER BY s.source_ref, s.version FOR UPDATE OF s`;
const RETIRE = `UPDATE source_record SET current = false WHERE id = ANY($1::bigint[])`;
// COPY, not INSERT … FROM unnest(arrays): PostgreSQL parsing the jsonb[] and text[] array literals (and pg
// building them) made the multi-row INSERT most of the time of a batch. The id is the last column, so that a row
// prepared for a new source ref (version 1, current) is copied as prepared, with just its id after it.
const COPY = `
  COPY source_record (system, source_ref, version, current, content_hash, record, raw, raw_format, intake_id, position, source_updated_at, closed, asserted_since, id)
  FROM STDIN`;
// The new versions' ids are taken from the table's identity sequence up front and written by the COPY (which, unlike
// INSERT, takes explicit values for a GENERATED ALWAYS column): no reading them back by source ref after the COPY.
const RESERVE_IDS = `
  SELECT string_agg(nextval(s.seq)::text, ',') AS ids
    FROM (SELECT pg_get_serial_sequence('source_record', 'id')::regclass AS seq) s, generate_series(1, $1)`;
const INSERT_REJECTS = `
  INSERT INTO source_reject (intake_id, system, position, field, rule, reason, raw, source_ref)
  SELECT $1, $2, r.position, r.field, r.rule, r.reason, r.raw, r.source_ref
    FROM unnest($3::jsonb[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS r (position, field, rule, reason, raw, source_ref)`;

/**
 * An item made ready to store: a record's canonical JSON hashed and its COPY
 * row already written as COPY text in its batch's buffer (see PreparedItems),
 * as for a new source ref: `start` to `end` is the row as version 1 and
 * current, `tail` to `end` its columns after (source_ref, version, current),
 * for a row whose version storing finds otherwise; the id comes last, at
 * storing. Plain data, so that a worker thread can prepare items (see
 * prepare-worker.ts) and hand their rows over without copying them.
 */
export type PreparedItem =
  | { kind: 'record'; sourceRef: string; hash: string; sourceUpdatedAt: number | null; closing: boolean; start: number; tail: number; end: number; keys: string[] }
  | { kind: 'reject'; position: string; field: string | null; rule: string | null; reason: string; raw: string | null; sourceRef: string | null };

/** A batch of prepared items of one system and intake, with the COPY text of its records in one buffer. */
export interface PreparedItems {
  /** The system the rows were written for. */
  system: string;
  items: PreparedItem[];
  /** UTF-8; its ArrayBuffer is its own (not Node's shared pool), so that it can be transferred between threads. */
  rows: Uint8Array;
}

/** Items prepared one by one, taken as batches. */
export class ItemPreparer {
  private items: PreparedItem[] = [];
  // Rows are written as each item is added: its strings die young (a batch's held until its end were promoted and
  // made most of the worker's garbage collection), and each is scanned once.
  private rows: Buffer;
  private at = 0;
  private readonly head: string;

  constructor(private readonly intakeId: number, private readonly system: string) {
    this.head = `${copyText(system)}\t`;
    this.rows = Buffer.allocUnsafeSlow(64 * 1024);
  }

  get length(): number {
    return this.items.length;
  }

  private write(text: string): void {
    // At most three bytes of UTF-8 per UTF-16 unit.
    if (this.at + text.length * 3 > this.rows.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.rows.length * 2, this.at + text.length * 3));
      this.rows.copy(grown, 0, 0, this.at);
      this.rows = grown;
    }
    this.at += this.rows.write(text, this.at);
  }

  add(item: IntakeItem): void {
    if (item.kind === 'reject') {
      this.items.push({
        kind: 'reject', position: JSON.stringify(item.position), field: item.field, rule: item.rule, reason: item.reason, raw: item.raw, sourceRef: item.sourceRef ?? null,
      });
      return;
    }
    const { record } = item;
    // The canonical text is valid JSON of the record, so it is also what is stored: one serialisation per record.
    const text = canonical(record);
    const hash = digest('sha256', text, 'hex');
    const updatedAt = record.sourceUpdatedAt ? new Date(record.sourceUpdatedAt) : null;
    const start = this.at;
    this.write(`${this.head}${copyText(record.sourceRef)}\t1\tt\t`);
    const tail = this.at;
    this.write(`\\\\x${hash}\t${copyJson(text)}\t${copyText(item.raw)}\t${copyText(item.rawFormat)}\t${this.intakeId}\t${copyJson(JSON.stringify(item.position))}`
      + `\t${updatedAt ? updatedAt.toISOString() : '\\N'}\t${record.closed ? 't' : 'f'}`);
    this.items.push({
      kind: 'record', sourceRef: record.sourceRef, hash, sourceUpdatedAt: updatedAt ? updatedAt.getTime() : null, closing: CLOSING_FORMATS.includes(item.rawFormat), start, tail, end: this.at,
      keys: valueKeys(record),
    });
  }

  /** The items added since the last take, and their rows (a buffer of their own: the next batch starts a new one). */
  take(): PreparedItems {
    const batch = { system: this.system, items: this.items, rows: this.rows.subarray(0, this.at) };
    // The next batch is likely about as large.
    this.rows = Buffer.allocUnsafeSlow(Math.max(64 * 1024, this.at + (this.at >> 3)));
    this.items = [];
    this.at = 0;
    return batch;
  }
}

/** Items ready to store under intake `intakeId`, for `system`. */
export function prepareItems(items: IntakeItem[], intakeId: number, system: string): PreparedItems {
  const preparer = new ItemPreparer(intakeId, system);
  for (const item of items) preparer.add(item);
  return preparer.take();
}

/**
 * What a source ref holds while a batch is worked out: its current version
 * (stored or about to be: its hash, its own update time, its intake's source
 * time, and whether it is a closing version the hub made, see
 * CLOSING_FORMATS) and every content hash.
 */
interface RefState {
  current: {
    id: number | null; pending: NewVersion | null; sourceUpdatedAt: number | null; madeAt: number; intakeId: number; hash: string; closing: boolean;
    /**
     * Its values' asserted-since map (null: stored before migration 061 and not backfilled) and its own time (ISO;
     * null: a version of this batch without an update time, received at this transaction's time).
     */
    since: AssertedSince | null; ownTime: string | null;
  } | null;
  maxVersion: number;
  hashes: Set<string>;
}

interface NewVersion {
  sourceRef: string;
  version: number;
  current: boolean;
  item: Extract<PreparedItem, { kind: 'record' }>;
  id: number;
  since: AssertedSince;
}

/**
 * Stores a batch of items inside the caller's transaction, with the outcome
 * of each exactly as if they were stored one by one in order (a ref twice in
 * one batch included), in five statements instead of four per record.
 * Returns, per item, the outcome and, for a new current version, its id (the
 * pipeline works on those).
 */
export async function storeItems(client: pg.PoolClient, intakeId: number, system: string, items: IntakeItem[]): Promise<{ outcome: Outcome; id: number | null }[]> {
  return storePrepared(client, intakeId, system, prepareItems(items, intakeId, system));
}

/**
 * storeItems for items already prepared for intake `intakeId`. Each record
 * is, against its source ref's current version (stored, or made current
 * earlier in the batch):
 *
 * - `accepted`: the first version of its source ref;
 * - `unchanged`: the current version's content; or content the ref held
 *   before (not by a closing version or while closed, see CLOSING_FORMATS),
 *   unless it is a change back (below);
 * - `stale` (kept as history, not current): older than the current version.
 *   Where the current version has the source's own update time: the record
 *   has none, or an earlier one. Where it has none: the record's intake has
 *   an earlier source time (intake.extracted_at: when the file was made, or
 *   the push or withdrawal received) than the current version's intake,
 *   whatever the record's own update time. A closing version is both: a
 *   record from an intake made before the closing's stays history, even
 *   with the record's last update time;
 * - `superseded` (the new current version) otherwise; content held before is
 *   a change back, superseding too, when the current version has no update
 *   time of its own and the record's intake has a later source time than
 *   its intake (A, then B, then A again from a newer file: A is current), or
 *   is that same intake (A, B, A in one file: its last row is the record's
 *   latest state, A).
 *
 * Records of one intake are taken in order, as if stored one by one. Of
 * intakes made at the same time, content held already is unchanged, as a
 * file sent again with its time is.
 */
export async function storePrepared(client: pg.PoolClient, intakeId: number, system: string, batch: PreparedItems): Promise<{ outcome: Outcome; id: number | null }[]> {
  const { items } = batch;
  const refs = new Map<string, RefState>();
  for (const item of items) if (item.kind === 'record') refs.set(item.sourceRef, { current: null, maxVersion: 0, hashes: new Set() });
  // The batch's source time: read with the stored versions; compared only with theirs (without any, every current
  // version is one made in this batch, with this same time).
  let batchMadeAt = 0;
  if (refs.size > 0) {
    const stored = await client.query<{
      id: number; sourceRef: string; version: number; current: boolean; hash: Buffer; sourceUpdatedAt: Date | null; closing: boolean; intakeId: number; madeAt: string | null; batchMadeAt: string;
      since: AssertedSince | null; receivedAt: Date | null;
    }>(VERSIONS, [system, [...refs.keys()], intakeId]);
    if (stored.rows.length > 0) batchMadeAt = Number(stored.rows[0]!.batchMadeAt);
    for (const row of stored.rows) {
      const state = refs.get(row.sourceRef)!;
      const hash = row.hash.toString('hex');
      state.maxVersion = Math.max(state.maxVersion, row.version);
      state.hashes.add(hash);
      if (row.current) {
        state.current = {
          id: row.id, pending: null, sourceUpdatedAt: row.sourceUpdatedAt?.getTime() ?? null, madeAt: Number(row.madeAt), intakeId: Number(row.intakeId), hash, closing: row.closing,
          since: row.since, ownTime: (row.sourceUpdatedAt ?? row.receivedAt!).toISOString(),
        };
      }
    }
  }

  const outcomes: { outcome: Outcome; version: NewVersion | null }[] = [];
  const retire: number[] = [];
  const versions: NewVersion[] = [];
  const rejects: Extract<PreparedItem, { kind: 'reject' }>[] = [];
  for (const item of items) {
    if (item.kind === 'reject') {
      rejects.push(item);
      outcomes.push({ outcome: 'rejected', version: null });
      continue;
    }
    const state = refs.get(item.sourceRef)!;
    const current = state.current;
    const updatedAt = item.sourceUpdatedAt;
    // Where the current version has no update time of its own, versions are ordered by their intakes' source times.
    const byIntake = current !== null && current.sourceUpdatedAt === null;
    // Content held before is unchanged, unless the hub closed the record (missing, or withdrawn: it is back) or is
    // closing it, or it comes from an intake newer than the current version's, or from the one that made it (a later
    // row of the same file): a change back.
    if (current && (item.hash === current.hash
      || (!current.closing && !item.closing && state.hashes.has(item.hash) && !(byIntake && (batchMadeAt > current.madeAt || current.intakeId === intakeId))))) {
      outcomes.push({ outcome: 'unchanged', version: null });
      continue;
    }
    // Without an update time (blank, or unreadable and warned of) a version cannot be shown newer than a current one that has one.
    // A closing version the hub made is news of its intake (the full extract's making, the withdrawal's receipt), whatever
    // the record's update times: an intake made before it cannot open the record again.
    const stale = current !== null && ((byIntake || current.closing) && batchMadeAt < current.madeAt
      || !byIntake && (updatedAt === null || updatedAt < current.sourceUpdatedAt!));
    if (current && !stale) {
      if (current.pending) current.pending.current = false;
      else if (current.id !== null) retire.push(current.id);
    }
    // A value carried from a version made earlier in this batch without an update time was asserted at this
    // transaction's time: the same as this version's own when it has none either (a null, as assertedSince carries
    // it), to be read only when it has one. A stale version is history, never current: its map is made the same way.
    if (current?.ownTime === null && updatedAt !== null) current.ownTime = (await client.query<{ now: Date }>('SELECT now()')).rows[0]!.now.toISOString();
    const since = assertedSince(item.keys, current);
    const version: NewVersion = { sourceRef: item.sourceRef, version: ++state.maxVersion, current: !stale, item, id: 0, since };
    versions.push(version);
    state.hashes.add(item.hash);
    if (!stale) {
      state.current = {
        id: null, pending: version, sourceUpdatedAt: updatedAt, madeAt: batchMadeAt, intakeId, hash: item.hash, closing: item.closing, since,
        ownTime: updatedAt !== null ? new Date(updatedAt).toISOString() : null,
      };
    }
    outcomes.push({ outcome: stale ? 'stale' : current ? 'superseded' : 'accepted', version: stale ? null : version });
  }

  // Retired first: the one-current-version index is checked row by row as the new versions go in.
  if (retire.length > 0) await client.query(RETIRE, [retire]);
  if (versions.length > 0) {
    const reserved = (await client.query<{ ids: string }>(RESERVE_IDS, [versions.length])).rows[0]!.ids.split(',');
    for (let i = 0; i < versions.length; i++) versions[i]!.id = Number(reserved[i]);
    await copyVersions(client, system, versions, batch);
  }
  if (rejects.length > 0) {
    const column = <T>(f: (r: Extract<PreparedItem, { kind: 'reject' }>) => T): T[] => rejects.map(f);
    await client.query(INSERT_REJECTS, [
      intakeId, system, column((r) => r.position), column((r) => r.field), column((r) => r.rule), column((r) => r.reason), column((r) => r.raw), column((r) => r.sourceRef),
    ]);
  }
  return outcomes.map(({ outcome, version }) => ({ outcome, id: version ? version.id : null }));
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPED = /[\\\n\r\t]/g;

/** A value in COPY's text format. */
export function copyText(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, (c) => COPY_ESCAPES[c]!) : value;
}

/** JSON text in COPY's text format: JSON.stringify writes line breaks and tabs in strings escaped, so only backslashes are left. */
function copyJson(text: string): string {
  return text.includes('\\') ? text.replaceAll('\\', '\\\\') : text;
}

// pg-copy-streams sends each write as one CopyData message: rows go in chunks (see src/gazetteer/copy-writer.ts).
const COPY_CHUNK = 256 * 1024;

/** Copies the versions' rows from the batch's prepared rows: as prepared for version 1 and current, else with their own head. */
async function copyVersions(client: pg.PoolClient, system: string, versions: NewVersion[], batch: PreparedItems): Promise<void> {
  const stream = client.query(copyFrom(COPY));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  const { rows } = batch;
  const source = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  const head = `${copyText(system)}\t`;
  const headBytes = Buffer.byteLength(head);
  // Rows prepared for another system (not done by the intake) are all written with their own head.
  const asPrepared = batch.system === system;
  let chunk = Buffer.allocUnsafe(COPY_CHUNK);
  let at = 0;
  for (const v of versions) {
    const { start, tail, end } = v.item;
    // Head and id are short; a row longer than a chunk gets a chunk of its own.
    const since = JSON.stringify(v.since);
    const need = end - start + Buffer.byteLength(v.sourceRef) + headBytes + Buffer.byteLength(since) * 2 + 64;
    if (at + need > chunk.length) {
      if (at > 0 && !stream.write(chunk.subarray(0, at))) await Promise.race([once(stream, 'drain'), done]);
      chunk = Buffer.allocUnsafe(Math.max(COPY_CHUNK, need));
      at = 0;
    }
    if (asPrepared && v.version === 1 && v.current) at += source.copy(chunk, at, start, end);
    else {
      at += chunk.write(`${head}${copyText(v.sourceRef)}\t${v.version}\t${v.current ? 't' : 'f'}\t`, at);
      at += source.copy(chunk, at, tail, end);
    }
    at += chunk.write(`\t${copyJson(since)}\t${v.id}\n`, at);
  }
  stream.end(chunk.subarray(0, at));
  await done;
}

/** Stores one item inside the caller's transaction (see storeItems). */
export async function storeItem(client: pg.PoolClient, intakeId: number, system: string, item: IntakeItem): Promise<{ outcome: Outcome; id: number | null }> {
  return (await storeItems(client, intakeId, system, [item]))[0]!;
}

export function count(counts: Counts, outcome: Outcome): void {
  counts.read++;
  if (outcome === 'unchanged') counts.unchanged++;
  else if (outcome === 'rejected') counts.rejected++;
  else {
    counts.accepted++;
    if (outcome === 'superseded') counts.superseded++;
    if (outcome === 'stale') counts.stale++;
  }
}
