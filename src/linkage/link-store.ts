/**
 * What linking a record reads and writes, behind one interface, so that the
 * decision (link.ts) is the same code whether it runs one record at a time or
 * over a batch. DbLinkStore reads and writes the database as it goes (a
 * record from the API, a steward's change); BatchLinkStore (batch-store.ts)
 * holds a batch's candidates in memory and writes its outcomes together.
 * Both run inside the caller's transaction, which holds the linkage lock.
 */
import type pg from 'pg';
import { prepare, type PersonRecord, type PreparedPerson } from '../../matching/person/index.js';
import { citizenChanged } from '../publish/outbox.js';
import {
  createCitizen, leaveAccount, linkRecord, memberCount, mergeCitizens, settleEmptied, splitRecord, survivors, unlinkRecord, type Actor, type LinkedBy,
} from './accounts.js';
import type { LinkageContext } from './context.js';
import { recordKey } from './features.js';
import { blockLimit, MEMBERS_SQL } from './person-index.js';

export interface Member {
  citizenId: number;
  key: string;
  system: string;
  sourceRef: string;
  prepared: PreparedPerson;
  /** Placed in its account by a steward (linked_by 'steward'): the steward vouched that it belongs there. */
  bySteward?: boolean;
}

/** The steward decisions that bear on a record. */
export interface Decisions {
  stewardTarget: number | null;
  barredCitizens: Set<number>;
  barredRecords: Set<string>;
}

export const NO_DECISIONS: Decisions = { stewardTarget: null, barredCitizens: new Set(), barredRecords: new Set() };

export interface ReviewItem {
  system: string;
  sourceRef: string;
  citizenId: number;
  candidateSystem: string;
  candidateRef: string;
  weight: number;
  fields: unknown;
  modelDecision: string;
  reason: string;
  modelVersion: number;
}

export interface LinkStore {
  /**
   * The current records of every account holding a record that shares a
   * blocking key with this one (blocks over the size limit skipped), and of
   * the accounts in `also`; the record itself left out. In account order,
   * then system and reference.
   */
  members(keys: readonly string[], system: string, sourceRef: string, also: readonly number[]): Promise<Member[]>;
  /**
   * Records near this one that are named on a source account: where a joint party of a pair may be
   * found. `members` are the candidate accounts' records (members()), which are all one record at a
   * time can see: every indexed record is linked.
   */
  neighbours(keys: readonly string[], system: string, sourceRef: string, members: Iterable<Member>): Promise<PreparedPerson[]>;
  decisionsFor(system: string, sourceRef: string, home: number | null): Promise<Decisions>;
  /** Whether a steward's unlink or "not the same person" keeps two accounts apart. */
  stewardKeepsApart(a: number, b: number): Promise<boolean>;
  createCitizen(actor: Actor, record?: { system: string; sourceRef: string; linkedBy: LinkedBy }): Promise<number>;
  linkRecord(citizenId: number, system: string, sourceRef: string, linkedBy: LinkedBy, weight: number | null, actor: Actor): Promise<void>;
  unlinkRecord(system: string, sourceRef: string, actor: Actor, why: string): Promise<number | null>;
  splitRecord(system: string, sourceRef: string, linkedBy: LinkedBy, actor: Actor): Promise<number>;
  /** A record that no longer agrees with its account leaves it, or the records a wrong merge brought do (leaveAccount); the record's account now. */
  leaveAccount(system: string, sourceRef: string, actor: Actor): Promise<number>;
  mergeCitizens(a: number, b: number, actor: Actor): Promise<number>;
  /** An account its last record left for `into`: merged with it, or closed when its register records may be another person's (settleEmptied). */
  settleEmptied(emptied: number, into: number, actor: Actor): Promise<number>;
  memberCount(citizenId: number): Promise<number>;
  openReview(item: ReviewItem): Promise<void>;
  /** A record's content changed while it stayed in its account: the account's golden record changed too. */
  recordChanged(citizenId: number): Promise<void>;
}

