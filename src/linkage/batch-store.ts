/**
 * Linking a batch without a round trip per record: the batch's candidate
 * blocks, their records' accounts and every member of those accounts are read
 * in two queries; creating accounts, linking records, opening reviews and
 * recording outbox changes are queued and written in a few set-based
 * statements. What a batch rarely needs (a steward's decisions, a merge, a
 * split, a record leaving its account) goes to the database at once, after the
 * queue is written, and the in-memory state follows it.
 */
import type pg from 'pg';
import { prepare, type PersonRecord, type PreparedPerson, type PrepareTables } from '../../matching/person/index.js';
import { citizensChanged, type CitizenChange } from '../publish/outbox.js';
import { leaveAccount, mergeStatement, nextCitizenId, nextRefNumber, type Actor, type LinkedBy } from './accounts.js';
import type { LinkageContext } from './context.js';
import { recordKey, splitKey } from './features.js';
import { DbLinkStore, NO_DECISIONS, REVIEW_SQL, reviewColumns, type Decisions, type Member, type ReviewItem } from './link-store.js';
import { LinkState, type LinkMirror } from './link-state.js';
import { blockLimit } from './person-index.js';
import { citizenRef } from './reference.js';

/**
 * The records of each of the batch's blocking keys (at most the key's limit and one more, as MEMBERS_SQL reads them), as one
 * JSON object: keys and results this many cost more as parameters and rows than as one JSON text each way.
 */
const HITS_SQL = `
  SELECT coalesce(json_object_agg(k.key, b.records), '{}') AS blocks
    FROM json_to_recordset($1::json) AS k(key text, most int)
   CROSS JOIN LATERAL (SELECT array_agg(system || '|' || source_ref) AS records
                         FROM (SELECT system, source_ref FROM person_block b WHERE b.key = k.key LIMIT k.most + 1) x) b
   WHERE b.records IS NOT NULL`;

/** Records given by key (system|source_ref), as a JSON array. */
const RECORDS_OF = `
  SELECT split_part(k, '|', 1) AS system, substr(k, strpos(k, '|') + 1) AS source_ref FROM json_array_elements_text($1::json) AS k`;

/** Every current member, with its version, of the accounts the given records are linked to now. */
const ACCOUNTS_SQL = `
  WITH r AS (${RECORDS_OF}), accounts AS (
    SELECT DISTINCT l.citizen_id FROM r JOIN citizen_link l ON l.system = r.system AND l.source_ref = r.source_ref AND l.ended_at IS NULL
  )
  SELECT coalesce(json_agg(json_build_array(m.citizen_id, m.system || '|' || m.source_ref, p.source_record_id, m.linked_by = 'steward')), '[]') AS members
    FROM accounts a
    JOIN citizen_link m ON m.citizen_id = a.citizen_id AND m.ended_at IS NULL
    JOIN person_record p ON p.system = m.system AND p.source_ref = m.source_ref`;

/** The features of records not prepared yet (most members were prepared when they were linked). */
const FEATURES_SQL = `
  SELECT p.system || '|' || p.source_ref AS key, p.source_record_id, p.features FROM (${RECORDS_OF}) r
    JOIN person_record p ON p.system = r.system AND p.source_ref = r.source_ref`;

const ANY_DECISION_SQL = 'SELECT EXISTS (SELECT 1 FROM link_decision WHERE revoked_at IS NULL) AS any';

/** Whether any steward decision stands: without one, a batch asks the database for none. */
export const anyDecisionIn = async (db: pg.PoolClient): Promise<boolean> => (await db.query<{ any: boolean }>(ANY_DECISION_SQL)).rows[0]!.any;

