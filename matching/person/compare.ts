import { dobLevel, type DobLevel } from './dob.js';
import { sharesRoot } from './nicknames.js';
import { soundAlike } from './phonetic.js';
import { editDistance, jaroWinkler } from './similarity.js';
import type { PreparedPerson } from './types.js';

/** Level index when either side is missing: the field gives no evidence. */
export const MISSING = -1;

/**
 * One field's comparison: its levels best first (the last is disagreement),
 * the function that picks the level for a pair, and for name fields the value
 * whose frequency adjusts the weight of exact agreement.
 */
export interface Comparison {
  field: string;
  levels: readonly string[];
  level: (a: PreparedPerson, b: PreparedPerson) => number;
  /** The level whose weight is adjusted by term frequency, and the value to look up. */
  termFrequency?: { level: number; value: (p: PreparedPerson) => string | null };
  /**
   * Fields of one group measure the same fact (where the person lives), so
   * their evidence is not independent: within a group only the strongest
   * agreement and the strongest disagreement count.
   */
  group?: string;
  /**
   * Least m probability of any level. EM on one snapshot sees few true pairs
   * that disagree where people's details go stale (a move seen by one
   * system), so it would make such disagreement a veto.
   */
  minM?: number;
  /** Levels tried before weaker ones for precedence, but no stronger than the levels after them (see levelWeights). */
  sideLevels?: readonly number[];
}

const either = <T>(a: T | null, b: T | null): boolean => a === null || b === null;

const exactOnly = (field: string, get: (p: PreparedPerson) => string | number | null, group?: string): Comparison => ({
  field,
  ...(group ? { group, minM: STALE_ADDRESS } : {}),
  levels: ['exact', 'different'],
  level: (a, b) => {
    const x = get(a);
    const y = get(b);
    if (either(x, y)) return MISSING;
    return x === y ? 0 : 1;
  },
});

const isInitialOf = (initial: string, name: string): boolean => initial.length === 1 && name.startsWith(initial);

const forename: Comparison = {
  field: 'forename',
  levels: ['exact', 'nickname', 'jaro-winkler >= 0.92', 'initial or other forename', 'jaro-winkler >= 0.8', 'different'],
  termFrequency: { level: 0, value: (p) => p.forename },
  level: (a, b) => {
    const x = a.forename;
    const y = b.forename;
    if (x === null || y === null) return MISSING;
    if (x === y) return 0;
    if (sharesRoot(a.forenameRoots, b.forenameRoots)) return 1;
    const jw = jaroWinkler(x, y);
    if (jw >= 0.92) return 2;
    if (isInitialOf(x, y) || isInitialOf(y, x) || a.forenames.some((f) => f.length > 1 && b.forenames.includes(f))) return 3;
    if (jw >= 0.8) return 4;
    return 5;
  },
};

const surname: Comparison = {
  field: 'surname',
  levels: ['exact', 'one part of a double-barrelled name', 'jaro-winkler >= 0.92', 'sounds alike', 'jaro-winkler >= 0.8', 'different'],
  termFrequency: { level: 0, value: (p) => p.surname },
  // A shared part of a double-barrelled name is often a household (SMITH-JONES and JONES), not a spelling of one name.
  sideLevels: [1],
  level: (a, b) => {
    const x = a.surname;
    const y = b.surname;
    if (x === null || y === null) return MISSING;
    if (x === y) return 0;
    if ((a.surnameParts.length > 1 || b.surnameParts.length > 1) && a.surnameParts.some((part) => b.surnameParts.includes(part))) return 1;
    const jw = jaroWinkler(x, y);
    if (jw >= 0.92) return 2;
    if (a.surnameCodes && b.surnameCodes && soundAlike(a.surnameCodes, b.surnameCodes)) return 3;
    if (jw >= 0.8) return 4;
    return 5;
  },
};

const DOB_LEVELS: readonly DobLevel[] = ['exact', 'transposed', 'one-digit', 'year', 'different'];

