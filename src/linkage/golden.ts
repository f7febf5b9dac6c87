/**
 * The golden record: the citizen view built from the account's linked source
 * records by survivorship. For each field the values are ranked: from an open
 * record before a closed one, verified before unverified (the systems that
 * verify each field are configured), then by source priority per field, then
 * the most recent. Every value carries its provenance. The view is
 * unfiltered: nothing from here may reach a response without the policy engine.
 */
import type pg from 'pg';
import type { CitizenView, Provenance } from '../../schemas/citizen-view.js';
import { categoryOfEntitlement, categoryOfSystem } from '../../schemas/categories.js';
import type { PersonName, SourceRecord } from '../../schemas/source-record.js';
import { addressKey, contactKey, nameKey as assertedNameKey, type AssertedSince } from '../intake/asserted-since.js';
import type { LinkedBy } from './accounts.js';
import { entitlementHolder, entitlementStatus, involvementAsOf } from './entitlements.js';
import { currentName } from './features.js';

export type GoldenField = 'name' | 'dateOfBirth' | 'sex' | 'nhsNumber' | 'nino' | 'address' | 'contact';

export interface SurvivorshipRules {
  /** Per field, systems in order of preference; systems not listed rank after those listed. */
  priority: Partial<Record<GoldenField, readonly string[]>>;
  /** Per field, the systems whose value counts as verified (e.g. a date of birth checked against a document). */
  verifiedBy: Partial<Record<GoldenField, readonly string[]>>;
}

export const DEFAULT_SURVIVORSHIP: SurvivorshipRules = {
  priority: {
    dateOfBirth: ['social-care', 'smartcard', 'revenues', 'housing'],
    sex: ['social-care', 'smartcard'],
    nhsNumber: ['social-care'],
    nino: ['revenues', 'housing'],
  },
  verifiedBy: {
    dateOfBirth: ['social-care', 'smartcard'],
    nhsNumber: ['social-care'],
    nino: ['revenues'],
    name: ['revenues', 'social-care'],
  },
};

/** One linked record, as survivorship sees it. */
export interface LinkedSource {
  system: string;
  sourceRef: string;
  record: SourceRecord;
  receivedAt: string;
  /** The source's own update time when it gave one, else when the hub received the record. */
  updatedAt: string;
  closed: boolean;
  linkedAt: string;
  linkedBy: LinkedBy;
  /** The UPRN of the record's residential address from address matching, with its status, when matched. */
  addressMatch: { uprn: number | null; status: 'matched' | 'review' | 'unmatched' } | null;
  /** Since when the source has asserted each value (src/intake/asserted-since.ts); without it, since updatedAt. */
  assertedSince?: AssertedSince | null;
}

interface Candidate<T> {
  value: T;
  from: LinkedSource;
  verified: boolean;
}

/** What ranking and provenance read of a record. */
type RankedSource = Pick<LinkedSource, 'system' | 'sourceRef' | 'receivedAt' | 'updatedAt' | 'closed' | 'assertedSince'>;

/** Since when the record's source has asserted the value of that key: a value held unchanged through later versions keeps its first time. */
const sinceOf = (from: RankedSource, key: string): string => from.assertedSince?.[key] ?? from.updatedAt;

/** Values are ranked by since when their source has asserted them (`since`), else by the record's last update. */
function rank<C extends { from: RankedSource; verified: boolean; since?: string }>(field: GoldenField, candidates: C[], rules: SurvivorshipRules): C[] {
  const order = rules.priority[field] ?? [];
  const priority = (system: string) => (order.includes(system) ? order.indexOf(system) : order.length);
  return [...candidates].sort((a, b) =>
    Number(a.from.closed) - Number(b.from.closed)
    || Number(b.verified) - Number(a.verified)
    || priority(a.from.system) - priority(b.from.system)
    || (b.since ?? b.from.updatedAt).localeCompare(a.since ?? a.from.updatedAt)
    || a.from.system.localeCompare(b.from.system)
    || a.from.sourceRef.localeCompare(b.from.sourceRef));
}

const provenance = (c: { from: RankedSource; verified: boolean }): Provenance => ({
  system: c.from.system, sourceRef: c.from.sourceRef, asOf: c.from.receivedAt, verified: c.verified,
});

function candidates<T>(field: GoldenField, sources: readonly LinkedSource[], rules: SurvivorshipRules, get: (r: SourceRecord) => T | null): Candidate<T>[] {
  const verifiers = rules.verifiedBy[field] ?? [];
  return sources.flatMap((from) => {
    const value = get(from.record);
    return value === null ? [] : [{ value, from, verified: verifiers.includes(from.system) }];
  });
}

function survivor<T>(field: GoldenField, sources: readonly LinkedSource[], rules: SurvivorshipRules, get: (r: SourceRecord) => T | null) {
  const best = rank(field, candidates(field, sources, rules, get), rules)[0];
  return best ? { value: best.value, source: provenance(best) } : null;
}

