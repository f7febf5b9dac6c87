/**
 * Audit entries of stewards' address review. An item of the queue shows an
 * address as source records wrote it, which is where the people they are
 * about live; a decision changes the property those records are matched
 * to. Both are recorded about each person concerned, in the read's or the
 * decision's transaction, as linkage stewardship is (src/linkage/steward-audit.ts).
 *
 * A person is the citizen a record is linked to. A record that linkage has
 * not placed yet belongs to no account, so it has an entry of its own with
 * citizenRef null; every entry names its records in `detail.records`, so
 * the trail finds those entries by the record once it is linked.
 */
import type { StoredEntry } from '../audit/store.js';
import { stewardEntry, type StewardCaller } from '../linkage/steward-audit.js';
import type { AddressDecided, ReviewRecord } from './records.js';

/** Of a queue item, what decides the fields an entry records: its postcode is shown only when the source gave one. */
export interface ShownItem {
  id: number;
  postcode: string | null;
}

interface Person {
  citizenRef: string | null;
  records: ReviewRecord[];
}

/** The records grouped by person, citizens first (by reference), then the records linked to no one. */
function byPerson(records: readonly ReviewRecord[]): Person[] {
  const people = new Map<string, Person>();
  for (const record of records) {
    const key = record.citizenRef !== null ? `c ${record.citizenRef}` : `r ${JSON.stringify([record.system, record.sourceRef])}`;
    let person = people.get(key);
    if (!person) people.set(key, (person = { citizenRef: record.citizenRef, records: [] }));
    person.records.push(record);
  }
  return [...people.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, person]) => person);
}

const recordOrder = (a: ReviewRecord, b: ReviewRecord): number =>
  a.system < b.system ? -1 : a.system > b.system ? 1 : a.sourceRef < b.sourceRef ? -1 : a.sourceRef > b.sourceRef ? 1 : 0;

/** Each record once (an older version may wait on another item of the page), in a stable order. */
function namedRecords(records: readonly ReviewRecord[]): { system: string; sourceRef: string }[] {
  const unique = new Map(records.map((r) => [JSON.stringify([r.system, r.sourceRef]), r]));
  return [...unique.values()].sort(recordOrder).map((r) => ({ system: r.system, sourceRef: r.sourceRef }));
}

/**
 * One entry per person whose address a page of the queue showed (category
 * address: the text, the postcode when given, and the matcher's result, which
 * parses and compares that text), with the items and records in `detail`.
 */
export function addressReviewReadEntries(caller: StewardCaller, items: readonly ShownItem[], records: readonly ReviewRecord[]): StoredEntry[] {
  const withPostcode = new Set(items.filter((i) => i.postcode !== null).map((i) => i.id));
  return byPerson(records).map((person) => {
    const reviewIds = [...new Set(person.records.map((r) => r.reviewId))].sort((a, b) => a - b);
    const fields = reviewIds.some((id) => withPostcode.has(id)) ? ['postcode', 'result', 'text'] : ['result', 'text'];
    return stewardEntry(caller, 'addresses.review.read', person.citizenRef, { categories: ['address'], fields }, { reviewIds, records: namedRecords(person.records) });
  });
}

/**
 * One entry per person whose records a decision matched again: the item, the
 * UPRN chosen (null for "no match"), and each of the person's records with
 * the UPRN it was matched to before (`from`). A revision names the UPRN of the
 * decision it replaces (`revisedFrom`); a decision confirmed against the
 * input's street and postcode says so (`confirmed`).
 */
export function addressDecisionEntries(caller: StewardCaller, decided: AddressDecided): StoredEntry[] {
  return byPerson(decided.records).map((person) => stewardEntry(
    caller, 'addresses.review.decide', person.citizenRef, { categories: [], fields: [] },
    {
      reviewId: decided.id, uprn: decided.uprn,
      ...(decided.revisedFrom !== undefined ? { revisedFrom: decided.revisedFrom } : {}),
      ...(decided.confirmed ? { confirmed: true } : {}),
      records: [...person.records].sort(recordOrder).map((r) => ({ system: r.system, sourceRef: r.sourceRef, from: r.uprn })),
    },
  ));
}
