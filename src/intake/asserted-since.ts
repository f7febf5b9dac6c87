/**
 * Since when a source has asserted each value of a record: its addresses,
 * contacts and names. A system that still holds someone's old address, and
 * sends it again with some other change (a new mobile number), has not moved
 * them back: survivorship (src/linkage/golden.ts) ranks a value by when its
 * source first gave it, not by when the record last changed.
 *
 * Each stored version carries a map (source_record.asserted_since) from the
 * key of each of its values to the time its source began asserting it, or
 * null for "since this version" (its own update time). Pure; the SQL twin of
 * valueKeys, for migration 061's backfill, is source_record_value_keys.
 */
import type { Contact, PersonName, SourceAddress, SourceRecord } from '../../schemas/source-record.js';

/** Keys' parts are joined with the unit separator, a control character intake never stores in a value. */
const US = '\x1f';

export const addressKey = (a: Pick<SourceAddress, 'kind' | 'lines' | 'postcode'>): string => `a:${a.kind}${US}${a.lines.join(US)}${US}${a.postcode ?? ''}`;
export const contactKey = (c: Pick<Contact, 'kind' | 'value'>): string => `c:${c.kind}${US}${c.value}`;
export const nameKey = (n: Pick<PersonName, 'forenames' | 'surname' | 'suffix'>): string => `n:${n.forenames.join(' ')}${US}${n.surname}${US}${n.suffix ?? ''}`;

/** The keys of a record's values, each once. */
export function valueKeys(record: Pick<SourceRecord, 'addresses' | 'contacts' | 'names'>): string[] {
  return [...new Set([...record.addresses.map(addressKey), ...record.contacts.map(contactKey), ...record.names.map(nameKey)])];
}

/** Key to since when (ISO time), or null: since the version's own time. */
export type AssertedSince = Record<string, string | null>;

/** The version before, as carrying a value forward reads it. */
export interface PreviousVersion {
  since: AssertedSince | null;
  /**
   * Its own time: the source's update time, else when the hub received it (ISO); null when that is the new version's
   * own time too (both received in one transaction, neither with an update time), which a null in the new map means.
   */
  ownTime: string | null;
}

/**
 * A new version's map: a value its previous current version held keeps the
 * time it was first asserted; any other is asserted since this version.
 */
export function assertedSince(keys: readonly string[], previous: PreviousVersion | null): AssertedSince {
  const since: AssertedSince = {};
  for (const key of keys) {
    const held = previous?.since && key in previous.since ? previous.since[key] : undefined;
    since[key] = held === undefined ? null : held ?? previous!.ownTime;
  }
  return since;
}