/** A batch's new accounts, links and events in one statement, each as a JSON array (cheaper to send than an array per column). */
const WRITE_SQL = `
  WITH c AS (
    INSERT INTO citizen (id, ref) OVERRIDING SYSTEM VALUE SELECT id, ref FROM json_to_recordset($1::json) AS x(id bigint, ref text)
  ), l AS (
    INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by, weight)
    SELECT citizen_id, system, source_ref, linked_by, weight FROM json_to_recordset($2::json) AS x(citizen_id bigint, system text, source_ref text, linked_by text, weight real)
  )
  INSERT INTO citizen_event (citizen_id, kind, system, source_ref, client_id, reason)
  SELECT citizen_id, kind, system, source_ref, client_id, reason
    FROM json_to_recordset($3::json) AS x(citizen_id bigint, kind text, system text, source_ref text, client_id bigint, reason text)`;

/**
 * Prepared records by record and version, across batches: a large account's
 * members are candidates again and again, and preparing (name folding,
 * phonetic codes, phone parsing) costs more than comparing. Bounded: about a
 * kilobyte a record, so 1.5 million records is some 1.5 GB. Full, the oldest
 * quarter goes, not the whole cache: the blocks of a large council (a date of
 * birth meets some 45 records at a million) reach records linked at any time
 * before, and a cache emptied at 200,000 records had every batch after it
 * read and prepare again tens of thousands of members (linking fell from
 * 1,100 to 220 records/s by 250,000 records).
 */
const PREPARED_MAX = 1_500_000;
const preparedCache = new WeakMap<PrepareTables, Map<string, PreparedPerson>>();

function cacheOf(tables: PrepareTables): Map<string, PreparedPerson> {
  let cache = preparedCache.get(tables);
  if (!cache) preparedCache.set(tables, (cache = new Map()));
  if (cache.size >= PREPARED_MAX) {
    // A Map iterates in insertion order: the first entries are the oldest.
    let drop = PREPARED_MAX / 4;
    for (const key of cache.keys()) {
      if (drop-- <= 0) break;
      cache.delete(key);
    }
  }
  return cache;
}

/** A record's prepared form at a version (its source record id), if prepared already. */
export const preparedAt = (tables: PrepareTables, key: string, version: string): PreparedPerson | undefined => cacheOf(tables).get(`${key}#${version}`);

/** Keeps a record's prepared form at a version. */
export function keepPrepared(tables: PrepareTables, key: string, version: string, prepared: PreparedPerson): void {
  cacheOf(tables).set(`${key}#${version}`, prepared);
}

/** A record's prepared form at a version, from the cache or prepared now and kept. */
export function preparedOf(tables: PrepareTables, key: string, version: string, features: PersonRecord): PreparedPerson {
  let p = preparedAt(tables, key, version);
  if (!p) keepPrepared(tables, key, version, (p = prepare(features, tables)));
  return p;
}

/** A member found in memory: its system and reference, wanted only for a review or a split, are split from its key then. */
class KeyedMember implements Member {
  constructor(readonly citizenId: number, readonly key: string, readonly prepared: PreparedPerson, readonly bySteward: boolean) {}

  get system(): string {
    return splitKey(this.key).system;
  }

  get sourceRef(): string {
    return splitKey(this.key).sourceRef;
  }
}

interface QueuedLink { citizenId: number; system: string; sourceRef: string; linkedBy: LinkedBy; weight: number | null }
interface QueuedEvent { citizenId: number; kind: 'create' | 'link'; system: string | null; sourceRef: string | null; clientId: number | null; reason: string }

export class BatchLinkStore extends DbLinkStore {
  private citizens: { id: number; ref: string }[] = [];
  private links: QueuedLink[] = [];
  private events: QueuedEvent[] = [];
  private reviews = new Map<string, ReviewItem>();
  private changes: CitizenChange[] = [];
  /** Statements sent and not yet waited for (send, mergeCitizens). */
  private sent: Promise<unknown>[] = [];
  /** Accounts merged away while this store was in use, and the account each survives as. */
  private readonly survivor = new Map<number, number>();

  /** The batch's own state, or a run's mirror (whose prepared forms outlive the batch: a member is looked up once a run). */
  private constructor(db: pg.PoolClient, ctx: LinkageContext, readonly anyDecision: boolean, private readonly state: LinkState) {
    super(db, ctx);
  }