const nameKey = (n: PersonName) => `${n.forenames.join(' ')}|${n.surname}|${n.suffix ?? ''}`.toUpperCase();
const identifier = (scheme: 'nhs-number' | 'nino') => (r: SourceRecord) => r.identifiers.find((i) => i.scheme === scheme && i.valid)?.value ?? null;

/** What survivorship of addresses reads of a linked record. */
export type AddressSource = RankedSource & Pick<LinkedSource, 'addressMatch'> & { record: Pick<SourceRecord, 'addresses'> };

/**
 * The account's addresses, one per UPRN (or line and postcode), ranked, the current one first: the best-ranked
 * residential address in force of an open record. A household and a property's occupants follow the same choice.
 */
export function addressesOf(sources: readonly AddressSource[], rules: SurvivorshipRules = DEFAULT_SURVIVORSHIP): NonNullable<CitizenView['addresses']> {
  const verifiers = rules.verifiedBy.address ?? [];
  const candidates = rank('address', sources.flatMap((from) => from.record.addresses.map((value, i) => ({
    value, from, i, verified: verifiers.includes(from.system), since: sinceOf(from, addressKey(value)),
  }))), rules);
  const residentIndex = (r: AddressSource['record']) => r.addresses.findIndex((a) => a.kind === 'residential' && a.to === null);
  const seen = new Set<string>();
  let currentGiven = false;
  const addresses: NonNullable<CitizenView['addresses']> = [];
  for (const c of candidates) {
    const matched = c.i === residentIndex(c.from.record) ? c.from.addressMatch : null;
    // Only a match places someone: a review's UPRN is the matcher's unconfirmed best guess, and an address matched to
    // review or left unmatched had any UPRN its source gave checked and not confirmed.
    const uprn = matched ? (matched.status === 'matched' ? matched.uprn : null) : c.value.uprn;
    const line = c.value.lines.join(', ');
    const key = uprn !== null ? `u${uprn}` : `${line}|${c.value.postcode ?? ''}`.toUpperCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const isCurrent = !currentGiven && !c.from.closed && c.value.kind === 'residential' && c.value.to === null;
    if (isCurrent) currentGiven = true;
    addresses.push({
      uprn, line, postcode: c.value.postcode, current: isCurrent, source: provenance(c),
      matchStatus: matched?.status ?? (c.value.uprn !== null ? 'matched' : 'unmatched'),
    });
  }
  return addresses.sort((a, b) => Number(b.current) - Number(a.current));
}

/** The UPRN of the account's current address, as its view gives it; null when it has none or it is not matched. */
export const currentUprn = (sources: readonly AddressSource[], rules?: SurvivorshipRules): number | null =>
  addressesOf(sources, rules).find((a) => a.current)?.uprn ?? null;

/**
 * SQL: an account's current linked records as address survivorship reads them, one JSON array (`id`: an expression
 * for the account's id). Read for the people a household or an occupants list could name, so that each is named
 * only at the address their own view gives as current.
 */
export const addressSourcesSql = (id: string): string => `(SELECT coalesce(json_agg(json_build_object(
      'system', l.system, 'source_ref', l.source_ref, 'addresses', s.record->'addresses', 'received_at', s.received_at,
      'source_updated_at', s.source_updated_at, 'closed', s.closed, 'm_uprn', m.uprn, 'm_status', m.status, 'asserted_since', s.asserted_since)), '[]')
    FROM citizen_link l JOIN source_record s ON s.system = l.system AND s.source_ref = l.source_ref AND s.current
    LEFT JOIN address_match m ON m.source_record_id = s.id
   WHERE l.citizen_id = ${id} AND l.ended_at IS NULL)`;

export interface AddressSourceRow {
  system: string; source_ref: string; addresses: SourceRecord['addresses']; received_at: string; source_updated_at: string | null; closed: boolean;
  m_uprn: number | null; m_status: 'matched' | 'review' | 'unmatched' | null; asserted_since: AssertedSince | null;
}

const iso = (d: string) => new Date(d).toISOString();

export const addressSourceOf = (r: AddressSourceRow): AddressSource => ({
  system: r.system, sourceRef: r.source_ref, receivedAt: iso(r.received_at), updatedAt: iso(r.source_updated_at ?? r.received_at), closed: r.closed,
  addressMatch: r.m_status === null ? null : { uprn: r.m_uprn, status: r.m_status }, record: { addresses: r.addresses }, assertedSince: r.asserted_since,
});

