/**
 * The audit trail in PostgreSQL. Entries are inserted in the caller's own
 * transaction, beside the reads whose disclosures they record, and commit
 * (or roll back) with them, before any response is sent: a failed audit
 * write means nothing is disclosed. An insert takes no lock another reader
 * waits for: its seq comes from a sequence and its hash covers only its own
 * content. The sealer, one at a time under an advisory lock, then chains the
 * committed entries in audit_seal; verify walks the seals.
 */
import type pg from 'pg';
import { transaction } from '../db/transaction.js';
import { canonicalJson, GENESIS_HASH, sealsAfter, SealVerifier, type AuditEntry, type ChainPoint, type VerifyResult } from './chain.js';

/** A register change records what changed besides the usual entry fields; the hash covers it too. */
export type StoredEntry = AuditEntry & { detail?: Record<string, unknown> };
/** An entry as stored: its seq and hash (of its content; rows chained at insert before migration 013 covered their prevHash too). */
export type StoredAuditEntry = StoredEntry & { seq: number; hash: string };

type Queryable = pg.Pool | pg.PoolClient;

const CONTENT = `at, request_id, action, client_id, org_id, role, purpose, citizen_ref, agreements, consent_ids,
  categories_disclosed, categories_denied, fields_disclosed, decision, reasons, policy_version, break_glass_reason, review_required, detail,
  household_refs`;
const COLUMNS = `seq, hash, ${CONTENT}`;

/** Normalised so that the stored timestamptz reads back to the same text. */
const normalised = (entry: StoredEntry): StoredEntry => ({ ...entry, at: new Date(entry.at).toISOString() });

/**
 * The entry's canonical JSON up to its seq, which the database appends with
 * the closing brace before hashing: every entry key sorts before "seq", so
 * the text of {...entry, seq} is that JSON with `,"seq":N` before its last brace.
 */
function hashPrefix(normal: StoredEntry): string {
  if (!Object.keys(normal).every((key) => key < 'seq')) throw new Error('audit entry keys must sort before "seq"');
  return `${canonicalJson(normal).slice(0, -1)},"seq":`;
}

/**
 * Entries in the order given: seqs are taken from the sequence row by row in
 * that order, and each hash is computed in the database once the seq is known.
 */
const INSERT = `INSERT INTO audit_log (${COLUMNS})
  SELECT n.seq, encode(sha256(convert_to(n.prefix || n.seq::text || '}', 'UTF8')), 'hex'), ${CONTENT}
    FROM (SELECT nextval('audit_log_seq') AS seq, r.*
            FROM (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
                    i int, prefix text, at timestamptz, request_id text, action text, client_id bigint, org_id bigint, role text, purpose text,
                    citizen_ref text, agreements jsonb, consent_ids jsonb, categories_disclosed jsonb, categories_denied jsonb,
                    fields_disclosed jsonb, decision text, reasons jsonb, policy_version text, break_glass_reason text,
                    review_required boolean, detail jsonb, household_refs jsonb)
                  ORDER BY i) r) n
  RETURNING seq, hash`;

/**
 * The columns of an entry read out of its canonical JSON `j` (completed with
 * a seq of 0, which no column takes); `stored` replaces the SQL of fields
 * and reasons when they are kept apart (audit_part).
 */
const FROM_JSON = (j: string, stored: { fields: string; reasons: string } = { fields: `${j}->'fieldsDisclosed'`, reasons: `${j}->'reasons'` }) =>
  `(${j}->>'at')::timestamptz, ${j}->>'requestId', ${j}->>'action', (${j}->>'clientId')::bigint, (${j}->>'orgId')::bigint,
  ${j}->>'role', ${j}->>'purpose', ${j}->>'citizenRef', ${j}->'agreements', ${j}->'consentIds', ${j}->'categoriesDisclosed',
  ${j}->'categoriesDenied', ${stored.fields}, ${j}->>'decision', ${stored.reasons}, ${j}->>'policyVersion', ${j}->>'breakGlassReason',
  (${j}->>'reviewRequired')::boolean, ${j}->'detail', ${j}->'householdRefs'`;

/**
 * One entry (a register change), from its hash prefix alone: the columns are
 * read out of that canonical JSON, so the entry is serialised and sent once,
 * not once for the hash and again column by column. OFFSET 0 keeps the
 * subquery from being pulled up, which would parse the JSON again for every
 * column.
 */
const INSERT_ONE = `INSERT INTO audit_log (${COLUMNS})
  SELECT n.seq, encode(sha256(convert_to($1 || n.seq::text || '}', 'UTF8')), 'hex'), ${FROM_JSON('e.j')}
    FROM (SELECT ($1 || '0}')::jsonb AS j OFFSET 0) e, (SELECT nextval('audit_log_seq') AS seq) n
  RETURNING seq, hash`;