const DECISIONS_SQL = `
  SELECT d.kind, d.citizen_id, d.system, d.source_ref, d.other_system, d.other_source_ref FROM link_decision d
   WHERE d.revoked_at IS NULL AND ((d.system = $1 AND d.source_ref = $2) OR (d.other_system = $1 AND d.other_source_ref = $2)
         OR (d.kind <> 'link' AND (d.citizen_id = $3 OR d.citizen_id IN (SELECT id FROM citizen WHERE merged_into = $3))))
   ORDER BY d.id`;

const KEPT_APART_SQL = `
  WITH recs AS (SELECT system, source_ref, citizen_id FROM citizen_link WHERE citizen_id IN ($1, $2) AND ended_at IS NULL)
  SELECT count(*) AS n FROM link_decision d
    JOIN recs r ON r.system = d.system AND r.source_ref = d.source_ref
    LEFT JOIN citizen c ON c.id = d.citizen_id
    LEFT JOIN recs o ON o.system = d.other_system AND o.source_ref = d.other_source_ref
   WHERE d.revoked_at IS NULL AND d.kind IN ('unlink', 'distinct')
     AND (coalesce(c.merged_into, c.id) = CASE WHEN r.citizen_id = $1 THEN $2 ELSE $1 END::bigint
          OR o.citizen_id = CASE WHEN r.citizen_id = $1 THEN $2 ELSE $1 END::bigint)`;

/**
 * Open review items upserted: an item already open for the record and account is refreshed. Each keeps the versions
 * of the two records it compared, as indexed (the batch's index is written before its reviews), so that a later
 * version withdraws it (linkage_settle_reviews, migration 060).
 */
export const REVIEW_SQL = `
  INSERT INTO person_review (system, source_ref, citizen_id, candidate_system, candidate_ref, weight, fields, model_decision, reason, model_version,
                             record_version, candidate_version)
  SELECT i.*,
         (SELECT p.source_record_id FROM person_record p WHERE p.system = i.system AND p.source_ref = i.source_ref),
         (SELECT p.source_record_id FROM person_record p WHERE p.system = i.candidate_system AND p.source_ref = i.candidate_ref)
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::real[], $7::jsonb[], $8::text[], $9::text[], $10::int[])
         AS i (system, source_ref, citizen_id, candidate_system, candidate_ref, weight, fields, model_decision, reason, model_version)
  ON CONFLICT (system, source_ref, citizen_id) WHERE status = 'open' DO UPDATE
    SET candidate_system = EXCLUDED.candidate_system, candidate_ref = EXCLUDED.candidate_ref, weight = EXCLUDED.weight,
        fields = EXCLUDED.fields, model_decision = EXCLUDED.model_decision, reason = EXCLUDED.reason, model_version = EXCLUDED.model_version,
        record_version = EXCLUDED.record_version, candidate_version = EXCLUDED.candidate_version`;

export function reviewColumns(items: readonly ReviewItem[]): unknown[] {
  return [
    items.map((i) => i.system), items.map((i) => i.sourceRef), items.map((i) => i.citizenId), items.map((i) => i.candidateSystem),
    items.map((i) => i.candidateRef), items.map((i) => i.weight), items.map((i) => JSON.stringify(i.fields)), items.map((i) => i.modelDecision),
    items.map((i) => i.reason), items.map((i) => i.modelVersion),
  ];
}

/** Reads and writes the database as linking goes. */
export class DbLinkStore implements LinkStore {
  constructor(
    protected readonly db: pg.PoolClient,
    protected readonly ctx: LinkageContext,
  ) {}