  /**
   * The store for a batch whose records are indexed already: their blocks, and every account those blocks and the
   * records reach. Read from the database, or taken from a run's mirror (which has indexed them too), whose state
   * the store then changes as it changes the database. `anyDecision` may have been asked before statements still running.
   */
  static async load(
    db: pg.PoolClient, ctx: LinkageContext, records: readonly { system: string; sourceRef: string; me: PreparedPerson; keys: readonly string[] }[], mirror: LinkMirror | null,
    anyDecision: Promise<boolean> = anyDecisionIn(db),
  ): Promise<BatchLinkStore> {
    const store = new BatchLinkStore(db, ctx, await anyDecision, mirror ?? new LinkState());
    const unprepared: string[] = [];
    const prepare = (key: string, version: string) => {
      if (store.state.prepared.has(key)) return;
      const p = preparedAt(ctx.tables, key, version);
      if (p) store.state.prepared.set(key, p);
      else unprepared.push(key);
    };
    for (const r of records) store.state.prepared.set(recordKey(r.system, r.sourceRef), r.me);
    // Once every record of the mirror is prepared (a run from an empty index, or after its first batches), members
    // are taken as they are met: walking the blocks here as well cost as much as members() itself at a million.
    if (mirror && mirror.prepared.size < mirror.versionOf.size) {
      // The accounts reached straight from the state: no set of every record met on the way.
      const reached = new Set<number>();
      const reach = (key: string) => {
        const citizenId = mirror.linkOf.get(key);
        if (citizenId !== undefined) reached.add(citizenId);
      };
      for (const r of records) {
        reach(recordKey(r.system, r.sourceRef));
        for (const key of r.keys) {
          const block = mirror.blocks.get(key);
          if (block && block.length <= blockLimit(ctx, key)) for (const hit of block) reach(hit);
        }
      }
      for (const citizenId of reached) for (const key of mirror.accounts.get(citizenId) ?? []) prepare(key, mirror.versionOf.get(key)!);
    } else if (!mirror) {
      const keys = [...new Set(records.flatMap((r) => r.keys))];
      const { rows: [hits] } = await db.query<{ blocks: Record<string, string[]> }>({ name: 'linkage-batch-hits', text: HITS_SQL, values: [JSON.stringify(keys.map((key) => ({ key, most: blockLimit(ctx, key) })))] });
      const reached = new Set<string>(records.map((r) => recordKey(r.system, r.sourceRef)));
      for (const [key, block] of Object.entries(hits!.blocks)) {
        store.state.blocks.set(key, block);
        if (block.length <= blockLimit(ctx, key)) for (const hit of block) reached.add(hit);
      }
      const { rows: [accounts] } = await db.query<{ members: [number, string, number, boolean][] }>({ name: 'linkage-batch-accounts', text: ACCOUNTS_SQL, values: [JSON.stringify([...reached])] });
      for (const [citizenId, key, version, bySteward] of accounts!.members) {
        store.state.attach(key, citizenId, bySteward);
        prepare(key, String(version));
      }
    }
    if (unprepared.length > 0) {
      const { rows } = await db.query<{ key: string; source_record_id: string; features: PersonRecord }>({ name: 'linkage-batch-features', text: FEATURES_SQL, values: [JSON.stringify(unprepared)] });
      for (const r of rows) store.state.prepared.set(r.key, preparedOf(ctx.tables, r.key, r.source_record_id, r.features));
    }
    return store;
  }

  override async members(keys: readonly string[], system: string, sourceRef: string, also: readonly number[]): Promise<Member[]> {
    const self = recordKey(system, sourceRef);
    const found = new Set<number>(also);
    for (const key of keys) {
      const block = this.state.blocks.get(key);
      if (!block || block.length > blockLimit(this.ctx, key)) continue;
      for (const hit of block) {
        const citizenId = hit === self ? undefined : this.state.linkOf.get(hit);
        if (citizenId !== undefined) found.add(citizenId);
      }
    }
    const out: Member[] = [];
    for (const citizenId of [...found].sort((a, b) => a - b)) {
      const keys = this.state.accounts.get(citizenId);
      if (!keys) continue;
      for (const key of keys.size === 1 ? keys : [...keys].sort()) {
        if (key !== self) out.push(new KeyedMember(citizenId, key, this.state.prepared.get(key) as PreparedPerson, this.state.bySteward.has(key)));
      }
    }
    return out;
  }