/**
 * A condition each entry of an insert is made under, checked in the
 * insert's own statement (its snapshot): SQL true for the entry whose 1-based
 * index is the SQL expression `row`, over parameters numbered from `first`;
 * the same text for the same name (it names a prepared statement).
 */
export interface EntryCondition {
  name: string;
  sql: (row: string, first: number) => string;
  values: readonly unknown[];
}

/**
 * The two values of an entry that repeat across entries word for word (the
 * fields a view of a given shape discloses, a decision's reasons), kept once
 * in audit_part (migration 027). Keys in canonical order: the entry's text
 * is `head`, the fields' text, `mid`, the reasons' text, then `tail` up to its seq.
 */
interface Split {
  head: string;
  fields: string;
  mid: string;
  reasons: string;
  tail: string;
}

const FIELDS_KEY = ',"fieldsDisclosed":';
const REASONS_KEY = ',"reasons":';

/**
 * An entry's hash prefix cut around its fields and reasons. The first
 * occurrence of each key is the entry's own: every value before them is a
 * string (escaped, so holding no bare quote), a number, or an array of such
 * or of agreement references; an entry with `detail` is not split. Between
 * them come householdRefs (strings too) and orgId, kept in `mid`, whence
 * the insert reads their columns.
 */
function split(normal: StoredEntry): Split | null {
  if (normal.detail !== undefined) return null;
  const prefix = hashPrefix(normal);
  const fields = canonicalJson(normal.fieldsDisclosed);
  const reasons = canonicalJson(normal.reasons);
  const f = prefix.indexOf(FIELDS_KEY) + FIELDS_KEY.length;
  const r = prefix.indexOf(REASONS_KEY, f + fields.length) + REASONS_KEY.length;
  if (f < FIELDS_KEY.length || r < REASONS_KEY.length || !prefix.startsWith(fields, f) || !prefix.startsWith(reasons, r)) return null;
  return { head: prefix.slice(0, f), fields, mid: prefix.slice(f + fields.length, r), reasons, tail: prefix.slice(r + reasons.length) };
}

/**
 * Entries, each only if its condition holds (one that does not takes no
 * seq); answers the indexes inserted. Each distinct fields or reasons text
 * of the batch is sent once, stored in audit_part unless it is there
 * already, and named by its hash; the entry's hash is computed over its
 * whole text, the parts' texts spliced in. The columns are read out of the
 * entry's JSON with its parts left out (empty), so that little is parsed.
 * New parts are added in hash order, so two batches adding the same two
 * cannot each wait for the other's. `e` is materialised once, so the seqs
 * it takes are the ones stored and the ones answered. Texts are parameters
 * of their own ($1..): in one text[] literal, pg would escape every quote
 * of the JSON in JavaScript. Answers each inserted entry's index, seq and hash.
 */
const insertWhere = (condition: string, count: number) => {
  const list = (from: number, n: number) => `ARRAY[${Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ')}]::text[]`;
  const refs = 5 * count + 1;
  return `WITH p AS (
    SELECT u.k, u.t, encode(sha256(convert_to(u.t, 'UTF8')), 'hex') AS h
      FROM unnest(${list(3 * count + 1, 2 * count)}) WITH ORDINALITY u(t, k) WHERE u.t IS NOT NULL),
  kept AS (INSERT INTO audit_part (hash, text) SELECT h, t FROM p ORDER BY h ON CONFLICT (hash) DO NOTHING),
  e AS (
    SELECT r.i, r.head, r.mid, r.tail, r.fk, r.rk, nextval('audit_log_seq') AS seq
      FROM unnest(${list(1, count)}, ${list(count + 1, count)}, ${list(2 * count + 1, count)}, $${refs}::int[], $${refs + 1}::int[])
           WITH ORDINALITY r(head, mid, tail, fk, rk, i)
     WHERE ${condition}),
  stored AS (
    INSERT INTO audit_log (${COLUMNS}, fields_part, reasons_part)
    SELECT x.seq, encode(sha256(convert_to(x.head || f.t || x.mid || rs.t || x.tail || x.seq::text || '}', 'UTF8')), 'hex'),
           ${FROM_JSON('x.j', { fields: 'NULL', reasons: 'NULL' })}, f.h, rs.h
      FROM (SELECT e.*, (e.head || '[]' || e.mid || '{}' || e.tail || '0}')::jsonb AS j FROM e OFFSET 0) x
      JOIN p f ON f.k = x.fk JOIN p rs ON rs.k = x.rk
    RETURNING seq, hash)
  SELECT e.i, s.seq, s.hash FROM e JOIN stored s ON s.seq = e.seq ORDER BY e.i`;
};

