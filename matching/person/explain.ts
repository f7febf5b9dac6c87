import { compareRecords, MISSING, PERSON_COMPARISONS, type Comparison } from './compare.js';
import { levelWeights, matchProbability, weightOfProbability, type Decision, type FieldModel, type PersonModel } from './model.js';
import type { PreparedPerson } from './types.js';

export interface FieldWeight {
  field: string;
  /** The level's label, or null when a side had no value. */
  level: string | null;
  /** log2(m/u) of the level, no more than the level above it weighs, and at most 0 where the values differ (levelWeights). */
  baseWeight: number;
  /** Term-frequency adjustment log2(u/tf) on exact agreement of a name, else 0. */
  tfAdjustment: number;
  /** baseWeight + tfAdjustment. */
  weight: number;
  /** Whether the values agree at some level (not missing, not the last level: different). */
  agrees: boolean;
  /** What the field adds to the total: its weight, less where a stronger field of its evidence group already counts the same fact. */
  counted: number;
}

export interface PairExplanation {
  /** log2 odds of the prior. */
  priorWeight: number;
  fields: FieldWeight[];
  /** priorWeight plus every field's counted weight. */
  total: number;
  probability: number;
  decision: Decision;
}

/** Each field's ordered level weights, worked out once per model (a model is read once and kept). */
const weightsOf = new WeakMap<FieldModel, number[]>();

function orderedWeight(field: FieldModel, comparison: Comparison, level: number): number {
  let weights = weightsOf.get(field);
  if (!weights) weightsOf.set(field, (weights = levelWeights(field, comparison.sideLevels)));
  return weights[level] as number;
}

function fieldWeight(field: FieldModel, comparison: Comparison, level: number, a: PreparedPerson): FieldWeight {
  if (level === MISSING) return { field: field.field, level: null, baseWeight: 0, tfAdjustment: 0, weight: 0, agrees: false, counted: 0 };
  const u = field.u[level] as number;
  const baseWeight = orderedWeight(field, comparison, level);
  let tfAdjustment = 0;
  const tf = field.termFrequencies;
  const value = comparison.termFrequency?.value(a);
  if (tf && tf.level === level && value != null) tfAdjustment = Math.log2(u / (tf.frequencies[value] ?? tf.floor));
  const weight = baseWeight + tfAdjustment;
  return { field: field.field, level: field.levels[level] ?? null, baseWeight, tfAdjustment, weight, agrees: level < field.levels.length - 1, counted: weight };
}

/**
 * Within each evidence group only the strongest agreement and the strongest
 * disagreement count (the first field among equals); the others count 0.
 */
function countGroups(fields: FieldWeight[], comparisons: readonly Comparison[]): void {
  const strongest = new Map<string, { agree: number; disagree: number }>();
  fields.forEach((f, i) => {
    const group = comparisons[i]?.group;
    if (!group || f.weight === 0) return;
    const best = strongest.get(group) ?? { agree: -1, disagree: -1 };
    if (f.agrees && f.weight > 0 && (best.agree < 0 || f.weight > (fields[best.agree] as FieldWeight).weight)) best.agree = i;
    if (f.weight < 0 && (best.disagree < 0 || f.weight < (fields[best.disagree] as FieldWeight).weight)) best.disagree = i;
    strongest.set(group, best);
  });
  fields.forEach((f, i) => {
    const best = comparisons[i]?.group ? strongest.get(comparisons[i]!.group!) : undefined;
    if (best && i !== best.agree && i !== best.disagree) f.counted = 0;
  });
}

export const decide = (model: PersonModel, weight: number): Decision =>
  weight >= model.thresholds.link ? 'link' : weight >= model.thresholds.review ? 'review' : 'distinct';

/** Per-field weights of one pair, their total and the decision. */
export function explainPair(
  model: PersonModel,
  a: PreparedPerson,
  b: PreparedPerson,
  comparisons: readonly Comparison[] = PERSON_COMPARISONS,
): PairExplanation {
  const vector = compareRecords(a, b, comparisons);
  const fields = model.fields.map((field, f) => fieldWeight(field, comparisons[f] as Comparison, vector[f] as number, a));
  countGroups(fields, comparisons);
  const priorWeight = weightOfProbability(model.prior);
  const total = fields.reduce((sum, f) => sum + f.counted, priorWeight);
  return { priorWeight, fields, total, probability: matchProbability(total), decision: decide(model, total) };
}

/** The match weight of a pair (log2 odds that they are the same person). */
export const matchWeight = (model: PersonModel, a: PreparedPerson, b: PreparedPerson, comparisons?: readonly Comparison[]): number =>
  explainPair(model, a, b, comparisons).total;

/**
 * A field that ties the two records together: its values agree (a level
 * above "different"), and that agreement counts for a link (an agreement every
 * pair shares, such as one postcode district across a whole council, is no
 * tie, and only the strongest of an evidence group counts).
 */
const corroborates = (f: FieldWeight): boolean => f.agrees && f.counted > 0;

/** Fields whose agreement says two records live together (town is left out: a whole town shares it). */
const TOGETHER = new Set(['uprn', 'address', 'postcode', 'phone', 'email']);

export interface Doubt {
  reason: string;
  /** Whether a steward should look: a clerical slip is plausible (a date of birth), not when the forenames differ. */
  review: boolean;
}

/**
 * Why a pair is more likely two members of one household than one person:
 * they live together but the forename, the date of birth or the generation
 * (JNR/SNR) plainly differs. Weighing fields independently overrates such
 * pairs (a family shares surname, address and landline at once), so they
 * are never linked without a steward. Null when there is no such doubt.
 */
export function householdDoubt(e: PairExplanation): Doubt | null {
  if (!e.fields.some((f) => TOGETHER.has(f.field) && corroborates(f))) return null;
  const level = (field: string) => e.fields.find((f) => f.field === field)?.level ?? null;
  // An NI or NHS number is issued to one person once: agreeing on one, they are that person, whatever else differs.
  if (level('nino') === 'exact' || level('nhsNumber') === 'exact') return null;
  if (level('forename') === 'different') return { reason: 'same household, different forename', review: false };
  if (level('generation') === 'different') return { reason: 'same household, JNR and SNR', review: false };
  if (level('dob') === 'different') return { reason: 'same household, different date of birth', review: true };
  return null;
}

/** Fields that tie two records to one person beyond their forename and date of birth: living together, or an identifier. */
const CORROBORATING = new Set([...TOGETHER, 'nhsNumber', 'nino', 'otherId']);

/**
 * A pair whose surnames differ and who share nothing but forename and date of
 * birth: a woman who married and moved, or, as often in a borough of a few
 * hundred thousand, two people born on one day with one common forename.
 * The weights cannot tell these apart, so a steward does. Null when the
 * surname agrees at any level or anything else corroborates.
 */
export function thinEvidence(e: PairExplanation): Doubt | null {
  if (e.fields.find((f) => f.field === 'surname')?.level !== 'different') return null;
  if (e.fields.some((f) => CORROBORATING.has(f.field) && corroborates(f))) return null;
  return { reason: 'the surnames differ and only forename and date of birth agree', review: true };
}

/** Two different records named on one source account (joint liable parties, joint tenants): by construction two people. */
export const coParties = (a: PreparedPerson, b: PreparedPerson): boolean =>
  a.id !== b.id && a.accounts.length > 0 && a.accounts.some((x) => b.accounts.includes(x));
