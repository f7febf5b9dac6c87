/**
 * The register inputs a citizen read may take from memory instead of the
 * database: each organisation's agreements as last read, stamped with the
 * agreements' version (migration 020), and which citizens were last found to
 * have consents, objections or restrictions.
 *
 * Nothing here is trusted on its own. A read decided from the cache sends
 * its audit insert with `registerGuard`: the insert happens only if, in the
 * insert's own statement, the agreements are still at the cached version
 * and the citizen (with every reference merged into it) still has no
 * consent, objection or restriction. Otherwise it inserts nothing, the
 * read's transaction discloses nothing, and the read is decided again from
 * the register (src/citizens/disclosure.ts). A change committed before the
 * insert therefore counts for the read, as it does when the read reads the
 * register itself; the cache can only make a read take the slow way.
 */
import type { SharingAgreement } from '../../schemas/register.js';
import type { CitizenRegister } from '../policy/decide.js';

/** The agreements naming one organisation as a recipient, at one version. */
export interface CachedAgreements {
  version: number;
  agreements: readonly SharingAgreement[];
  /** Whatever a caller derives from them (decisions), dropped with them. */
  derived: Map<string, unknown>;
}

/** How many citizens with register records are remembered (each costs a wasted fast attempt when forgotten). */
const RECORD_HOLDERS = 10_000;

export class RegisterInputCache {
  private readonly agreements = new Map<number, CachedAgreements>();
  private readonly holders = new Map<string, true>();

  /** The organisation's agreements, if read before; possibly out of date (the guard finds out). */
  agreementsOf(orgId: number): CachedAgreements | undefined {
    return this.agreements.get(orgId);
  }

  /** Whether the citizen was last seen with register records, so that a read should go to the register at once. */
  hasRecords(ref: string): boolean {
    return this.holders.has(ref);
  }

  /**
   * What a read of the register found (policyInputs, one snapshot): the
   * organisation's agreements at `version`, and for each citizen whether
   * it has records.
   */
  learn(orgId: number, version: number | null, agreements: readonly SharingAgreement[], registers: Iterable<CitizenRegister>): void {
    if (version === null) this.agreements.delete(orgId);
    else if (this.agreements.get(orgId)?.version !== version) this.agreements.set(orgId, { version, agreements, derived: new Map() });
    for (const register of registers) {
      const held = register.consents.length + register.objections.length + register.restrictions.length > 0;
      if (!held) {
        this.holders.delete(register.ref);
      } else if (!this.holders.has(register.ref)) {
        if (this.holders.size >= RECORD_HOLDERS) this.holders.delete(this.holders.keys().next().value!);
        this.holders.set(register.ref, true);
      }
    }
  }

  /** A guarded insert found the register changed: the organisation's agreements are read again next time. */
  forget(orgId: number): void {
    this.agreements.delete(orgId);
  }
}

/**
 * The condition an audit entry is inserted under when its read was decided
 * from cached agreements at `agreementsVersion` for citizens with no
 * register records: true while both still hold, in the inserting
 * statement's snapshot.
 */
export interface RegisterGuard {
  agreementsVersion: number;
  /** The citizen and the references merged into it. */
  citizenRefs: readonly string[];
}

/**
 * The guards of the entries of one insert as SQL, true for the entry whose
 * 1-based index is `row`, over three parameters from `first`: each entry's
 * version (bigint[]), and every entry's references as pairs of the entry's
 * index (int[]) and the reference (text[]). The entries some of whose
 * references hold register records are found once a statement (an
 * uncorrelated ARRAY, so each reference is probed once, not once an entry),
 * each register table by its citizen_ref index: OFFSET 0 keeps the planner
 * from turning an EXISTS into a hashed subplan, which reads the whole table
 * at every insert (a batch's prepared statement chose it once the tables
 * held thousands of records; docs/benchmarks.md, "register records").
 */
export function registerGuardSql(row: string, first: number): string {
  const versions = `$${first}::bigint[]`;
  const owners = `$${first + 1}::int[]`;
  const refs = `$${first + 2}::text[]`;
  return `(SELECT agreements FROM register_version) = (${versions})[${row}]
       AND ${row} <> ALL (ARRAY(SELECT g.i FROM unnest(${owners}, ${refs}) g(i, ref)
             WHERE EXISTS (SELECT FROM consent WHERE citizen_ref = g.ref OFFSET 0)
                OR EXISTS (SELECT FROM objection WHERE citizen_ref = g.ref OFFSET 0)
                OR EXISTS (SELECT FROM restriction WHERE citizen_ref = g.ref OFFSET 0)))`;
}

/** The parameters of registerGuardSql for these guards, one per entry in order. */
export function registerGuardValues(guards: readonly RegisterGuard[]): unknown[] {
  const owners: number[] = [];
  const refs: string[] = [];
  guards.forEach((guard, i) => {
    for (const ref of guard.citizenRefs) {
      owners.push(i + 1);
      refs.push(ref);
    }
  });
  return [guards.map((g) => g.agreementsVersion), owners, refs];
}