const conditional = new Map<string, string>();
/** Inserts of at most this many entries are prepared statements (a batch of reads); larger ones, rare, are planned each time. */
const PREPARED_ENTRIES = 16;

const ALWAYS: EntryCondition = { name: 'always', sql: () => 'true', values: [] };

/** Split entries inserted under `condition`: the 1-based index, seq and hash of each inserted, in order. */
async function insertSplit(db: Queryable, splits: readonly Split[], condition: EntryCondition): Promise<Array<{ i: number; seq: number; hash: string }>> {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const part = (text: string) => {
    let k = index.get(text);
    if (k === undefined) {
      k = texts.push(text);
      index.set(text, k);
    }
    return k;
  };
  const fk = splits.map((s) => part(s.fields));
  const rk = splits.map((s) => part(s.reasons));
  const prepared = splits.length <= PREPARED_ENTRIES;
  const name = `audit-insert-where-${condition.name}-${splits.length}`;
  let text = prepared ? conditional.get(name) : undefined;
  if (text === undefined) {
    text = insertWhere(condition.sql('r.i', 5 * splits.length + 3), splits.length);
    if (prepared) conditional.set(name, text);
  }
  // Room for two distinct parts an entry, the rest null, so that the statement depends on the number of entries alone.
  const slots = Array.from({ length: 2 * splits.length }, (_, i) => texts[i] ?? null);
  const { rows } = await db.query<{ i: string; seq: string; hash: string }>({
    ...(prepared ? { name } : {}), text,
    values: [...splits.map((s) => s.head), ...splits.map((s) => s.mid), ...splits.map((s) => s.tail), ...slots, fk, rk, ...condition.values],
  });
  return rows.map((r) => ({ i: Number(r.i), seq: Number(r.seq), hash: r.hash }));
}

/**
 * Inserts entries, in one statement, each only if its condition holds, in
 * the caller's transaction (as appendAudit); answers, per entry, whether it
 * was inserted. One prepared statement per condition and number of
 * entries: meant for the few entries of a batch of reads (READ_BATCH).
 */
export async function appendAuditWhere(db: Queryable, entries: readonly StoredEntry[], condition: EntryCondition): Promise<boolean[]> {
  if (entries.length === 0) return [];
  const splits = entries.map((e) => split(normalised(e)));
  if (splits.some((s) => s === null)) throw new Error('audit entries inserted under a condition must split into their shared parts (no detail)');
  const inserted = entries.map(() => false);
  for (const row of await insertSplit(db, splits as Split[], condition)) inserted[row.i - 1] = true;
  return inserted;
}

/**
 * Inserts entries, in order, in one statement. On a client inside a
 * transaction they commit or roll back with it; nothing waits for other
 * writers, since the chain is made later by the sealer. Entries of reads
 * keep their fields and reasons in audit_part; a register change's, with
 * its free-form `detail`, is stored whole.
 */
export async function appendAudit(db: Queryable, entries: readonly StoredEntry[]): Promise<StoredAuditEntry[]> {
  if (entries.length === 0) return [];
  const normal = entries.map(normalised);
  const splits = normal.map(split);
  if (splits.every((s) => s !== null)) {
    const rows = await insertSplit(db, splits as Split[], ALWAYS);
    return normal.map((e, i) => ({ ...e, seq: rows[i]!.seq, hash: rows[i]!.hash }));
  }
  if (normal.length === 1) {
    const e = normal[0]!;
    const { rows } = await db.query<{ seq: number; hash: string }>({ name: 'audit-insert-one', text: INSERT_ONE, values: [hashPrefix(e)] });
    return [{ ...e, seq: Number(rows[0]!.seq), hash: rows[0]!.hash }];
  }
  const input = normal.map((e, i) => ({
    i, prefix: hashPrefix(e), at: e.at, request_id: e.requestId, action: e.action, client_id: e.clientId, org_id: e.orgId,
    role: e.role, purpose: e.purpose, citizen_ref: e.citizenRef, agreements: e.agreements, consent_ids: e.consentIds,
    categories_disclosed: e.categoriesDisclosed, categories_denied: e.categoriesDenied, fields_disclosed: e.fieldsDisclosed,
    decision: e.decision, reasons: e.reasons, policy_version: e.policyVersion, break_glass_reason: e.breakGlassReason,
    review_required: e.reviewRequired, detail: e.detail ?? null, household_refs: e.householdRefs ?? null,
  }));
  const { rows } = await db.query<{ seq: number; hash: string }>({ name: 'audit-insert', text: INSERT, values: [JSON.stringify(input)] });
  rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  return normal.map((e, i) => ({ ...e, seq: Number(rows[i]!.seq), hash: rows[i]!.hash }));
}