  /**
   * The records of the record's blocks prepared for this batch: the batch's own (indexed, not all linked
   * yet) and those of the accounts it reaches (every earlier batch's records are linked).
   */
  override async neighbours(keys: readonly string[], system: string, sourceRef: string): Promise<PreparedPerson[]> {
    const self = recordKey(system, sourceRef);
    const found = new Set<string>();
    for (const key of keys) {
      const block = this.state.blocks.get(key);
      if (!block || block.length > blockLimit(this.ctx, key)) continue;
      for (const hit of block) if (hit !== self) found.add(hit);
    }
    const out: PreparedPerson[] = [];
    for (const key of [...found].sort()) {
      const p = this.state.prepared.get(key);
      if (p && p.accounts.length > 0) out.push(p);
    }
    return out;
  }

  override async decisionsFor(system: string, sourceRef: string, home: number | null): Promise<Decisions> {
    if (!this.anyDecision) return NO_DECISIONS;
    await this.flush();
    return super.decisionsFor(system, sourceRef, home);
  }

  override async stewardKeepsApart(a: number, b: number): Promise<boolean> {
    if (!this.anyDecision) return false;
    await this.flush();
    return super.stewardKeepsApart(a, b);
  }

  override async createCitizen(actor: Actor, record?: { system: string; sourceRef: string; linkedBy: LinkedBy }): Promise<number> {
    const id = await nextCitizenId(this.db);
    this.citizens.push({ id, ref: citizenRef(await nextRefNumber(this.db)) });
    this.events.push({ citizenId: id, kind: 'create', system: null, sourceRef: null, clientId: actor.clientId, reason: actor.reason });
    this.state.accounts.set(id, new Set());
    if (record) {
      this.links.push({ citizenId: id, system: record.system, sourceRef: record.sourceRef, linkedBy: record.linkedBy, weight: null });
      this.events.push({ citizenId: id, kind: 'link', system: record.system, sourceRef: record.sourceRef, clientId: actor.clientId, reason: actor.reason });
      this.state.attach(recordKey(record.system, record.sourceRef), id, record.linkedBy === 'steward');
    }
    this.changes.push({ citizenId: id, type: 'citizen.created' });
    return id;
  }

  override async linkRecord(citizenId: number, system: string, sourceRef: string, linkedBy: LinkedBy, weight: number | null, actor: Actor): Promise<void> {
    this.links.push({ citizenId, system, sourceRef, linkedBy, weight });
    this.events.push({ citizenId, kind: 'link', system, sourceRef, clientId: actor.clientId, reason: actor.reason });
    this.state.attach(recordKey(system, sourceRef), citizenId, linkedBy === 'steward');
    this.changes.push({ citizenId, type: 'citizen.updated' });
  }

  override async unlinkRecord(system: string, sourceRef: string, actor: Actor, why: string): Promise<number | null> {
    await this.flush();
    this.state.detach(recordKey(system, sourceRef));
    return super.unlinkRecord(system, sourceRef, actor, why);
  }

  override async splitRecord(system: string, sourceRef: string, linkedBy: LinkedBy, actor: Actor): Promise<number> {
    await this.flush();
    const key = recordKey(system, sourceRef);
    this.state.detach(key);
    const to = await super.splitRecord(system, sourceRef, linkedBy, actor);
    // An account merged away in this batch may be made active again by the split.
    this.survivor.delete(to);
    this.state.attach(key, to, linkedBy === 'steward');
    return to;
  }

