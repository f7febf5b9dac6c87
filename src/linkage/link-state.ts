/**
 * Who is linked where, and which records hold each blocking key, in memory:
 * what a batch links against. A batch reads its part from the database
 * (BatchLinkStore.load); a large run keeps the whole of it across its batches
 * (LinkMirror), so that a batch reads none of it.
 */
import type pg from 'pg';
import type { PreparedPerson } from '../../matching/person/index.js';
import { recordKey } from './features.js';

export class LinkState {
  /** Records of each blocking key: a batch's state holds each key's block up to its limit and one more; a mirror all of it. */
  readonly blocks = new Map<string, string[]>();
  readonly linkOf = new Map<string, number>();
  readonly accounts = new Map<number, Set<string>>();
  /** Records' prepared forms at the version they are indexed at: a batch's records and the members of the accounts they reach. */
  readonly prepared = new Map<string, PreparedPerson>();
  /** Records a steward placed in their accounts (linked_by 'steward'). */
  readonly bySteward = new Set<string>();

  attach(key: string, citizenId: number, bySteward: boolean): void {
    this.linkOf.set(key, citizenId);
    const members = this.accounts.get(citizenId);
    if (members) members.add(key);
    else this.accounts.set(citizenId, new Set([key]));
    if (bySteward) this.bySteward.add(key);
    else this.bySteward.delete(key);
  }

  detach(key: string): number | null {
    const from = this.linkOf.get(key);
    if (from === undefined) return null;
    this.linkOf.delete(key);
    this.accounts.get(from)?.delete(key);
    this.bySteward.delete(key);
    return from;
  }

  /** Every record of `merged` now in `survivor`, placed by whom it was, as a merge leaves them. */
  moveAll(merged: number, survivor: number): void {
    for (const key of this.accounts.get(merged) ?? []) this.attach(key, survivor, this.bySteward.has(key));
    this.accounts.delete(merged);
  }
}

/** Rows read at a time when loading: a million records' keys in one result would be held whole, twice, as rows and as maps. */
const LOAD_CHUNK = 50_000;

const LOAD_SQL = `
  SELECT p.system, p.source_ref, p.source_record_id, p.block_keys, l.citizen_id, l.linked_by = 'steward' AS by_steward FROM person_record p
    LEFT JOIN citizen_link l ON l.system = p.system AND l.source_ref = p.source_ref AND l.ended_at IS NULL
   WHERE (p.system, p.source_ref) > ($1, $2)
   ORDER BY p.system, p.source_ref
   LIMIT ${LOAD_CHUNK}`;

/**
 * The whole linkage state of the database, kept by a run that links many
 * records (src/linkage/batch.ts) and changed by its batches as they change
 * the database. It is true only while nobody else holds the linkage lock
 * between the run's batches: every holder takes the next linkage generation
 * (src/linkage/context.ts), so a batch that finds any number but the one
 * after its run's last loads the state again.
 */
export class LinkMirror extends LinkState {
  /** Each record's keys (to take them out of their blocks when it is indexed again) and the version it is indexed at. */
  private readonly keysOf = new Map<string, readonly string[]>();
  readonly versionOf = new Map<string, string>();
  /** The generation of the last batch that left the database as this state says; null while a batch is changing both. */
  private generation: number | null = null;

  /** Every indexed record, its keys and its link, read in the caller's transaction, which holds the linkage lock; settled when that commits. */
  static async load(db: pg.PoolClient): Promise<LinkMirror> {
    const mirror = new LinkMirror();
    let after = ['', ''];
    for (;;) {
      const { rows } = await db.query<{ system: string; source_ref: string; source_record_id: string; block_keys: string[]; citizen_id: string | null; by_steward: boolean | null }>(
        { name: 'linkage-mirror-load', text: LOAD_SQL, values: after },
      );
      for (const r of rows) {
        const key = recordKey(r.system, r.source_ref);
        mirror.add(key, r.source_record_id, r.block_keys);
        if (r.citizen_id !== null) mirror.attach(key, Number(r.citizen_id), r.by_steward === true);
      }
      if (rows.length < LOAD_CHUNK) break;
      const last = rows[rows.length - 1]!;
      after = [last.system, last.source_ref];
    }
    return mirror;
  }

  /** Whether the state is the database's for a transaction of this generation. */
  currentAt(generation: number): boolean {
    return this.generation !== null && generation === this.generation + 1;
  }

  /** Marks the state changing with a batch; `settled` when the batch has committed. */
  changing(): void {
    this.generation = null;
  }

  settled(generation: number): void {
    this.generation = generation;
  }

  /** Records indexed (again): their old keys leave their blocks, their new ones join; their prepared form is this version's. */
  index(records: readonly { key: string; version: string; keys: readonly string[]; me: PreparedPerson }[]): void {
    for (const r of records) {
      this.prepared.set(r.key, r.me);
      for (const old of this.keysOf.get(r.key) ?? []) {
        const block = this.blocks.get(old);
        if (!block) continue;
        const at = block.indexOf(r.key);
        if (at >= 0) block.splice(at, 1);
        if (block.length === 0) this.blocks.delete(old);
      }
      this.add(r.key, r.version, r.keys);
    }
  }

  private add(key: string, version: string, keys: readonly string[]): void {
    this.keysOf.set(key, keys);
    this.versionOf.set(key, version);
    for (const k of keys) {
      const block = this.blocks.get(k);
      if (block) block.push(key);
      else this.blocks.set(k, [key]);
    }
  }
}