/**
 * Runs `fn` in a transaction and inserts the audit entries it returns in the
 * same transaction; returns only after COMMIT, so nothing of the result
 * leaves unless its entries are committed with it.
 */
export async function withAudit<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<{ result: T; entries: StoredEntry[] }>): Promise<T> {
  const { result } = await transaction(pool, fn, (client, { entries }) => appendAudit(client, entries));
  return result;
}

/** Sealers in every hub process and verify take turns on this advisory lock ("audit" in ASCII). */
const SEAL_LOCK = 0x6175646974;
const UNIQUE_VIOLATION = '23505';
/** Entries sealed per transaction. */
const SEAL_BATCH = 5000;

/**
 * The next entries to seal, with the chain head and the horizon, in one
 * statement so that all come from one snapshot. An entry is taken once its
 * inserting transaction has finished (tx below the snapshot's xmin): every
 * transaction below that horizon is over, so entries in the window between
 * the last sealed entry and the horizon are final and complete, and a slow
 * transaction holding a lower seq is sealed when it commits instead of being
 * skipped. Entries are sealed in (tx, seq) order, so what is sealed is
 * exactly what comes up to the head's (tx, seq): the window starts right
 * after it, read from the (tx, seq) index (migration 026). No lookup in
 * audit_seal per entry: as NOT EXISTS the planner hashed the whole of
 * audit_seal on every pass (every 150 ms), a cost that grew with the trail
 * (11 ms a pass at 38,000 seals). Only when the head's entry has no tx
 * (chained before migration 013) or is gone (deleted with the triggers
 * disabled, which verify reports), or when $2 says so (sealAudit's second
 * try, after the window held an entry sealed already: a trail damaged so
 * that the head went back), does the window start at the first tx and each
 * entry get looked up in audit_seal, so that nothing is sealed twice.
 */
export const UNSEALED = `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon),
  head AS (SELECT s.seal_seq, s.chain_hash, l.tx IS NOT NULL AND NOT $2::boolean AS exact,
                  CASE WHEN l.tx IS NULL OR $2::boolean THEN '0'::xid8 ELSE l.tx END AS after_tx,
                  CASE WHEN l.tx IS NULL OR $2::boolean THEN 0 ELSE s.audit_seq END AS after_seq
             FROM audit_seal s LEFT JOIN audit_log l ON l.seq = s.audit_seq ORDER BY s.seal_seq DESC LIMIT 1),
  todo AS (
    SELECT l.seq, l.hash, l.tx FROM audit_log l, h
     WHERE (l.tx, l.seq) > (coalesce((SELECT after_tx FROM head), '0'::xid8), coalesce((SELECT after_seq FROM head), 0)) AND l.tx < h.horizon
       AND CASE WHEN coalesce((SELECT exact FROM head), true) THEN true
                ELSE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.audit_seq = l.seq) END
     ORDER BY l.tx, l.seq LIMIT $1)
  SELECT h.horizon::text AS horizon, (SELECT seal_seq FROM head) AS seal_seq, (SELECT chain_hash FROM head) AS chain_hash,
         (SELECT coalesce(json_agg(json_build_array(seq, hash) ORDER BY tx, seq), '[]') FROM todo) AS todo
    FROM h`;

const SEAL = `INSERT INTO audit_seal (seal_seq, audit_seq, entry_hash, chain_hash)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])`;

export interface SealPass {
  sealed: number;
  /** The xid horizon of the last pass: every entry of a transaction below it was sealed by now. */
  horizon: string;
}

/**
 * Seals every committed entry not sealed yet, in batches of one transaction
 * each. `wait`: wait for a sealer at work elsewhere (verify), instead of
 * leaving the work to it (null).
 */