const dob: Comparison = {
  field: 'dob',
  levels: DOB_LEVELS,
  level: (a, b) => (a.dob === null || b.dob === null ? MISSING : DOB_LEVELS.indexOf(dobLevel(a.dob, b.dob))),
};

const otherId: Comparison = {
  field: 'otherId',
  levels: ['exact', 'one edit', 'different'],
  level: (a, b) => {
    if (a.otherId === null || b.otherId === null) return MISSING;
    if (a.otherId === b.otherId) return 0;
    return editDistance(a.otherId, b.otherId) === 1 ? 1 : 2;
  },
};

/**
 * The evidence group of a household: people at one address (a couple, a
 * parent and child) agree at once on its UPRN, address, postcode and town,
 * and often on a landline and a family email too.
 */
const RESIDENCE = 'residence';
/** Share of true pairs allowed to disagree on an address field: one of the two systems holds an older address. */
const STALE_ADDRESS = 0.05;

const address: Comparison = {
  field: 'address',
  group: RESIDENCE,
  minM: STALE_ADDRESS,
  levels: ['same number and street', 'same street', 'street jaro-winkler >= 0.9', 'different'],
  level: (a, b) => {
    if (a.street === null || b.street === null) return MISSING;
    if (a.street === b.street) return a.houseNumber !== null && a.houseNumber === b.houseNumber ? 0 : 1;
    return jaroWinkler(a.street, b.street) >= 0.9 ? 2 : 3;
  },
};

const postcode: Comparison = {
  field: 'postcode',
  group: RESIDENCE,
  minM: STALE_ADDRESS,
  levels: ['exact', 'same sector', 'same district', 'different'],
  level: (a, b) => {
    if (a.postcode === null || b.postcode === null) return MISSING;
    if (a.postcode === b.postcode) return 0;
    if (a.postcodeSector !== null && a.postcodeSector === b.postcodeSector) return 1;
    if (a.postcodeDistrict !== null && a.postcodeDistrict === b.postcodeDistrict) return 2;
    return 3;
  },
};

const town: Comparison = {
  field: 'town',
  group: RESIDENCE,
  minM: STALE_ADDRESS,
  levels: ['exact', 'jaro-winkler >= 0.9', 'different'],
  level: (a, b) => {
    if (a.town === null || b.town === null) return MISSING;
    if (a.town === b.town) return 0;
    return jaroWinkler(a.town, b.town) >= 0.9 ? 1 : 2;
  },
};

const email: Comparison = {
  field: 'email',
  group: RESIDENCE,
  levels: ['exact', 'same local part', 'different'],
  level: (a, b) => {
    if (a.email === null || b.email === null) return MISSING;
    if (a.email === b.email) return 0;
    return a.email.slice(0, a.email.lastIndexOf('@')) === b.email.slice(0, b.email.lastIndexOf('@')) ? 1 : 2;
  },
};

/** The comparisons of the person model, in vector order. */
export const PERSON_COMPARISONS: readonly Comparison[] = [
  forename,
  surname,
  dob,
  exactOnly('generation', (p) => p.generation),
  exactOnly('sex', (p) => p.sex),
  exactOnly('nhsNumber', (p) => p.nhsNumber),
  exactOnly('nino', (p) => p.nino),
  otherId,
  exactOnly('uprn', (p) => p.uprn, RESIDENCE),
  address,
  postcode,
  town,
  exactOnly('phone', (p) => p.phone, RESIDENCE),
  email,
];

/** A pair's comparison vector: one level index per comparison, MISSING where a side has no value. */
export function compareRecords(a: PreparedPerson, b: PreparedPerson, comparisons: readonly Comparison[] = PERSON_COMPARISONS): Int8Array {
  const vector = new Int8Array(comparisons.length);
  for (let i = 0; i < comparisons.length; i++) vector[i] = (comparisons[i] as Comparison).level(a, b);
  return vector;
}
