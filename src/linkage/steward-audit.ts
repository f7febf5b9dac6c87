/**
 * Audit entries of stewards' linkage work: a page of the person review
 * queue shows the records of the people it names, and a decision moves a
 * record between accounts. Both are recorded about each citizen concerned
 * (who saw or changed what about whom), in the transaction of the read or
 * decision.
 */
import type { AuthenticatedClient } from '../auth/clients.js';
import type { StoredEntry } from '../audit/store.js';
import { categoryOfSystem, type DataCategory } from '../../schemas/categories.js';
import { POLICY_VERSION } from '../policy/decide.js';
import type { PersonReviewItem, ReviewSide } from './review.js';

/** The purpose stewards' linkage work is recorded under. */
export const STEWARDSHIP_PURPOSE = 'data-stewardship';

export interface StewardCaller {
  client: AuthenticatedClient;
  requestId: string;
  at: Date;
}

/** The category of each field of a review side's person; the system's own category is added per side. */
const FIELD_CATEGORY: Readonly<Record<string, DataCategory>> = {
  forenames: 'identity', surname: 'identity', dob: 'identity', sex: 'identity', nhsNumber: 'identity', nino: 'identity', otherId: 'identity',
  uprn: 'address', postcode: 'address', street: 'address', houseNumber: 'address', town: 'address',
  phone: 'contact', email: 'contact',
};

/**
 * An entry of a steward's work about one person: the citizen, or null for a
 * person known so far only by a source record, which `detail` then names.
 * Shared with the address review queue (src/addresses/review-audit.ts).
 */
export function stewardEntry(caller: StewardCaller, action: string, citizenRef: string | null, shown: { categories: DataCategory[]; fields: string[] }, detail: unknown): StoredEntry {
  return {
    at: caller.at.toISOString(),
    requestId: caller.requestId,
    action,
    clientId: caller.client.id,
    orgId: caller.client.orgId,
    role: caller.client.role,
    purpose: STEWARDSHIP_PURPOSE,
    citizenRef,
    agreements: [],
    consentIds: [],
    categoriesDisclosed: shown.categories,
    categoriesDenied: [],
    fieldsDisclosed: shown.fields,
    decision: 'permit',
    reasons: {},
    policyVersion: POLICY_VERSION,
    breakGlassReason: null,
    reviewRequired: false,
    // JSON round trip: the stored jsonb must read back to exactly what was hashed.
    detail: JSON.parse(JSON.stringify(detail)) as Record<string, unknown>,
  };
}

interface Shown {
  reviewIds: Set<number>;
  records: Set<string>;
  categories: Set<DataCategory>;
  fields: Set<string>;
}

function see(seen: Map<string, Shown>, ref: string | null, item: PersonReviewItem, side: ReviewSide): void {
  if (ref === null) return;
  let shown = seen.get(ref);
  if (!shown) seen.set(ref, (shown = { reviewIds: new Set(), records: new Set(), categories: new Set(), fields: new Set() }));
  shown.reviewIds.add(item.id);
  shown.records.add(JSON.stringify([side.system, side.sourceRef]));
  // Naming the system discloses that it holds a record about the person (known to social care).
  shown.categories.add(categoryOfSystem(side.system));
  for (const [field, value] of Object.entries(side.person ?? {})) {
    const category = FIELD_CATEGORY[field];
    if (!category || value === null || value === undefined) continue;
    shown.categories.add(category);
    shown.fields.add(field);
  }
}

/** One entry per citizen a page of the review queue showed records of: which items, which records, which fields. */
export function reviewReadEntries(caller: StewardCaller, items: readonly PersonReviewItem[]): StoredEntry[] {
  const seen = new Map<string, Shown>();
  for (const item of items) {
    see(seen, item.record.citizenRef, item, item.record);
    see(seen, item.candidate.citizenRef, item, item.candidate);
    see(seen, item.candidateCitizenRef, item, item.candidate);
  }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([ref, shown]) => stewardEntry(
    caller, 'linkage.review.read', ref,
    { categories: [...shown.categories].sort(), fields: [...shown.fields].sort() },
    { reviewIds: [...shown.reviewIds].sort((a, b) => a - b), records: [...shown.records].sort().map((r) => { const [system, sourceRef] = JSON.parse(r) as [string, string]; return { system, sourceRef }; }) },
  ));
}

/** One entry per account a decision concerns (the record's before and after, the candidate's), each with the whole decision. */
export function decisionEntries(caller: StewardCaller, action: string, concerns: readonly (string | null)[], detail: Record<string, unknown>): StoredEntry[] {
  const refs = [...new Set(concerns.filter((r): r is string => r !== null))].sort();
  return refs.map((ref) => stewardEntry(caller, action, ref, { categories: [], fields: [] }, detail));
}
