/**
 * The audit trail in PostgreSQL: appends that commit before any response is
 * sent (alone, or inside the caller's transaction with what must commit with
 * them), so that nothing is disclosed when the audit write fails;
 * verification by walking the chain in seq order; the DPO's queries.
 */
import type pg from 'pg';
import { ChainVerifier, canonicalJson, type AuditEntry, type ChainedEntry, type VerifyResult } from './chain.js';

/** A register change records what changed besides the usual entry fields; the hash covers it too. */
export type StoredEntry = AuditEntry & { detail?: Record<string, unknown> };
export type StoredChainedEntry = ChainedEntry & { detail?: Record<string, unknown> };

const COLUMNS = `seq, prev_hash, hash, at, request_id, action, client_id, org_id, role, purpose, citizen_ref, agreements, consent_ids,
  categories_disclosed, categories_denied, fields_disclosed, decision, reasons, policy_version, break_glass_reason, review_required, detail`;

/**
 * Appends one entry in a single statement: the chain head is locked, the
 * entry's seq, prevHash and hash are taken from it, and the insert trigger
 * moves the head on. On a pool it commits by itself; on a client inside a
 * transaction the head stays locked until that transaction ends, which
 * serialises writers. Either way the lock is held as briefly as possible.
 *
 * The hash is computed in the database from the entry's canonical JSON,
 * which this function builds: every entry key sorts before "seq", so the
 * text of {...entry, seq} is that JSON with `,"seq":N` before its last brace.
 */
export async function appendAudit(db: pg.Pool | pg.PoolClient, entry: StoredEntry): Promise<StoredChainedEntry> {
  const normal = normalised(entry);
  const { rows } = await db.query<{ seq: number; prev_hash: string; hash: string }>({ name: 'audit-append', text: APPEND, values: [
    hashPrefix(normal), normal.at, normal.requestId, normal.action, normal.clientId, normal.orgId, normal.role, normal.purpose, normal.citizenRef,
    JSON.stringify(normal.agreements), JSON.stringify(normal.consentIds), JSON.stringify(normal.categoriesDisclosed),
    JSON.stringify(normal.categoriesDenied), JSON.stringify(normal.fieldsDisclosed), normal.decision, JSON.stringify(normal.reasons),
    normal.policyVersion, normal.breakGlassReason, normal.reviewRequired, normal.detail === undefined ? null : JSON.stringify(normal.detail),
  ] });
  const row = rows[0];
  if (!row) throw new Error('audit_head has no row: the audit migration has not run');
  return { ...normal, seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash };
}

/** Normalised so that the stored timestamptz reads back to the same text. */
const normalised = (entry: StoredEntry): StoredEntry => ({ ...entry, at: new Date(entry.at).toISOString() });

/** The entry's canonical JSON up to its seq, which the database appends with the closing brace before hashing. */
function hashPrefix(normal: StoredEntry): string {
  if (!Object.keys(normal).every((key) => key < 'seq')) throw new Error('audit entry keys must sort before "seq"');
  return `${canonicalJson(normal).slice(0, -1)},"seq":`;
}

const APPEND = `WITH head AS (SELECT seq, hash FROM audit_head FOR UPDATE)
  INSERT INTO audit_log (${COLUMNS})
  SELECT head.seq + 1, head.hash, encode(sha256(convert_to(head.hash || E'\\n' || $1 || (head.seq + 1)::text || '}', 'UTF8')), 'hex'),
         $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
    FROM head
  RETURNING seq, prev_hash, hash`;

/**
 * Several entries in one self-committing statement: the head is locked, the
 * entries are chained one after another from it in the order given (each
 * hash computed in the database as in APPEND), and inserted in seq order so
 * that the insert trigger sees every row extend the head.
 */
