/**
 * A source system saying that a record is gone (`DELETE
 * /v1/sources/{system}/records/{ref}`): what a full extract says by leaving
 * a record out, for a system that pushes. The record gets a closing version
 * as one a full extract lacks does (closing.ts), with raw_format
 * `withdrawn-by-source`, under an intake of its own (channel push), and opens
 * again when it is pushed again (store.ts).
 *
 * The reference is the source's: for a mapping with parties, a row's
 * reference (every party of the row) or one party's (the row's reference
 * and the party's suffix, `ACCOUNT-2`); otherwise the record's. A reference
 * that names both a row and a party of another row (row `A-1`, and party 1
 * of row `A`) is ambiguous and refused; the row's reference with `party`
 * never is.
 */
import type pg from 'pg';
import { storeClosingVersions } from './closing.js';
import { createIntake, ingestPrepared, type IntakeSource } from './ingest.js';
import { WITHDRAWN_FORMAT, type PreparedItems } from './store.js';

/** How the reference was read: a row (all its parties), one party of a row, or a record of a system without parties. */
export type RefForm = 'row' | 'party' | 'record';

/** The mapping's parties, as far as references go: how many party columns it has, or that it has a party per element. */
export type PartiesOf = { columns: number } | { each: true } | null;

export interface Target {
  form: RefForm;
  /** The source refs of the records named, current ones, in order. */
  refs: string[];
}

export type Resolution = Target | { ambiguous: { row: string[]; party: string } } | null;

export interface Withdrawal {
  system: string;
  /** The reference as the source gave it. */
  ref: string;
  party?: number;
  /** The source's time of the withdrawal (ISO 8601, UTC): older than a record's own update time, it leaves the record open. */
  updatedAt: string | null;
  requestId: string;
  clientId: number;
}

export interface Withdrawn {
  intakeId: number;
  /** Closed by this withdrawal. */
  closed: string[];
  /** Closed already (a withdrawal repeated, or closed by other means): nothing to do. */
  alreadyClosed: string[];
  /** Open, with a current version the source updated after the withdrawal's time: left open. */
  stale: string[];
}

const CURRENT = `SELECT source_ref AS "sourceRef" FROM source_record WHERE system = $1 AND current AND source_ref = ANY($2::text[])`;
const LOCK = `
  SELECT source_ref AS "sourceRef", closed, source_updated_at AS "sourceUpdatedAt"
    FROM source_record WHERE system = $1 AND current AND source_ref = ANY($2::text[])
   ORDER BY source_ref FOR UPDATE`;
/** Locks taken again while a version they waited for was replaced: each retry follows another writer's commit, so few are needed. */
const LOCK_ATTEMPTS = 20;

type Named = { sourceRef: string; closed: boolean; sourceUpdatedAt: Date | null };

/**
 * The current versions of the refs, locked. A push or extract that replaced
 * one while LOCK waited for it leaves that ref out: the version it waited for
 * is no longer current, and the new one is not in the statement's snapshot.
 * Every ref named has a current version (versions replace each other), so
 * LOCK runs again, in a newer snapshot, until it holds them all.
 */
async function lockCurrent(db: pg.PoolClient, system: string, refs: readonly string[]): Promise<Named[]> {
  const wanted = new Set(refs).size;
  for (let attempt = 1; ; attempt++) {
    const named = (await db.query<Named>(LOCK, [system, refs])).rows;
    if (named.length >= wanted) return named;
    if (attempt === LOCK_ATTEMPTS) throw new Error(`records of ${system} kept changing while their withdrawal waited for them`);
  }
}
const COUNT = 'UPDATE intake SET read = $2, accepted = $3, unchanged = $4, closed = $3 WHERE id = $1';

/** A party's source ref: its row's reference and its position. */
const PARTY_REF = /^(.+)-([1-9][0-9]*)$/;
// Parties per element are looked for among the first this many positions, then twice as many while the last half held one.
const PROBE = 64;

const suffix = (ref: string): number => Number(PARTY_REF.exec(ref)![2]);

async function current(db: pg.Pool, system: string, refs: string[]): Promise<string[]> {
  return (await db.query<{ sourceRef: string }>(CURRENT, [system, refs])).rows.map((r) => r.sourceRef);
}

