/**
 * The audit entry of a listing of the trail itself (GET /v1/audit/disclosures,
 * `hub audit disclosures`). The entries listed say who saw a person's data,
 * and their reasons name the person's consents, objections and restrictions,
 * so a listing is an act of oversight like an access explanation: filtered
 * by citizen, it is recorded about that citizen (subject access then shows
 * that the DPO looked); otherwise about no one. The filters and how many
 * entries it gave are in `detail`.
 */
import { oversightEntry, type Actor } from '../register/change-entry.js';
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
