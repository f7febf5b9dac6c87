/**
 * Whether a record's entitlements and involvements are in force on a given
 * day (pure: the day is given). An adviser reads "verified" as "nobody needs
 * to prove this again", so an award that ended, or whose record its system
 * closed or withdrew, must not read as one in force.
 */
import type { Entitlement, ServiceInvolvement } from '../../schemas/source-record.js';

/** current: in force today; ended: its `to` has passed or its record is closed; future: its `from` is to come. */
export type EntitlementStatus = 'current' | 'ended' | 'future';

/** person: evidence about the person; account: granted to an account the person is a party of, not evidence about them. */
export type EntitlementHolder = 'person' | 'account';

/**
 * Kinds a source grants to an account rather than to a person: a council-tax
 * disability reduction goes to the property's account because someone who
 * lives there is disabled, who may be neither liable party.
 */
const HELD_BY_ACCOUNT: ReadonlySet<Entitlement['kind']> = new Set(['disability-reduction']);

/** Dates are ISO `YYYY-MM-DD`, so they compare as strings; `to` is the last day in force. */
export function entitlementStatus(entitlement: Pick<Entitlement, 'from' | 'to'>, recordClosed: boolean, today: string): EntitlementStatus {
  if (recordClosed || (entitlement.to !== null && entitlement.to < today)) return 'ended';
  if (entitlement.from !== null && entitlement.from > today) return 'future';
  return 'current';
}

export const entitlementHolder = (entitlement: Pick<Entitlement, 'kind'>): EntitlementHolder =>
  (HELD_BY_ACCOUNT.has(entitlement.kind) ? 'account' : 'person');

/** The involvement as it stands today: closed once its record is closed or its `to` has passed, whatever the source last said. */
export function involvementAsOf(involvement: ServiceInvolvement, recordClosed: boolean, today: string): ServiceInvolvement {
  const ended = recordClosed || (involvement.to !== null && involvement.to < today);
  return ended && involvement.status !== 'closed' ? { ...involvement, status: 'closed' } : involvement;
}