  async members(keys: readonly string[], system: string, sourceRef: string, also: readonly number[]): Promise<Member[]> {
    const { rows } = await this.db.query<{ citizen_id: string; system: string; source_ref: string; linked_by: LinkedBy; features: PersonRecord }>({
      name: 'linkage-members', text: MEMBERS_SQL, values: [keys, system, sourceRef, keys.map((k) => blockLimit(this.ctx, k)), also],
    });
    return rows.map((r) => ({
      citizenId: Number(r.citizen_id), key: recordKey(r.system, r.source_ref), system: r.system, sourceRef: r.source_ref, prepared: prepare(r.features, this.ctx.tables),
      bySteward: r.linked_by === 'steward',
    }));
  }

  async neighbours(_keys: readonly string[], _system: string, _sourceRef: string, members: Iterable<Member>): Promise<PreparedPerson[]> {
    const out: PreparedPerson[] = [];
    for (const m of members) if (m.prepared.accounts.length > 0) out.push(m.prepared);
    return out;
  }

  /** Its own decisions (link, unlink, distinct), those naming it as the other record, and those keeping other records out of its account. */
  async decisionsFor(system: string, sourceRef: string, home: number | null): Promise<Decisions> {
    const { rows } = await this.db.query<{ kind: string; citizen_id: string | null; system: string; source_ref: string; other_system: string | null; other_source_ref: string | null }>(
      DECISIONS_SQL, [system, sourceRef, home],
    );
    let target: number | null = null;
    const citizens: number[] = [];
    const barredRecords = new Set<string>();
    for (const d of rows) {
      if (d.system !== system || d.source_ref !== sourceRef) {
        barredRecords.add(recordKey(d.system, d.source_ref));
        continue;
      }
      if (d.kind === 'link' && d.citizen_id !== null) target = Number(d.citizen_id);
      if (d.kind !== 'link' && d.citizen_id !== null) citizens.push(Number(d.citizen_id));
      if (d.other_system !== null && d.other_source_ref !== null) barredRecords.add(recordKey(d.other_system, d.other_source_ref));
    }
    return {
      stewardTarget: target === null ? null : ((await survivors(this.db, [target]))[0] ?? null),
      barredCitizens: new Set(await survivors(this.db, citizens)),
      barredRecords,
    };
  }

  async stewardKeepsApart(a: number, b: number): Promise<boolean> {
    return Number((await this.db.query<{ n: string }>(KEPT_APART_SQL, [a, b])).rows[0]!.n) > 0;
  }

  createCitizen(actor: Actor, record?: { system: string; sourceRef: string; linkedBy: LinkedBy }): Promise<number> {
    return createCitizen(this.db, actor, record);
  }

  linkRecord(citizenId: number, system: string, sourceRef: string, linkedBy: LinkedBy, weight: number | null, actor: Actor): Promise<void> {
    return linkRecord(this.db, citizenId, system, sourceRef, linkedBy, weight, actor);
  }

  unlinkRecord(system: string, sourceRef: string, actor: Actor, why: string): Promise<number | null> {
    return unlinkRecord(this.db, system, sourceRef, actor, why);
  }

  splitRecord(system: string, sourceRef: string, linkedBy: LinkedBy, actor: Actor): Promise<number> {
    return splitRecord(this.db, system, sourceRef, linkedBy, actor);
  }

  async leaveAccount(system: string, sourceRef: string, actor: Actor): Promise<number> {
    return (await leaveAccount(this.db, system, sourceRef, actor)).account;
  }

  mergeCitizens(a: number, b: number, actor: Actor): Promise<number> {
    return mergeCitizens(this.db, a, b, actor);
  }

  settleEmptied(emptied: number, into: number, actor: Actor): Promise<number> {
    return settleEmptied(this.db, emptied, into, actor, () => this.mergeCitizens(emptied, into, actor));
  }

  memberCount(citizenId: number): Promise<number> {
    return memberCount(this.db, citizenId);
  }

  async openReview(item: ReviewItem): Promise<void> {
    await this.db.query(REVIEW_SQL, reviewColumns([item]));
  }

  async recordChanged(citizenId: number): Promise<void> {
    await citizenChanged(this.db, citizenId, 'citizen.updated');
  }
}
