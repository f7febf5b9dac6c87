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
  // Normalised so that the stored timestamptz reads back to the same text.
  const normal: StoredEntry = { ...entry, at: new Date(entry.at).toISOString() };
  if (!Object.keys(normal).every((key) => key < 'seq')) throw new Error('audit entry keys must sort before "seq"');
  const prefix = `${canonicalJson(normal).slice(0, -1)},"seq":`;
  const { rows } = await db.query<{ seq: number; prev_hash: string; hash: string }>({ name: 'audit-append', text: APPEND, values: [
    prefix, normal.at, normal.requestId, normal.action, normal.clientId, normal.orgId, normal.role, normal.purpose, normal.citizenRef,
    JSON.stringify(normal.agreements), JSON.stringify(normal.consentIds), JSON.stringify(normal.categoriesDisclosed),
    JSON.stringify(normal.categoriesDenied), JSON.stringify(normal.fieldsDisclosed), normal.decision, JSON.stringify(normal.reasons),
    normal.policyVersion, normal.breakGlassReason, normal.reviewRequired, normal.detail === undefined ? null : JSON.stringify(normal.detail),
  ] });
  const row = rows[0];
  if (!row) throw new Error('audit_head has no row: the audit migration has not run');
  return { ...normal, seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash };
}

const APPEND = `WITH head AS (SELECT seq, hash FROM audit_head FOR UPDATE)
  INSERT INTO audit_log (${COLUMNS})
  SELECT head.seq + 1, head.hash, encode(sha256(convert_to(head.hash || E'\\n' || $1 || (head.seq + 1)::text || '}', 'UTF8')), 'hex'),
         $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
    FROM head
  RETURNING seq, prev_hash, hash`;

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
