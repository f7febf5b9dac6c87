import type { CandidatePair } from './blocking.js';
import { compareRecords, MISSING, PERSON_COMPARISONS, type Comparison } from './compare.js';
import { countPatterns, expectationMaximisation } from './em.js';
import { seededRandom } from './random.js';
import type { PreparedPerson } from './types.js';

export const MODEL_VERSION = 1;

/** Term frequencies of one field's values: values seen once are left out and take `floor`. */
export interface TermFrequencies {
  level: number;
  frequencies: Record<string, number>;
  floor: number;
}

export interface FieldModel {
  field: string;
  levels: string[];
  m: number[];
  u: number[];
  termFrequencies?: TermFrequencies;
}

/** Match weights (log2 odds, prior included) at and above which a pair is linked or reviewed. */
export interface Thresholds {
  link: number;
  review: number;
}

/** A trained Fellegi-Sunter model: plain data, serialisable as JSON. */
export interface PersonModel {
  version: typeof MODEL_VERSION;
  /** Probability that two records drawn at random are the same person. */
  prior: number;
  fields: FieldModel[];
  thresholds: Thresholds;
  training: { records: number; candidatePairs: number; randomPairs: number; emIterations: number; emConverged: boolean; candidateMatchShare: number };
}

export type Decision = 'link' | 'review' | 'distinct';

export const weightOfProbability = (p: number): number => Math.log2(p / (1 - p));

export const matchProbability = (weight: number): number => 1 / (1 + 2 ** -weight);

/**
 * The weight log2(m/u) of each level of one field, ordered: a level never
 * weighs more than the stronger level above it, and the last level (the values
 * differ) never more than 0 nor than any level of agreement. m and u are
 * estimated, and an estimate can invert the order where the training data
 * hardly shows a level: in a council whose residents all live in one postcode
 * district, random pairs almost never differ by district, so "different
 * postcode" got a tiny u and counted as strong evidence of one person.
 * `sideLevels`: levels tried early for precedence that are no stronger than
 * the levels after them (one part of a double-barrelled surname); they are
 * held under the level above them, and hold no level under themselves.
 */
export function levelWeights(field: Pick<FieldModel, 'm' | 'u'>, sideLevels: readonly number[] = []): number[] {
  const weights: number[] = [];
  let ceiling = Infinity;
  field.m.forEach((m, l) => {
    let w = Math.min(Math.log2(m / (field.u[l] as number)), ceiling);
    if (l > 0 && l === field.m.length - 1) w = Math.min(w, 0, ...weights);
    weights.push(w);
    if (!sideLevels.includes(l)) ceiling = w;
  });
  return weights;
}

export const DEFAULT_THRESHOLDS: Thresholds = { link: weightOfProbability(0.95), review: weightOfProbability(0.2) };

export interface TrainOptions {
  seed: number;
  /** Random pairs drawn to estimate u (default 50,000). */
  randomPairs?: number;
  maxIterations?: number;
  tolerance?: number;
  thresholds?: Partial<Thresholds>;
  comparisons?: readonly Comparison[];
}

const totalPairs = (nLeft: number, nRight: number | null): number => (nRight === null ? (nLeft * (nLeft - 1)) / 2 : nLeft * nRight);

/** u probabilities from seeded random pairs: how often unrelated records agree by chance at each level. */
export function estimateU(
  left: readonly PreparedPerson[],
  right: readonly PreparedPerson[] | null,
  options: { seed: number; sampleSize: number; comparisons?: readonly Comparison[] },
): number[][] {
  const comparisons = options.comparisons ?? PERSON_COMPARISONS;
  const other = right ?? left;
  const random = seededRandom(options.seed);
  const counts = comparisons.map((c) => c.levels.map(() => 1));
  for (let drawn = 0; drawn < options.sampleSize; drawn++) {
    const i = Math.floor(random() * left.length);
    const j = Math.floor(random() * other.length);
    if (right === null && i === j) continue;
    const vector = compareRecords(left[i] as PreparedPerson, other[j] as PreparedPerson, comparisons);
    vector.forEach((level, f) => {
      if (level !== MISSING) (counts[f] as number[])[level] = ((counts[f] as number[])[level] as number) + 1;
    });
  }
  return counts.map((row) => {
    const total = row.reduce((s, x) => s + x, 0);
    return row.map((x) => x / total);
  });
}

/** Share of the records holding each value; values seen once fall back to the floor 1/records. */
export function termFrequencies(records: readonly PreparedPerson[], value: (p: PreparedPerson) => string | null, level: number): TermFrequencies {
  const counts = new Map<string, number>();
  let total = 0;
  for (const record of records) {
    const v = value(record);
    if (v === null) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    total++;
  }
  const frequencies: Record<string, number> = {};
  for (const [v, count] of counts) if (count > 1) frequencies[v] = count / total;
  return { level, frequencies, floor: total === 0 ? 1 : 1 / total };
}

/** How many candidate pairs' worth of weight the starting m carries in EM (see expectationMaximisation). */
const PRIOR_PAIRS = 20;

const startingM = (levels: number): number[] => {
  if (levels === 1) return [1];
  return Array.from({ length: levels }, (_, l) => (l === 0 ? 0.9 : 0.1 / (levels - 1)));
};

/** m probabilities with each level at least `floor`, renormalised to sum to one. */
function withFloor(m: readonly number[], floor: number): number[] {
  if (floor <= 0) return [...m];
  const raised = m.map((x) => Math.max(x, floor));
  const total = raised.reduce((s, x) => s + x, 0);
  return raised.map((x) => x / total);
}

/**
 * Train without labels: u from random pairs, m (and the share of matches among
 * the candidates) by EM over the candidate pairs' comparison vectors, term
 * frequencies for the name fields. The prior for any two records is the EM
 * share scaled from the candidates to all possible pairs.
 */
export function trainModel(
  left: readonly PreparedPerson[],
  right: readonly PreparedPerson[] | null,
  pairs: readonly CandidatePair[],
  options: TrainOptions,
): PersonModel {
  const comparisons = options.comparisons ?? PERSON_COMPARISONS;
  const other = right ?? left;
  const sampleSize = options.randomPairs ?? 50_000;
  const u = estimateU(left, right, { seed: options.seed, sampleSize, comparisons });
  const patterns = countPatterns(pairs.map((p) => compareRecords(left[p.left] as PreparedPerson, other[p.right] as PreparedPerson, comparisons)));
  const em = expectationMaximisation(
    patterns,
    { m: comparisons.map((c) => startingM(c.levels.length)), u, lambda: 0.1 },
    { maxIterations: options.maxIterations, tolerance: options.tolerance, fixU: true, priorPairs: PRIOR_PAIRS },
  );
  const all = right === null ? left : [...left, ...right];
  const possible = totalPairs(left.length, right === null ? null : right.length);
  const prior = Math.min(0.5, Math.max(1 / Math.max(possible, 1), (em.lambda * pairs.length) / Math.max(possible, 1)));
  return {
    version: MODEL_VERSION,
    prior,
    fields: comparisons.map((c, f) => ({
      field: c.field,
      levels: [...c.levels],
      m: withFloor(em.m[f] as number[], c.minM ?? 0),
      u: u[f] as number[],
      ...(c.termFrequency ? { termFrequencies: termFrequencies(all, c.termFrequency.value, c.termFrequency.level) } : {}),
    })),
    thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    training: {
      records: all.length,
      candidatePairs: pairs.length,
      randomPairs: sampleSize,
      emIterations: em.iterations,
      emConverged: em.converged,
      candidateMatchShare: em.lambda,
    },
  };
}