  override async leaveAccount(system: string, sourceRef: string, actor: Actor): Promise<number> {
    await this.flush();
    const left = await leaveAccount(this.db, system, sourceRef, actor);
    // The record left for an account of its own; or it stayed, and the records wrong merges brought went back to the
    // accounts that brought them, active again.
    const moved = left.returned.length > 0
      ? left.returned.flatMap((g) => g.records.map((r) => ({ to: g.account, key: recordKey(r.system, r.sourceRef), bySteward: r.linkedBy === 'steward' })))
      : [{ to: left.account, key: recordKey(system, sourceRef), bySteward: false }];
    for (const { to, key, bySteward } of moved) {
      this.survivor.delete(to);
      this.state.detach(key);
      this.state.attach(key, to, bySteward);
    }
    for (const { id, into } of left.repointed) if (this.survivor.has(id)) this.survivor.set(id, into);
    return left.account;
  }

  /**
   * Sent without waiting, after what is queued: nothing the batch decides next reads what a merge writes (the state in
   * memory follows it at once), so the database writes it while the batch links on.
   */
  override async mergeCitizens(a: number, b: number, actor: Actor): Promise<number> {
    const survivor = Math.min(a, b);
    const merged = survivor === a ? b : a;
    this.send();
    this.behind(this.db.query(mergeStatement(merged, survivor, actor)));
    this.changes.push({ citizenId: survivor, type: 'citizen.merged', other: merged });
    this.state.moveAll(merged, survivor);
    for (const [from, to] of this.survivor) if (to === merged) this.survivor.set(from, survivor);
    this.survivor.set(merged, survivor);
    return survivor;
  }

  /** Reads what the batch wrote (the emptied account's history), and closes or merges it as the database would. */
  override async settleEmptied(emptied: number, into: number, actor: Actor): Promise<number> {
    await this.flush();
    return super.settleEmptied(emptied, into, actor);
  }

  /** The account a record linked to `citizenId` when the batch was read is in now: merges move every link of the merged account. */
  survivorOf(citizenId: number): number {
    return this.survivor.get(citizenId) ?? citizenId;
  }

  override async memberCount(citizenId: number): Promise<number> {
    return this.state.accounts.get(citizenId)?.size ?? 0;
  }

  override async openReview(item: ReviewItem): Promise<void> {
    // The last word on a record and account stands, as the upsert of one record at a time leaves it.
    this.reviews.set(`${recordKey(item.system, item.sourceRef)}|${item.citizenId}`, item);
  }

  override async recordChanged(citizenId: number): Promise<void> {
    this.changes.push({ citizenId, type: 'citizen.updated' });
  }

  /**
   * Sends everything queued, in the order it happened, without waiting: the connection runs statements in the order
   * they are sent, and `flush` waits for them all.
   */
  private send(): void {
    const { citizens, links, events, changes } = this;
    const reviews = [...this.reviews.values()];
    this.citizens = [];
    this.links = [];
    this.events = [];
    this.reviews = new Map();
    this.changes = [];
    if (citizens.length + links.length + events.length > 0) {
      this.behind(this.db.query({
        name: 'linkage-batch-write', text: WRITE_SQL,
        values: [
          JSON.stringify(citizens),
          JSON.stringify(links.map((l) => ({ citizen_id: l.citizenId, system: l.system, source_ref: l.sourceRef, linked_by: l.linkedBy, weight: l.weight }))),
          JSON.stringify(events.map((e) => ({ citizen_id: e.citizenId, kind: e.kind, system: e.system, source_ref: e.sourceRef, client_id: e.clientId, reason: e.reason }))),
        ],
      }));
    }
    if (reviews.length > 0) this.behind(this.db.query(REVIEW_SQL, reviewColumns(reviews)));
    this.behind(citizensChanged(this.db, changes));
  }

  /** Writes everything queued and waits for every statement sent; the first that failed fails it (those after it only say the transaction is aborted). */
  async flush(): Promise<void> {
    this.send();
    const sent = this.sent;
    this.sent = [];
    await Promise.all(sent);
  }

  private behind(statement: Promise<unknown>): void {
    // Awaited by flush; until then a failure is no unhandled rejection.
    statement.catch(() => undefined);
    this.sent.push(statement);
  }
}
