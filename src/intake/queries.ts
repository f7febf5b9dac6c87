/** Reads of intakes and rejects for the API and the CLI. */
import type pg from 'pg';
import { ownedSql } from './ingest.js';

export interface IntakeRow {
  id: number;
  system: string;
  channel: string;
  fileName: string | null;
  status: string;
  read: number;
  accepted: number;
  unchanged: number;
  superseded: number;
  stale: number;
  rejected: number;
  fullExtract: boolean;
  /** The intake's source time: when the source made the file (given, or the intake's start), or the push was received. */
  extractedAt: string;
  closed: number;
  closingRefused: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

// A running intake whose owning session has gone reads as interrupted at once, before the next intake marks it so.
const INTAKE = `
  SELECT id, system, channel, file_name AS "fileName",
         CASE WHEN status = 'running' AND NOT ${ownedSql('intake')} THEN 'interrupted' ELSE status END AS status, read, accepted, unchanged, superseded, stale, rejected,
         full_extract AS "fullExtract",
         to_char(extracted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "extractedAt", closed, closing_refused AS "closingRefused", error,
         to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "startedAt",
         to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "finishedAt"
    FROM intake WHERE id = $1`;

export async function intakeById(pool: pg.Pool, id: number): Promise<IntakeRow | null> {
  return (await pool.query<IntakeRow>(INTAKE, [id])).rows[0] ?? null;
}

export interface RejectRow {
  id: number;
  intakeId: number;
  position: Record<string, string | number>;
  /** The record's source reference, when it could be read from the record (see MapReject). */
  sourceRef: string | null;
  field: string | null;
  rule: string | null;
  reason: string;
  receivedAt: string;
}

const REJECTS = `
  SELECT id, intake_id AS "intakeId", position, source_ref AS "sourceRef", field, rule, reason,
         to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "receivedAt"
    FROM source_reject
   WHERE system = $1 AND ($2::bigint IS NULL OR intake_id = $2) AND id > $3
   ORDER BY id LIMIT $4`;

/**
 * Rejects of a system, oldest first, paged by id. Raw text is not returned
 * here: it may hold personal data. The source reference is: it is what the
 * source system finds the record by, and the hub's readers of rejects
 * (admin, steward, the system itself) see references elsewhere too.
 */
export async function rejectsOf(pool: pg.Pool, system: string, options: { intakeId?: number | null; after?: number; limit: number }): Promise<RejectRow[]> {
  return (await pool.query<RejectRow>(REJECTS, [system, options.intakeId ?? null, options.after ?? 0, options.limit])).rows;
}

export interface RecordReject extends RejectRow {
  system: string;
  sourceRef: string;
  /** The row exactly as received (null when the reader could not give its text). */
  raw: string | null;
}

const REJECTS_OF_RECORDS = `
  SELECT r.id, r.intake_id AS "intakeId", r.system, r.source_ref AS "sourceRef", r.position, r.field, r.rule, r.reason, r.raw,
         to_char(r.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "receivedAt"
    FROM source_reject r
    JOIN unnest($1::text[], $2::text[]) AS k(system, source_ref) ON k.system = r.system AND k.source_ref = r.source_ref
   ORDER BY r.id`;

/**
 * The rejected rows of the given records, by the source reference the
 * mapping read from them (migration 056), raw text included: for a subject
 * access export. A reject whose reference could not be read, or stored
 * before that migration, is nobody's here.
 */
export async function rejectsOfRecords(db: pg.Pool | pg.PoolClient, records: readonly { system: string; sourceRef: string }[]): Promise<RecordReject[]> {
  if (records.length === 0) return [];
  return (await db.query<RecordReject>(REJECTS_OF_RECORDS, [records.map((r) => r.system), records.map((r) => r.sourceRef)])).rows.map((r) => ({ ...r, id: Number(r.id), intakeId: Number(r.intakeId) }));
}

/**
 * Whether the hub knows a source system: one it ships a mapping for, one it
 * has taken anything in for (a file with a mapping of its own, or a push),
 * or one a client may push to.
 */
export async function knownSystem(pool: pg.Pool, system: string, shipped: readonly string[]): Promise<boolean> {
  if (shipped.includes(system)) return true;
  const { rows } = await pool.query<{ known: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM intake WHERE system = $1) OR EXISTS (SELECT 1 FROM api_client WHERE $1 = ANY (systems)) AS known', [system]);
  return rows[0]!.known;
}