/** Builds the view from the account's linked records as they stand on `today`, a London date (pure: no I/O). */
export function buildCitizenView(
  ref: string, sources: readonly LinkedSource[], household: CitizenView['household'], today: string, rules: SurvivorshipRules = DEFAULT_SURVIVORSHIP,
): CitizenView {
  const verifiedName = rules.verifiedBy.name ?? [];
  const names = rank('name', sources.flatMap((from) => from.record.names.map((value) => ({
    value, from, verified: verifiedName.includes(from.system), since: sinceOf(from, assertedNameKey(value)),
  }))), rules);
  const current = rank('name', names.filter((n) => n.value === currentName(n.from.record)), rules)[0] ?? names[0];
  const seenNames = new Set(current ? [nameKey(current.value)] : []);
  const otherNames = names.filter((n) => {
    const key = nameKey(n.value);
    if (seenNames.has(key)) return false;
    seenNames.add(key);
    return true;
  });

  const addresses = addressesOf(sources, rules);

  const contactCandidates = rank('contact', sources.flatMap((from) => from.record.contacts.filter((c) => c.valid).map((value) => ({
    value, from, verified: (rules.verifiedBy.contact ?? []).includes(from.system), since: sinceOf(from, contactKey(value)),
  }))), rules);
  const seenContacts = new Set<string>();
  const contact = contactCandidates.filter((c) => {
    const key = `${c.value.kind}|${c.value.value}`;
    if (seenContacts.has(key)) return false;
    seenContacts.add(key);
    return true;
  }).map((c) => ({ contact: c.value, source: provenance(c) }));

  return {
    ref,
    identity: {
      name: current ? { value: current.value, source: provenance(current) } : { value: { title: null, forenames: [], surname: '?', suffix: null, raw: null, kind: 'current' }, source: { system: null, sourceRef: null, asOf: new Date(0).toISOString(), verified: false } },
      otherNames: otherNames.map((n) => ({ value: n.value, source: provenance(n) })),
      dateOfBirth: survivor('dateOfBirth', sources, rules, (r) => r.dateOfBirth),
      sex: survivor('sex', sources, rules, (r) => r.sex),
      nhsNumber: survivor('nhsNumber', sources, rules, identifier('nhs-number')),
      nino: survivor('nino', sources, rules, identifier('nino')),
    },
    contact,
    addresses,
    household: household ?? [],
    entitlements: sources.flatMap((from) => from.record.entitlements.map((entitlement) => ({
      entitlement, category: categoryOfEntitlement(entitlement.kind, from.system), status: entitlementStatus(entitlement, from.closed, today),
      holder: entitlementHolder(entitlement), source: provenance({ from, verified: entitlement.evidence.verified }),
    }))),
    involvements: sources.flatMap((from) => from.record.involvements.map((involvement) => ({
      involvement: involvementAsOf(involvement, from.closed, today), category: categoryOfSystem(from.system), source: provenance({ from, verified: false }),
    }))),
    sourceRecords: sources.map((s) => ({ system: s.system, sourceRef: s.sourceRef, linkedAt: s.linkedAt, linkedBy: s.linkedBy, closed: s.closed })),
    withheld: [],
  };
}

/**
 * A condition on the record `s` at a UPRN: it has a residential address in
 * force. Without one its UPRN is where the person lived (every residential
 * address ended) or an address that is not a home (correspondence), and the
 * person is no occupant of it.
 */
export const LIVES_THERE = `EXISTS (SELECT FROM jsonb_array_elements(s.record->'addresses') x
    WHERE x->>'kind' = 'residential' AND jsonb_typeof(x->'to') IS DISTINCT FROM 'string')`;

/** Other active citizens whose current address (as their own view gives it) is one of the UPRNs. */
export async function citizensAt(db: pg.Pool | pg.PoolClient, uprns: readonly number[], except: number | null): Promise<{ citizenRef: string; name: string }[]> {
  if (uprns.length === 0) return [];
  const { rows } = await db.query<{ ref: string; features: { forenames: string[]; surname: string }; sources: AddressSourceRow[] }>({
    name: 'citizens-at',
    text: `WITH at AS (
       SELECT system, source_ref FROM person_record WHERE (features->>'uprn')::bigint = ANY($1::bigint[])
       UNION SELECT s.system, s.source_ref FROM address_match m JOIN source_record s ON s.id = m.source_record_id AND s.current
              WHERE m.uprn = ANY($1::bigint[]) AND m.status = 'matched'
     )
     SELECT DISTINCT ON (c.id) c.ref, p.features, ${addressSourcesSql('c.id')} AS sources
       FROM at JOIN citizen_link l ON l.system = at.system AND l.source_ref = at.source_ref AND l.ended_at IS NULL
       JOIN citizen c ON c.id = l.citizen_id AND c.status = 'active'
       JOIN person_record p ON p.system = at.system AND p.source_ref = at.source_ref
       JOIN source_record s ON s.system = at.system AND s.source_ref = at.source_ref AND s.current AND NOT s.closed
      WHERE c.id IS DISTINCT FROM $2 AND ${LIVES_THERE}
      ORDER BY c.id, at.system, at.source_ref`,
    values: [uprns, except],
  });
  // Someone with records in force at two addresses lives, by their own view, at one: named only there.
  const asked = new Set(uprns);
  return rows.filter((r) => asked.has(currentUprn(r.sources.map(addressSourceOf)) ?? NaN))
    .map((r) => ({ citizenRef: r.ref, name: [...r.features.forenames, r.features.surname].join(' ') }));
}