const APPEND_MANY = `WITH RECURSIVE head AS MATERIALIZED (SELECT seq, hash FROM audit_head FOR UPDATE),
  input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    i bigint, prefix text, at timestamptz, request_id text, action text, client_id bigint, org_id bigint, role text, purpose text,
    citizen_ref text, agreements jsonb, consent_ids jsonb, categories_disclosed jsonb, categories_denied jsonb, fields_disclosed jsonb,
    decision text, reasons jsonb, policy_version text, break_glass_reason text, review_required boolean, detail jsonb)),
  chain (i, seq, prev_hash, hash) AS (
    SELECT 0::bigint, seq, hash, hash FROM head
    UNION ALL
    SELECT c.i + 1, c.seq + 1, c.hash, encode(sha256(convert_to(c.hash || E'\\n' || p.prefix || (c.seq + 1)::text || '}', 'UTF8')), 'hex')
      FROM chain c JOIN input p ON p.i = c.i + 1)
  INSERT INTO audit_log (${COLUMNS})
  SELECT c.seq, c.prev_hash, c.hash, p.at, p.request_id, p.action, p.client_id, p.org_id, p.role, p.purpose, p.citizen_ref, p.agreements,
         p.consent_ids, p.categories_disclosed, p.categories_denied, p.fields_disclosed, p.decision, p.reasons, p.policy_version,
         p.break_glass_reason, p.review_required, p.detail
    FROM chain c JOIN input p ON p.i = c.i
   ORDER BY c.seq
  RETURNING seq, prev_hash, hash`;

/** Appends entries, in order, in one statement that commits by itself. */
export async function appendAuditMany(pool: pg.Pool, entries: readonly StoredEntry[]): Promise<StoredChainedEntry[]> {
  const normal = entries.map(normalised);
  const input = normal.map((e, i) => ({
    i: i + 1, prefix: hashPrefix(e), at: e.at, request_id: e.requestId, action: e.action, client_id: e.clientId, org_id: e.orgId,
    role: e.role, purpose: e.purpose, citizen_ref: e.citizenRef, agreements: e.agreements, consent_ids: e.consentIds,
    categories_disclosed: e.categoriesDisclosed, categories_denied: e.categoriesDenied, fields_disclosed: e.fieldsDisclosed,
    decision: e.decision, reasons: e.reasons, policy_version: e.policyVersion, break_glass_reason: e.breakGlassReason,
    review_required: e.reviewRequired, detail: e.detail ?? null,
  }));
  const { rows } = await pool.query<{ seq: number; prev_hash: string; hash: string }>({ name: 'audit-append-many', text: APPEND_MANY, values: [JSON.stringify(input)] });
  if (rows.length !== entries.length) throw new Error('audit_head has no row: the audit migration has not run');
  rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  return normal.map((e, i) => ({ ...e, seq: Number(rows[i]!.seq), prevHash: rows[i]!.prev_hash, hash: rows[i]!.hash }));
}

interface Pending {
  entries: readonly StoredEntry[];
  resolve: (chained: StoredChainedEntry[]) => void;
  reject: (error: unknown) => void;
}

/** Entries of at most this many requests share one statement. */
const GROUP_LIMIT = 256;

/**
 * Group commit for the audit trail. Every append holds the chain head's row
 * lock until its COMMIT has flushed the WAL, so appends one at a time are
 * limited to one WAL flush each, one after another (~4 ms on the bench
 * machine's disk), however many requests wait. Here at most one statement per
 * pool is in flight; requests arriving meanwhile queue up and the next
 * statement appends all their entries under one lock and one flush. Each
 * caller's promise settles only after the statement holding its entries has
 * committed (or failed), so a caller that discloses after it still discloses
 * nothing unaudited. An idle writer starts at once: no timer, no added
 * latency when there is no queue.
 */
