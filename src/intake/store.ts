/**
 * Stores mapped source records and rejects. Idempotent: the same content
 * for the same (system, source reference) is one record, whenever it comes
 * again; changed content becomes a new current version and the old one is
 * kept as history; a version older than the current one (by the source's own
 * update time) is kept as history without displacing the current one.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { SourceRecord } from '../../schemas/source-record.js';

/** Where a record came from: file and line, or request id and index in the batch. */
export type Position = Record<string, string | number>;

export type IntakeItem =
  | { kind: 'record'; record: SourceRecord; raw: string; rawFormat: string; position: Position }
  | { kind: 'reject'; position: Position; field: string | null; rule: string | null; reason: string; raw: string | null };

export type Outcome = 'accepted' | 'superseded' | 'stale' | 'unchanged' | 'rejected';

export interface Counts {
  read: number;
  accepted: number;
  unchanged: number;
  superseded: number;
  rejected: number;
}

export const emptyCounts = (): Counts => ({ read: 0, accepted: 0, unchanged: 0, superseded: 0, rejected: 0 });

/** Canonical JSON (sorted keys) so that the hash does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function contentHash(record: SourceRecord): Buffer {
  return createHash('sha256').update(canonical(record)).digest();
}

const CURRENT = `
  SELECT id, version, source_updated_at AS "sourceUpdatedAt",
         EXISTS (SELECT 1 FROM source_record h WHERE h.system = $1 AND h.source_ref = $2 AND h.content_hash = $3) AS "seen"
    FROM source_record WHERE system = $1 AND source_ref = $2 AND current FOR UPDATE`;
const MAX_VERSION = `SELECT coalesce(max(version), 0) AS v FROM source_record WHERE system = $1 AND source_ref = $2`;
const RETIRE = `UPDATE source_record SET current = false WHERE id = $1`;
const INSERT = `
  INSERT INTO source_record (system, source_ref, version, current, content_hash, record, raw, raw_format, intake_id, position, source_updated_at, closed)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`;
const INSERT_REJECT = `
  INSERT INTO source_reject (intake_id, system, position, field, rule, reason, raw) VALUES ($1, $2, $3, $4, $5, $6, $7)`;

/**
 * Stores one item inside the caller's transaction. Returns the outcome and,
 * for a new current version, its id (the pipeline works on those).
 */
export async function storeItem(client: pg.PoolClient, intakeId: number, system: string, item: IntakeItem): Promise<{ outcome: Outcome; id: number | null }> {
  if (item.kind === 'reject') {
    await client.query(INSERT_REJECT, [intakeId, system, item.position, item.field, item.rule, item.reason, item.raw]);
    return { outcome: 'rejected', id: null };
  }
  const { record } = item;
  const hash = contentHash(record);
  const current = (await client.query<{ id: number; version: number; sourceUpdatedAt: Date | null; seen: boolean }>(CURRENT, [system, record.sourceRef, hash])).rows[0];
  if (current?.seen) return { outcome: 'unchanged', id: null };
  const version = (await client.query<{ v: number }>(MAX_VERSION, [system, record.sourceRef])).rows[0]!.v + 1;
  const updatedAt = record.sourceUpdatedAt ? new Date(record.sourceUpdatedAt) : null;
  const stale = current?.sourceUpdatedAt && updatedAt ? updatedAt < current.sourceUpdatedAt : false;
  if (current && !stale) await client.query(RETIRE, [current.id]);
  const values = [system, record.sourceRef, version, !stale, hash, record, item.raw, item.rawFormat, intakeId, item.position, updatedAt, record.closed];
  const id = (await client.query<{ id: number }>(INSERT, values)).rows[0]!.id;
  if (stale) return { outcome: 'stale', id: null };
  return { outcome: current ? 'superseded' : 'accepted', id };
}

export function count(counts: Counts, outcome: Outcome): void {
  counts.read++;
  if (outcome === 'unchanged') counts.unchanged++;
  else if (outcome === 'rejected') counts.rejected++;
  else {
    counts.accepted++;
    if (outcome === 'superseded') counts.superseded++;
  }
}
