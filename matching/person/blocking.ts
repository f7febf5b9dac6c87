import type { PreparedPerson } from './types.js';
import { PairIdSet } from './pair-set.js';

/** A blocking rule: records sharing any of their keys under one rule become a candidate pair. */
export interface BlockingRule {
  name: string;
  keys: (p: PreparedPerson) => readonly string[];
  /** Blocks larger than this are skipped under this rule (besides the caller's limit for all rules). */
  maxBlockSize?: number;
}

/** A candidate pair by position: `left` indexes the left list, `right` the right list (the same list when deduplicating). */
export interface CandidatePair {
  left: number;
  right: number;
}

export interface BlockingResult {
  pairs: CandidatePair[];
  /** New pairs each rule added, in rule order (a pair counts for the first rule that found it). */
  pairsByRule: Record<string, number>;
  /** Keys skipped because their block was larger than `maxBlockSize` on a side. */
  skippedBlocks: number;
}

const one = (key: string | null): readonly string[] => (key === null ? [] : [key]);

const year = (p: PreparedPerson): string | null => (p.dob === null ? null : p.dob.slice(0, 4));

/**
 * Initials a person may be known by: of the first forename's nickname roots
 * (KIT is also C for CHRISTOPHER) and of the other forenames (a person who
 * goes by a middle name). Keying the date-of-birth blocks by them keeps the
 * blocks from growing with the population: a date of birth alone is shared
 * by one person in some 30,000, so by dozens in a city's records.
 */
function givenInitials(p: PreparedPerson): string[] {
  const initials = new Set(p.forenameRoots.map((root) => root[0]!));
  for (const name of p.forenames.slice(1)) initials.add(name[0]!);
  return [...initials];
}

/** Each prefix with each initial; records without one keep the bare prefix among themselves. */
function byInitial(initials: readonly string[], prefixes: readonly string[]): string[] {
  if (initials.length === 0) return prefixes.map((prefix) => `${prefix}|`);
  return prefixes.flatMap((prefix) => initials.map((initial) => `${prefix}|${initial}`));
}

/**
 * Bumped whenever a rule's keys change for the same record, so that keys
 * stored by an earlier version are made again (src/linkage/block-keys.ts).
 */
export const BLOCKING_KEYS_VERSION = 2;

/** The default rules, combined as a union. */
export const DEFAULT_BLOCKING_RULES: readonly BlockingRule[] = [
  {
    name: 'surname code + birth year + initial',
    keys: (p) => {
      const y = year(p);
      if (p.surnameCodes === null || y === null) return [];
      const [primary, alternate] = p.surnameCodes;
      return byInitial(givenInitials(p), alternate !== '' && alternate !== primary ? [`${primary}|${y}`, `${alternate}|${y}`] : [`${primary}|${y}`]);
    },
  },
  {
    // The surname's initial too, in the same alphabet: a first-letter slip in the forename, or forename and surname swapped.
    name: 'date of birth + initial',
    keys: (p) => (p.dob === null ? [] : byInitial([...new Set([...givenInitials(p), ...(p.surname === null ? [] : [p.surname[0]!])])], [p.dob])),
  },
  {
    // A name more than this many records share cannot link on the name alone (its weight falls with its frequency),
    // and what else its records share (a date of birth, an address, an identifier, a phone) has blocks of its own.
    // Without the limit, an undated JOHN SMITH meets every JOHN SMITH of the city.
    name: 'forename + surname',
    keys: (p) => one(p.forename !== null && p.surname !== null ? `${p.forename}|${p.surname}` : null),
    maxBlockSize: 50,
  },
  { name: 'uprn', keys: (p) => one(p.uprn === null ? null : String(p.uprn)) },
  { name: 'nhs number', keys: (p) => one(p.nhsNumber) },
  { name: 'ni number', keys: (p) => one(p.nino) },
  { name: 'other id', keys: (p) => one(p.otherId) },
  { name: 'phone', keys: (p) => one(p.phone) },
  { name: 'email', keys: (p) => one(p.email) },
  { name: 'forename + postcode', keys: (p) => one(p.forename !== null && p.postcode !== null ? `${p.forename}|${p.postcode}` : null) },
  { name: 'surname + postcode', keys: (p) => one(p.surname !== null && p.postcode !== null ? `${p.surname}|${p.postcode}` : null) },
];

/**
 * Rules whose candidate pairs train the model. Keys a household shares (its
 * UPRN, its postcode with the family surname, its landline, a family email) pair mostly
 * relatives, and EM on such pairs learns "same household" instead of "same
 * person"; they still find candidates when linking.
 */
const HOUSEHOLD_KEYS = new Set(['uprn', 'phone', 'email', 'surname + postcode', 'forename + postcode']);
export const TRAINING_BLOCKING_RULES: readonly BlockingRule[] = DEFAULT_BLOCKING_RULES.filter((r) => !HOUSEHOLD_KEYS.has(r.name));

function index(records: readonly PreparedPerson[], rule: BlockingRule): Map<string, number[]> {
  const blocks = new Map<string, number[]>();
  records.forEach((record, i) => {
    for (const key of new Set(rule.keys(record))) {
      const block = blocks.get(key);
      if (block) block.push(i);
      else blocks.set(key, [i]);
    }
  });
  return blocks;
}

/**
 * Candidate pairs from the union of the rules. With `right` omitted the left
 * list is deduplicated against itself (each unordered pair once, left < right).
 * Blocks larger than `maxBlockSize` (or the rule's own limit) on a side are skipped (a placeholder value
 * shared by thousands of records is no evidence) and counted.
 */
export function candidatePairs(
  left: readonly PreparedPerson[],
  right: readonly PreparedPerson[] | null,
  rules: readonly BlockingRule[] = DEFAULT_BLOCKING_RULES,
  maxBlockSize = 1000,
): BlockingResult {
  const dedupe = right === null;
  const other = right ?? left;
  const seen = new PairIdSet();
  const pairs: CandidatePair[] = [];
  const pairsByRule: Record<string, number> = {};
  let skippedBlocks = 0;
  for (const rule of rules) {
    const before = pairs.length;
    const limit = Math.min(maxBlockSize, rule.maxBlockSize ?? Infinity);
    const leftBlocks = index(left, rule);
    const rightBlocks = dedupe ? leftBlocks : index(other, rule);
    for (const [key, ls] of leftBlocks) {
      const rs = rightBlocks.get(key);
      if (!rs) continue;
      if (ls.length > limit || rs.length > limit) {
        skippedBlocks++;
        continue;
      }
      for (const l of ls) {
        for (const r of rs) {
          if (dedupe && r <= l) continue;
          if (seen.add(l * other.length + r)) pairs.push({ left: l, right: r });
        }
      }
    }
    pairsByRule[rule.name] = pairs.length - before;
  }
  return { pairs, pairsByRule, skippedBlocks };
}

/** Share of the true pairs that blocking kept. Pairs are given as "leftId|rightId". */
export function pairsCompleteness(found: ReadonlySet<string>, truePairs: ReadonlySet<string>): number {
  if (truePairs.size === 0) return 1;
  let kept = 0;
  for (const pair of truePairs) if (found.has(pair)) kept++;
  return kept / truePairs.size;
}

/** Share of all possible pairs that blocking removed. */
export const reductionRatio = (candidateCount: number, possiblePairs: number): number =>
  possiblePairs === 0 ? 0 : 1 - candidateCount / possiblePairs;