export class AuditGroupWriter {
  private queue: Pending[] = [];
  private running = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Appends one request's entries, in order and all or none; resolves once they are committed. */
  append(entries: readonly StoredEntry[]): Promise<StoredChainedEntry[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entries, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, GROUP_LIMIT);
        try {
          const chained = await appendAuditMany(this.pool, group.flatMap((p) => p.entries));
          let at = 0;
          for (const p of group) {
            p.resolve(chained.slice(at, at + p.entries.length));
            at += p.entries.length;
          }
        } catch (error) {
          if (group.length === 1) group[0]!.reject(error);
          // One request's bad entry must not fail the others: each is tried alone.
          else for (const p of group) await appendAuditMany(this.pool, p.entries).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

const writers = new WeakMap<pg.Pool, AuditGroupWriter>();

/**
 * Appends one request's entries through the pool's group writer and commits
 * them before resolving: for writes that need no other statement in their
 * transaction (a read's disclosures and denials).
 */
export function appendAuditGrouped(pool: pg.Pool, entries: readonly StoredEntry[]): Promise<StoredChainedEntry[]> {
  let writer = writers.get(pool);
  if (!writer) writers.set(pool, (writer = new AuditGroupWriter(pool)));
  return writer.append(entries);
}

/** Runs `fn` in a transaction that also appends the audit entries it returns; nothing commits unless all of it does. */
export async function withAudit<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<{ result: T; entries: StoredEntry[] }>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { result, entries } = await fn(client);
    for (const entry of entries) await appendAudit(client, entry);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface Row {
  seq: number; prev_hash: string; hash: string; at: Date; request_id: string; action: string; client_id: number; org_id: number;
  role: AuditEntry['role']; purpose: string; citizen_ref: string | null; agreements: AuditEntry['agreements']; consent_ids: string[];
  categories_disclosed: AuditEntry['categoriesDisclosed']; categories_denied: AuditEntry['categoriesDenied']; fields_disclosed: string[];
  decision: AuditEntry['decision']; reasons: AuditEntry['reasons']; policy_version: string; break_glass_reason: string | null;
  review_required: boolean; detail: Record<string, unknown> | null;
}

function fromRow(r: Row): StoredChainedEntry {
  return {
    seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash, at: r.at.toISOString(), requestId: r.request_id, action: r.action,
    clientId: Number(r.client_id), orgId: Number(r.org_id), role: r.role, purpose: r.purpose, citizenRef: r.citizen_ref,
    agreements: r.agreements, consentIds: r.consent_ids, categoriesDisclosed: r.categories_disclosed, categoriesDenied: r.categories_denied,
    fieldsDisclosed: r.fields_disclosed, decision: r.decision, reasons: r.reasons, policyVersion: r.policy_version,
    breakGlassReason: r.break_glass_reason, reviewRequired: r.review_required, ...(r.detail === null ? {} : { detail: r.detail }),
  };
}

const VERIFY_BATCH = 1000;

/** Walks the whole chain in seq order, a page at a time (constant memory), and reports the first broken entry. */
export async function verifyAudit(pool: pg.Pool): Promise<VerifyResult> {
  const client = await pool.connect();
  try {
    // One snapshot for the walk, so appends during it cannot look like a break.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // The head row is the checkpoint: entries cut off the end show up against it.
    const head = (await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head')).rows[0];
    const verifier = new ChainVerifier(head && Number(head.seq) > 0 ? { checkpoint: { seq: Number(head.seq), hash: head.hash } } : {});
    let after = 0;
    for (;;) {
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, VERIFY_BATCH]);
      if (rows.length === 0 || !rows.every((row) => verifier.push(fromRow(row)))) break;
      after = Number(rows[rows.length - 1]!.seq);
    }
    await client.query('COMMIT');
    return verifier.result();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface DisclosureFilters {
  /** One or more citizen references (an account and the references merged into it). */
  citizen?: string | string[];
  org?: number;
  client?: number;
  purpose?: string;
  /** ISO 8601 date-times, from inclusive, to exclusive. */
  from?: string;
  to?: string;
  reviewRequired?: boolean;
  action?: string;
  /** Page on: entries after this seq. */
  after?: number;
  limit?: number;
}

/** Audit entries matching the filters, oldest first. */
export async function disclosures(db: pg.Pool | pg.PoolClient, filters: DisclosureFilters): Promise<StoredChainedEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filters.citizen !== undefined) add((p) => `citizen_ref = ANY(${p}::text[])`, ([] as string[]).concat(filters.citizen));
  if (filters.org !== undefined) add((p) => `org_id = ${p}`, filters.org);
  if (filters.client !== undefined) add((p) => `client_id = ${p}`, filters.client);
  if (filters.purpose !== undefined) add((p) => `purpose = ${p}`, filters.purpose);
  if (filters.from !== undefined) add((p) => `at >= ${p}`, filters.from);
  if (filters.to !== undefined) add((p) => `at < ${p}`, filters.to);
  if (filters.reviewRequired !== undefined) add((p) => `review_required = ${p}`, filters.reviewRequired);
  if (filters.action !== undefined) add((p) => `action = ${p}`, filters.action);
  if (filters.after !== undefined) add((p) => `seq > ${p}`, filters.after);
  params.push(filters.limit ?? 1000);
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${params.length}`,
    params,
  );
  return rows.map(fromRow);
}