/**
 * The source refs of a row's parties, in order. Looked up by their refs
 * (ROW-1, ROW-2...) on the index, not by prefix, which the database's
 * collation may not order together. A party per element is found unless
 * more than PROBE / 2 consecutive elements named nobody.
 */
async function partiesOfRow(db: pg.Pool, system: string, row: string, parties: Exclude<PartiesOf, null>): Promise<string[]> {
  for (let n = ('columns' in parties ? parties.columns : PROBE); ; n *= 2) {
    const found = await current(db, system, Array.from({ length: n }, (_, i) => `${row}-${i + 1}`));
    const highest = Math.max(0, ...found.map(suffix));
    if ('columns' in parties || highest <= n / 2) return found.sort((a, b) => suffix(a) - suffix(b));
  }
}

/**
 * The records a reference names, or null when it names none. With `party`,
 * party N of row `ref`; otherwise, for a mapping with parties, the row `ref`
 * or the party `ref`, ambiguous when both exist.
 */
export async function resolveRef(db: pg.Pool, system: string, ref: string, parties: PartiesOf, party?: number): Promise<Resolution> {
  if (!parties) {
    const refs = await current(db, system, [ref]);
    return refs.length > 0 ? { form: 'record', refs } : null;
  }
  if (party !== undefined) {
    const refs = await current(db, system, [`${ref}-${party}`]);
    return refs.length > 0 ? { form: 'party', refs } : null;
  }
  const row = await partiesOfRow(db, system, ref, parties);
  // Every source ref of a mapping with parties is a party's: one that exists as given is a party reference.
  const asParty = PARTY_REF.test(ref) && (await current(db, system, [ref])).length > 0;
  if (row.length > 0 && asParty) return { ambiguous: { row, party: ref } };
  if (row.length > 0) return { form: 'row', refs: row };
  if (asParty) return { form: 'party', refs: [ref] };
  return null;
}

async function* nothing(): AsyncGenerator<PreparedItems> {}

/**
 * Closes the records of `target` under a new intake (channel push): each
 * open one whose update time is not after the withdrawal's gets a closing
 * version, handed to `onAccepted` in the transaction that stores it, as a
 * pushed record is. The intake counts the records named as read, those
 * closed as accepted (and closed), the rest as unchanged.
 */
export async function withdraw(
  pool: pg.Pool, withdrawal: Withdrawal, target: Target,
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>,
): Promise<Withdrawn> {
  const { system, ref, party, updatedAt, requestId, clientId } = withdrawal;
  const source: IntakeSource = { system, channel: 'push', requestId, clientId, rawFormat: WITHDRAWN_FORMAT };
  const intakeId = await createIntake(pool, source);
  const result: Withdrawn = { intakeId, closed: [], alreadyClosed: [], stale: [] };
  await ingestPrepared(pool, intakeId, source, nothing(), {
    beforeFinish: async (db) => {
      await db.query('BEGIN');
      try {
        const open: string[] = [];
        const named = await lockCurrent(db, system, target.refs);
        // Locked in the collation's order, answered in the target's (parties by position).
        const order = new Map(target.refs.map((r, i) => [r, i]));
        named.sort((a, b) => order.get(a.sourceRef)! - order.get(b.sourceRef)!);
        for (const r of named) {
          if (r.closed) result.alreadyClosed.push(r.sourceRef);
          else if (updatedAt !== null && r.sourceUpdatedAt !== null && Date.parse(updatedAt) < r.sourceUpdatedAt.getTime()) result.stale.push(r.sourceRef);
          else open.push(r.sourceRef);
        }
        const raw = JSON.stringify({ withdrawnBySource: { intake: intakeId, requestId, ref, ...(party !== undefined ? { party } : {}), updatedAt } });
        result.closed = await storeClosingVersions(db, { id: intakeId, system }, open, {
          rawFormat: WITHDRAWN_FORMAT, raw: () => raw, position: () => ({ requestId, withdrawn: ref }), sourceUpdatedAt: updatedAt,
        }, onAccepted);
        await db.query(COUNT, [intakeId, named.length, result.closed.length, named.length - result.closed.length]);
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  });
  return result;
}
