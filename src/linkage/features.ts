/**
 * What linkage compares of a source record: the canonical SourceRecord
 * reduced to the library's PersonRecord. Invalid identifiers and contacts
 * are left out (they are never match evidence); the address is the current
 * residential one, split into street and house number by the address parser,
 * with its UPRN as given or as matched.
 */
import { EMPTY_VOCABULARY, parseAddress, type ParsedAddress } from '../../matching/address/index.js';
import type { PersonRecord } from '../../matching/person/index.js';
import type { Identifier, PersonName, SourceAddress, SourceRecord } from '../../schemas/source-record.js';

/**
 * The most characters of a value linkage indexes (blocking keys, and the
 * features citizen search looks up through btree and GIN indexes, which take
 * at most 2,704 bytes a key). Intake refuses longer names and identifiers
 * (adapters/mapping/map.ts, LIMITS), but records stored before it did, or
 * values such as a joined address, could be longer: one of them must not fail
 * the statement that indexes its whole batch.
 */
export const INDEXED_MAX = 200;

/** The text cut to `max` characters, never between the two halves of a surrogate pair (which PostgreSQL refuses in JSON). */
export function clip(text: string, max = INDEXED_MAX): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

const clipped = (text: string | null): string | null => (text === null ? null : clip(text));

/** The PersonRecord id of a source record: system names cannot hold '|', so the split is unambiguous. */
export const recordKey = (system: string, sourceRef: string): string => `${system}|${sourceRef}`;

export function splitKey(key: string): { system: string; sourceRef: string } {
  const at = key.indexOf('|');
  return { system: key.slice(0, at), sourceRef: key.slice(at + 1) };
}

export const currentName = (record: SourceRecord): PersonName =>
  record.names.find((n) => n.kind === 'current') ?? (record.names[0] as PersonName);

/** The residential address in force (no end date), else the first residential one, else the first. */
export function currentAddress(record: SourceRecord): SourceAddress | null {
  const residential = record.addresses.filter((a) => a.kind === 'residential');
  return residential.find((a) => a.to === null) ?? residential[0] ?? record.addresses[0] ?? null;
}

const identifier = (ids: readonly Identifier[], scheme: Identifier['scheme']): string | null =>
  ids.find((i) => i.scheme === scheme && i.valid)?.value ?? null;

function houseNumber(pao: { startNumber: number | null; startSuffix: string | null; text: string | null }): string | null {
  if (pao.startNumber !== null) return `${pao.startNumber}${pao.startSuffix ?? ''}`;
  return pao.text;
}

/**
 * A record's features as person_record stores them: what linkage compares,
 * and every valid phone and email of the record, which citizen search looks
 * up (linkage compares the first of each only). Emails are lower-cased, as
 * the search compares them; a valid one is ASCII (validateEmail), so
 * JavaScript and PostgreSQL lower-case it alike (migration 054 fills these
 * in for the records indexed before).
 */
export interface RecordFeatures extends PersonRecord {
  phones: string[];
  emails: string[];
}

/**
 * `matchedUprn`: the UPRN address matching found for the record's address,
 * used when the source gave none, so that two systems' spellings of one
 * property agree on it. `matchedParse`: how address matching parsed that
 * address (with the gazetteer's names of localities and towns, or libpostal),
 * taken for the house number and street; without it (not matched yet, no
 * gazetteer) the address is parsed here by word shapes alone, which reads
 * "1 CHURCH ROAD, REDCASTER PARK" as a building "CHURCH ROAD" on a street
 * "REDCASTER PARK".
 */
export function personFeatures(record: SourceRecord, matchedUprn: number | string | null = null, matchedParse: ParsedAddress | null = null): RecordFeatures {
  const name = currentName(record);
  const address = currentAddress(record);
  const parsed = address && address.lines.length > 0 ? (matchedParse ?? parseAddress(address.lines.join(', '), address.postcode, EMPTY_VOCABULARY)) : null;
  const contact = (kind: 'phone' | 'email') => record.contacts.find((c) => c.kind === kind && c.valid)?.value ?? null;
  const contacts = (kind: 'phone' | 'email') => [...new Set(record.contacts.filter((c) => c.kind === kind && c.valid).map((c) => (kind === 'email' ? c.value.toLowerCase() : c.value)))];
  return {
    id: recordKey(record.system, record.sourceRef),
    forenames: name.forenames.map((f) => clip(f)),
    surname: clip(name.suffix ? `${name.surname} ${name.suffix}` : name.surname),
    dob: record.dateOfBirth,
    sex: record.sex === 'M' || record.sex === 'F' ? record.sex : null,
    nhsNumber: identifier(record.identifiers, 'nhs-number'),
    nino: identifier(record.identifiers, 'nino'),
    otherId: clipped(identifier(record.identifiers, 'other')),
    uprn: address?.uprn ?? (matchedUprn === null ? null : Number(matchedUprn)),
    postcode: clipped(address?.postcode ?? parsed?.postcode ?? null),
    street: clipped(parsed?.street ?? null),
    houseNumber: clipped(parsed ? houseNumber(parsed.pao) : null),
    town: clipped(parsed ? (parsed.town ?? parsed.locality) : null),
    phone: clipped(contact('phone')),
    email: clipped(contact('email')),
    phones: contacts('phone'),
    emails: contacts('email'),
    accounts: [...new Set(record.involvements.map((i) => `${record.system}|${i.reference}`))],
  };
}
