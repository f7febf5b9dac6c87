/**
 * The audit entry of a listing of the trail itself (GET /v1/audit/disclosures,
 * `hub audit disclosures`). The entries listed say who saw a person's data,
 * and their reasons name the person's consents, objections and restrictions,
 * so a listing is an act of oversight like an access explanation: filtered
 * by citizen, it is recorded about that citizen (subject access then shows
 * that the DPO looked); otherwise about no one. The filters and how many
 * entries it gave are in `detail`.
 */
import type { CitizenSource } from '../citizens/source.js';
import { isValidCitizenRef } from '../linkage/reference.js';
import { oversightEntry, type Actor } from '../register/change-entry.js';
import type { AuditEntry } from './chain.js';
import type { DisclosureFilters, StoredEntry } from './store.js';

export const DISCLOSURES_LIST = 'audit.disclosures.list';

/**
 * A `hub` command has no API client: whoever runs it holds the database's
 * credentials. Its entries name client 0 and organisation 0, which no
 * client or organisation has (both are sequences from 1), in the role the
 * command serves; `detail` says which command and which operating system user.
 */
export const COMMAND_ACTOR: Actor = { id: 0, orgId: 0, role: 'dpo' };

export function disclosuresListEntry(
  actor: Actor, requestId: string, at: Date, filters: DisclosureFilters, count: number, extra: Record<string, unknown> = {},
): StoredEntry {
  // The citizen's source records are looked up, not asked for: the filters as asked are enough to say what was listed.
  const { records: _records, ...asked } = filters;
  const citizen = asked.citizen === undefined ? null : ([] as string[]).concat(asked.citizen)[0] ?? null;
  return oversightEntry(actor, requestId, at, DISCLOSURES_LIST, citizen, { ...extra, filters: asked, count });
}

/** The decisions an entry records, by which a listing may be filtered (`decision=deny`: the refusals). */
export const DECISIONS = ['permit', 'partial', 'deny'] as const satisfies readonly AuditEntry['decision'][];

/** A citizen reference as the hub issues them: 'C', nine digits and a check digit. */
export const CITIZEN_REF_PATTERN = '^C[0-9]{10}$';

/** Why `ref` cannot be a citizen reference (never quoting it: it may be a name), or null. */
export function citizenRefProblem(ref: string): string | null {
  if (!new RegExp(CITIZEN_REF_PATTERN).test(ref)) return "is not a citizen reference ('C', nine digits and a check digit)";
  return isValidCitizenRef(ref) ? null : 'is not a citizen reference (its check digit does not match)';
}

/**
 * The filter of a listing by citizen: the person's current reference, then
 * the references merged into it, and the records linked to them. An old
 * (merged) reference lists the same person as its survivor, as every other
 * citizen route reaches the survivor; a reference the hub does not hold
 * lists the entries recorded under it (a refused request names the
 * reference as sent). `today` (London) is the view's day: only whether the
 * reference was merged is read here, which the day does not change.
 */
export async function citizenFilter(
  source: Pick<CitizenSource, 'view' | 'mergedInto' | 'linkedRecords'>, ref: string, today: string,
): Promise<Required<Pick<DisclosureFilters, 'citizen'>> & Pick<DisclosureFilters, 'records'>> {
  const found = await source.view(ref, today);
  const current = found !== null && 'redirectTo' in found ? found.redirectTo : ref;
  const merged = source.mergedInto ? await source.mergedInto(current) : [];
  return { citizen: [current, ...merged.filter((m) => m !== current)], ...(source.linkedRecords ? { records: await source.linkedRecords(current) } : {}) };
}
