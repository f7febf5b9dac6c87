/**
 * The audit trail in PostgreSQL: appends inside the caller's transaction (so
 * that nothing is disclosed when the audit write fails), verification by
 * walking the chain in seq order, and the DPO's queries.
 */
import type pg from 'pg';
import { ChainVerifier, chainEntry, type AuditEntry, type ChainedEntry, type VerifyResult } from './chain.js';

/** A register change records what changed besides the usual entry fields; the hash covers it too. */
export type StoredEntry = AuditEntry & { detail?: Record<string, unknown> };
export type StoredChainedEntry = ChainedEntry & { detail?: Record<string, unknown> };

const COLUMNS = `seq, prev_hash, hash, at, request_id, action, client_id, org_id, role, purpose, citizen_ref, agreements, consent_ids,
  categories_disclosed, categories_denied, fields_disclosed, decision, reasons, policy_version, break_glass_reason, review_required, detail`;

/**
 * Appends one entry. Must run inside a transaction on `client`: the chain
 * head stays locked until that transaction ends, which serialises writers.
 * Call it last, just before COMMIT, to hold the lock briefly.
 */
export async function appendAudit(client: pg.PoolClient, entry: StoredEntry): Promise<StoredChainedEntry> {
  const { rows } = await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head FOR UPDATE');
  const head = rows[0];
  if (!head) throw new Error('audit_head has no row: the audit migration has not run');
  // Normalised so that the stored timestamptz reads back to the same text.
  const normal: StoredEntry = { ...entry, at: new Date(entry.at).toISOString() };
  const chained = chainEntry(head.seq === 0 ? null : head, normal) as StoredChainedEntry;
  await client.query(
    `INSERT INTO audit_log (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)`,
    [
      chained.seq, chained.prevHash, chained.hash, chained.at, chained.requestId, chained.action, chained.clientId, chained.orgId,
      chained.role, chained.purpose, chained.citizenRef, JSON.stringify(chained.agreements), JSON.stringify(chained.consentIds),
      JSON.stringify(chained.categoriesDisclosed), JSON.stringify(chained.categoriesDenied), JSON.stringify(chained.fieldsDisclosed),
      chained.decision, JSON.stringify(chained.reasons), chained.policyVersion, chained.breakGlassReason, chained.reviewRequired,
      chained.detail === undefined ? null : JSON.stringify(chained.detail),
    ],
  );
  return chained;
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
