import type { PreparedPerson } from './types.js';
import { PairIdSet } from './pair-set.js';

/** A blocking rule: records sharing any of their keys under one rule become a candidate pair. */
export interface BlockingRule {
  name: string;
  keys: (p: PreparedPerson) => readonly string[];
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

/** The default rules, combined as a union. */
export const DEFAULT_BLOCKING_RULES: readonly BlockingRule[] = [
  {
    name: 'surname code + birth year',
    keys: (p) => {
      const y = year(p);
      if (p.surnameCodes === null || y === null) return [];
      const [primary, alternate] = p.surnameCodes;
      return alternate !== '' && alternate !== primary ? [`${primary}|${y}`, `${alternate}|${y}`] : [`${primary}|${y}`];
    },
  },
  { name: 'date of birth', keys: (p) => one(p.dob) },
  { name: 'forename + surname', keys: (p) => one(p.forename !== null && p.surname !== null ? `${p.forename}|${p.surname}` : null) },
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
 * Blocks larger than `maxBlockSize` on a side are skipped (a placeholder value
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
    const leftBlocks = index(left, rule);
    const rightBlocks = dedupe ? leftBlocks : index(other, rule);
    for (const [key, ls] of leftBlocks) {
      const rs = rightBlocks.get(key);
      if (!rs) continue;
      if (ls.length > maxBlockSize || rs.length > maxBlockSize) {
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