export async function sealAudit(pool: pg.Pool, options: { wait?: boolean } = {}): Promise<SealPass | null> {
  const client = await pool.connect();
  let sealed = 0;
  let lookUp = false;
  try {
    for (;;) {
      await client.query('BEGIN');
      const lock = options.wait ? 'SELECT true AS locked FROM pg_advisory_xact_lock($1)' : 'SELECT pg_try_advisory_xact_lock($1) AS locked';
      const locked = (await client.query<{ locked: boolean }>(lock, [SEAL_LOCK])).rows[0]!.locked;
      if (!locked) {
        await client.query('ROLLBACK');
        return null;
      }
      const { rows } = await client.query<{ horizon: string; seal_seq: number | null; chain_hash: string | null; todo: Array<[number, string]> }>(
        { name: 'audit-unsealed', text: UNSEALED, values: [SEAL_BATCH, lookUp] });
      const head = rows[0]!;
      const last = head.seal_seq === null ? null : { sealSeq: Number(head.seal_seq), chainHash: head.chain_hash! };
      const seals = sealsAfter(last, head.todo.map(([seq, hash]) => ({ auditSeq: Number(seq), entryHash: hash })));
      if (seals.length > 0) {
        try {
          await client.query({ name: 'audit-seal', text: SEAL, values: [
            seals.map((s) => s.sealSeq), seals.map((s) => s.auditSeq), seals.map((s) => s.entryHash), seals.map((s) => s.chainHash),
          ] });
        } catch (error) {
          // A trail damaged so that the window after the head holds a sealed entry: this pass again, entry by entry.
          if (lookUp || (error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
          await client.query('ROLLBACK');
          lookUp = true;
          continue;
        }
      }
      await client.query('COMMIT');
      sealed += seals.length;
      if (seals.length < SEAL_BATCH) return { sealed, horizon: head.horizon };
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Seals every `intervalMs`, one pass at a time (verify seals on demand); a
 * pass finding another process's sealer at work leaves it to that one.
 * While passes fail (the database down), `onError` hears of the first
 * failure only, and `onRecovered` of the first pass that works again: a
 * pass every 150 ms would otherwise report the same outage seven times a second.
 */
export class AuditSealer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private failing = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 150,
    private readonly onRecovered: () => void = () => undefined,
  ) {}

  start(): this {
    this.schedule();
    return this;
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = sealAudit(this.pool).then(() => this.passed(), (error: unknown) => this.failed(error)).finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private passed(): void {
    if (!this.failing) return;
    this.failing = false;
    this.onRecovered();
  }

  private failed(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.onError(error);
  }
}

interface Row {
  seq: number; hash: string; at: Date; request_id: string; action: string; client_id: number; org_id: number;
  role: AuditEntry['role']; purpose: string; citizen_ref: string | null; agreements: AuditEntry['agreements']; consent_ids: string[];
  categories_disclosed: AuditEntry['categoriesDisclosed']; categories_denied: AuditEntry['categoriesDenied']; fields_disclosed: string[];
  decision: AuditEntry['decision']; reasons: AuditEntry['reasons']; policy_version: string; break_glass_reason: string | null;
  review_required: boolean; detail: Record<string, unknown> | null;
  /** Null when the entry has no householdRefs (its key absent, as in every entry written before migration 029). */
  household_refs: string[] | null;
  /** Set when fields_disclosed or reasons is kept in audit_part (migration 027): its hash there. */
  fields_part: string | null; reasons_part: string | null;
}

/** The columns fromRow reads, from audit_log l. */
const READ = `${COLUMNS.split(/,\s*/).map((c) => `l.${c}`).join(', ')}, l.fields_part, l.reasons_part`;

const frozen = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) frozen(v);
  return Object.freeze(value);
};

/** Parts remembered by a walk; a walk of millions of entries names a few thousand at most, so this is only a backstop. */
const MAX_PARTS = 100_000;

/** An entry names a part that is not in audit_part: only tampering as the database superuser does that. */
export class AuditTrailDamaged extends Error {
  constructor(readonly seq: number) {
    super(`audit entry ${seq} names a stored part that is missing: the trail is damaged, and verify locates the first break`);
    this.name = 'AuditTrailDamaged';
  }
}

/**
 * Puts back into rows the fields and reasons kept in audit_part, reading
 * the parts not in `known` (by hash; each parsed once and frozen, so that
 * canonicalJson serialises it once too). A part gone throws
 * AuditTrailDamaged, or, for verify (`known` given), leaves the value
 * null: the entry then no longer hashes to its seal, and verify reports it.
 */
async function withParts<R extends Row>(db: Queryable, rows: R[], known?: Map<string, unknown>): Promise<R[]> {
  const strict = known === undefined;
  known ??= new Map();
  const wanted = new Set<string>();
  for (const r of rows) {
    if (r.fields_part !== null && !known.has(r.fields_part)) wanted.add(r.fields_part);
    if (r.reasons_part !== null && !known.has(r.reasons_part)) wanted.add(r.reasons_part);
  }
  if (wanted.size > 0) {
    if (known.size + wanted.size > MAX_PARTS) known.clear();
    const { rows: parts } = await db.query<{ hash: string; text: string }>('SELECT hash, text FROM audit_part WHERE hash = ANY($1::text[])', [[...wanted]]);
    for (const p of parts) known.set(p.hash, frozen(JSON.parse(p.text) as unknown));
  }
  for (const r of rows) {
    if (r.fields_part !== null) r.fields_disclosed = (known.get(r.fields_part) ?? null) as string[];
    if (r.reasons_part !== null) r.reasons = (known.get(r.reasons_part) ?? null) as AuditEntry['reasons'];
    if (strict && (r.fields_disclosed === null || r.reasons === null)) throw new AuditTrailDamaged(Number(r.seq));
  }
  return rows;
}

function fromRow(r: Row): StoredAuditEntry {
  return {
    seq: Number(r.seq), hash: r.hash, at: r.at.toISOString(), requestId: r.request_id, action: r.action,
    clientId: Number(r.client_id), orgId: Number(r.org_id), role: r.role, purpose: r.purpose, citizenRef: r.citizen_ref,
    agreements: r.agreements, consentIds: r.consent_ids, categoriesDisclosed: r.categories_disclosed, categoriesDenied: r.categories_denied,
    fieldsDisclosed: r.fields_disclosed, ...(r.household_refs === null ? {} : { householdRefs: r.household_refs }),
    decision: r.decision, reasons: r.reasons, policyVersion: r.policy_version,
    breakGlassReason: r.break_glass_reason, reviewRequired: r.review_required, ...(r.detail === null ? {} : { detail: r.detail }),
  };
}

const VERIFY_BATCH = 1000;

export type AuditVerifyResult = VerifyResult & {
  /** Entries committed since the last seal pass, too recent to be sealed: not a finding. Counted by the walk that reaches the end. */
  pending: number;
  /** Set when the walk stopped at `maxSeals` short of the end, intact so far: verify again from here. */
  next?: ChainPoint;
};

export interface VerifyOptions {
  /** Continue after this seal, with the chain hash an earlier walk computed for it (that walk's `next`). */
  after?: ChainPoint;
  /** Walk at most this many seals. */
  maxSeals?: number;
}

/** A continuation that does not match the stored chain: wrong, or the seals changed since; verify from the start to find out. */
export class ChainPointMismatch extends Error {
  constructor(point: ChainPoint) {
    super(`seal ${point.sealSeq} is not in the chain with that chain hash: verify from the start`);
    this.name = 'ChainPointMismatch';
  }
}

/**
 * Entries without a seal, each late or not (see verifyAudit). The anti-join
 * takes only seqs, so it can read audit_log's primary key alone (an
 * index-only scan, once vacuum has marked the pages all-visible, which
 * autovacuum does for an insert-only table), not a heap of gigabytes at a
 * council's volume; tx is read for the few entries it finds. Late: its
 * transaction ended below the seal pass's horizon (the sealer passed it
 * by), or no transaction had that id yet (forged). Not by age: a long
 * transaction anywhere in the cluster (an import) holds the horizon back,
 * and what committed meanwhile waits, sealed as soon as that one ends.
 */
export const LEFT_UNSEALED = `WITH u AS (SELECT l.seq FROM audit_log l WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.audit_seq = l.seq))
  SELECT l.seq, (l.tx IS NULL OR l.tx < $1::xid8 OR l.tx >= pg_snapshot_xmax(pg_current_snapshot())) AS late
    FROM u JOIN audit_log l ON l.seq = u.seq ORDER BY l.seq`;

type VerifyRow = Row & {
  seal_seq: number; audit_seq: number; entry_hash: string; chain_hash: string; prev_hash: string | null; present: boolean;
  /** Microseconds of `at` below the millisecond: none in an entry as written (it hashes `at` to the millisecond), which a Date would drop. */
  at_us: number | null;
};

const VERIFY_PAGE = `SELECT s.seal_seq, s.audit_seq, s.entry_hash, s.chain_hash, l.seq IS NOT NULL AS present, l.prev_hash,
         extract(microseconds FROM l.at)::int % 1000 AS at_us, ${READ}
    FROM audit_seal s LEFT JOIN audit_log l ON l.seq = s.audit_seq
   WHERE s.seal_seq > $1 AND s.seal_seq <= $2 ORDER BY s.seal_seq LIMIT $3`;

/**
 * Seals what has committed, then walks the seals in order up to the last
 * one there was (constant memory), recomputing each entry's hash from its
 * content and the chain, and reports the first broken entry. An entry left
 * unsealed is a finding too when its transaction had finished before the
 * seal pass (it escaped sealing) or its transaction id was never assigned.
 *
 * Each page is read in a snapshot of its own, never one transaction for the
 * whole walk, which at a council's millions of entries would hold back
 * vacuum for minutes; seals are only ever appended, one pass at a time, so
 * pages of committed seals join up. The next page is read while this one is
 * checked. With `maxSeals`, a walk stops short and answers where to go on
 * (`next`), so that an HTTP request need not outlast a whole trail.
 */
export async function verifyAudit(pool: pg.Pool, options: VerifyOptions = {}): Promise<AuditVerifyResult> {
  const pass = (await sealAudit(pool, { wait: true }))!;
  const { rows: [end] } = await pool.query<{ seal_seq: string; chain_hash: string | null }>(
    `SELECT coalesce(max(seal_seq), 0) AS seal_seq, (SELECT chain_hash FROM audit_seal WHERE seal_seq = $1) AS chain_hash FROM audit_seal`,
    [options.after?.sealSeq ?? 0]);
  if (options.after && options.after.chainHash !== (options.after.sealSeq === 0 ? GENESIS_HASH : end!.chain_hash)) throw new ChainPointMismatch(options.after);
  const verifier = new SealVerifier(options.after);
  const last = Number(end!.seal_seq);
  // Counted in seals read, not bounded by seal number: seals deleted in a stretch must still come to light, not stall the walk.
  let budget = options.maxSeals ?? Number.MAX_SAFE_INTEGER;
  const parts = new Map<string, unknown>();
  const page = (after: number) => pool.query<VerifyRow>({
    name: 'audit-verify-page', text: VERIFY_PAGE, values: [after, last, Math.min(VERIFY_BATCH, budget)],
  }).then((r) => withParts(pool, r.rows, parts));
  let next = verifier.last.sealSeq < last && budget > 0 ? page(verifier.last.sealSeq) : null;
  while (next) {
    const rows = await next;
    budget -= rows.length;
    const reached = rows.length === 0 ? last : Number(rows[rows.length - 1]!.seal_seq);
    next = reached < last && budget > 0 ? page(reached) : null;
    next?.catch(() => undefined);
    const intact = rows.every((r) => {
      const { seq: _seq, hash, ...entry } = r.present ? fromRow(r) : { seq: 0, hash: '' };
      // An `at` moved by less than a millisecond reads back as the same Date: its extra microseconds must break the hash.
      if (r.present && Number(r.at_us) !== 0) (entry as { at: string }).at += ` +${Number(r.at_us)}us`;
      return verifier.push({
        sealSeq: Number(r.seal_seq), auditSeq: Number(r.audit_seq), entryHash: r.entry_hash, chainHash: r.chain_hash,
        row: r.present ? { prevHash: r.prev_hash, hash, entry } : null,
      });
    });
    if (!intact) break;
  }
  const chain = verifier.result();
  if (!chain.ok && verifier.sealGap) {
    // A seal deleted took with it the entry it sealed, which is left unsealed below the horizon: that entry is the first
    // broken, not the one whose seal came next.
    const { rows: unsealed } = await pool.query<{ seq: number; late: boolean }>(LEFT_UNSEALED, [pass.horizon]);
    const orphan = unsealed.find((u) => u.late);
    if (orphan && Number(orphan.seq) < chain.firstBrokenSeq) {
      return { ok: false, firstBrokenSeq: Number(orphan.seq), reason: `${chain.reason}; entry ${Number(orphan.seq)} has lost its seal`, pending: 0 };
    }
  }
  if (!chain.ok) return { ...chain, pending: 0 };
  if (verifier.last.sealSeq < last) return { ...chain, pending: 0, next: verifier.last };
  const { rows: unsealed } = await pool.query<{ seq: number; late: boolean }>(LEFT_UNSEALED, [pass.horizon]);
  const pending = unsealed.filter((u) => !u.late).length;
  const late = unsealed.find((u) => u.late);
  if (late) {
    const reason = `entry ${Number(late.seq)} was never sealed (${unsealed.length - pending} entries): it escaped the sealer or was inserted around it`;
    return { ok: false, firstBrokenSeq: Number(late.seq), reason, pending };
  }
  return { ...chain, pending };
}

/** Seals one step of a walk checks by default, as one GET /v1/audit/verify call at most: about ten seconds of work here. */
export const VERIFY_STEP = 100_000;

/**
 * The whole trail, walked in steps of `step` seals that join up (each
 * verifyAudit's `next`), counting every entry checked; `onStep` hears how
 * far it got after each step short of the end (a trail of millions takes minutes).
 */
export async function verifyWhole(pool: pg.Pool, options: { step?: number; onStep?: (checked: number) => void } = {}): Promise<AuditVerifyResult> {
  let checked = 0;
  let after: ChainPoint | undefined;
  for (;;) {
    const result = await verifyAudit(pool, { after, maxSeals: options.step ?? VERIFY_STEP });
    if (!result.ok) return result;
    checked += result.count;
    if (!result.next) return { ...result, count: checked };
    options.onStep?.(checked);
    after = result.next;
  }
}

export interface DisclosureFilters {
  /** One or more citizen references (an account and the references merged into it): entries about them, or naming them as household members. */
  citizen?: string | string[];
  /** With `citizen`, the citizen's source records: entries naming one of them (a steward's work before the record was linked) count too. */
  records?: readonly { system: string; sourceRef: string }[];
  org?: number;
  client?: number;
  purpose?: string;
  /** ISO 8601 date-times, from inclusive, to exclusive. */
  from?: string;
  to?: string;
  reviewRequired?: boolean;
  /** Reviewed by a DPO (audit_review, migration 049); with reviewRequired true and this false, the break-glass entries waiting for review. */
  reviewed?: boolean;
  action?: string;
  decision?: AuditEntry['decision'];
  /**
   * A partner DPO's listing (with `org`, its own): a refusal is listed only as
   * the one entry of a request that disclosed nothing, and never with
   * `citizen`. The refusals of a search name the people it found but hid, and
   * their number counts them; one about a given reference would tell that the
   * person exists.
   */
  partner?: boolean;
  /** Page on: entries after this seq. */
  after?: number;
  limit?: number;
}

/** Audit entries matching the filters, oldest first. */
/** What is wrong with a period of disclosures asked for (a `to` before its `from` would find nothing and say nothing), or null. */
export function periodProblem(filters: Pick<DisclosureFilters, 'from' | 'to'>): string | null {
  return filters.from !== undefined && filters.to !== undefined && Date.parse(filters.to) < Date.parse(filters.from) ? `to (${filters.to}) is before from (${filters.from})` : null;
}

export async function disclosures(db: Queryable, filters: DisclosureFilters): Promise<StoredAuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  // Entries about the citizen, and those whose view named them as a household member (index audit_log_household, migration 029).
  if (filters.citizen !== undefined) {
    const param = (value: unknown) => `$${params.push(value)}`;
    const refs = param(([] as string[]).concat(filters.citizen));
    // Each record a containment test of its own, so that each is an index probe (audit_log_detail_records, migration 035).
    const named = (filters.records ?? []).map((r) => `detail -> 'records' @> ${param(JSON.stringify([{ system: r.system, sourceRef: r.sourceRef }]))}::jsonb`);
    where.push(`(citizen_ref = ANY(${refs}::text[]) OR household_refs ?| ${refs}::text[]${named.length > 0 ? ` OR (detail IS NOT NULL AND (${named.join(' OR ')}))` : ''})`);
  }
  if (filters.org !== undefined) add((p) => `org_id = ${p}`, filters.org);
  if (filters.client !== undefined) add((p) => `client_id = ${p}`, filters.client);
  if (filters.purpose !== undefined) add((p) => `purpose = ${p}`, filters.purpose);
  if (filters.from !== undefined) add((p) => `at >= ${p}`, filters.from);
  if (filters.to !== undefined) add((p) => `at < ${p}`, filters.to);
  if (filters.reviewRequired !== undefined) add((p) => `review_required = ${p}`, filters.reviewRequired);
  if (filters.reviewed !== undefined) add((p) => `EXISTS (SELECT 1 FROM audit_review r WHERE r.seq = l.seq) = ${p}`, filters.reviewed);
  if (filters.action !== undefined) add((p) => `action = ${p}`, filters.action);
  if (filters.decision !== undefined) add((p) => `decision = ${p}`, filters.decision);
  if (filters.partner) {
    // The request's entries were written in one transaction (index audit_log_tx_seq).
    where.push(filters.citizen !== undefined ? "decision <> 'deny'" : `(decision <> 'deny' OR NOT EXISTS (SELECT 1 FROM audit_log o
      WHERE o.tx = l.tx AND o.request_id = l.request_id AND o.seq <> l.seq AND (o.decision <> 'deny' OR o.seq < l.seq)))`);
  }
  if (filters.after !== undefined) add((p) => `seq > ${p}`, filters.after);
  params.push(filters.limit ?? 1000);
  const { rows } = await db.query<Row>(
    `SELECT ${READ} FROM audit_log l ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${params.length}`,
    params,
  );
  return (await withParts(db, rows)).map(fromRow);
}
