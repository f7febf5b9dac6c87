import { coParties, explainPair, householdDoubt, thinEvidence, type Doubt, type PairExplanation } from './explain.js';
import type { PersonModel } from './model.js';
import type { PreparedPerson } from './types.js';

const levelOf = (e: PairExplanation, field: string): string | null => e.fields.find((f) => f.field === field)?.level ?? null;

// A date of birth that agrees sets a pair apart from one whose date is unknown or only nearly agrees.
const DOB_RANK: Record<string, number> = { exact: 0, transposed: 1, 'one-digit': 2 };
const dobRank = (e: PairExplanation): number => DOB_RANK[levelOf(e, 'dob') ?? ''] ?? 3;

const OPPOSITE: Record<string, string> = { SNR: 'JNR', JNR: 'SNR' };
// Forename levels of one name written two ways: exact, nickname, a slip, an initial or another of the forenames.
const SAME_FORENAME = new Set(['exact', 'nickname', 'jaro-winkler >= 0.92', 'initial or other forename']);
const YEAR_MS = 365.25 * 24 * 3600 * 1000;
const ELDER_AGE = 70;
/** A SNR's namesake son is an adult (18) and at least 16 years younger, as councils use the marker. */
const YOUNGEST_SNR = 34;

const ageOn = (dob: string, asOf: string): number => (Date.parse(asOf) - Date.parse(dob)) / YEAR_MS;

/**
 * A record marked SNR against an unmarked, dated record of someone too young
 * to have a grown son of his name (the SNR is his father), or one marked JNR
 * against someone of 70 or more (the JNR is his son). The model cannot see
 * it: an unmarked record has no generation to disagree with.
 */
export function generationAgeDoubt(a: PreparedPerson, b: PreparedPerson, asOf: string): Doubt | null {
  const odd = (marked: PreparedPerson, other: PreparedPerson): string | null => {
    if (marked.generation === null || other.generation !== null || other.dob === null) return null;
    const age = ageOn(other.dob, asOf);
    if (marked.generation === 'SNR' && age < YOUNGEST_SNR) return `a record marked SNR and one of someone under ${YOUNGEST_SNR}`;
    if (marked.generation === 'JNR' && age >= ELDER_AGE) return `a record marked JNR and one of someone of ${ELDER_AGE} or more`;
    return null;
  };
  const reason = odd(a, b) ?? odd(b, a);
  return reason === null ? null : { reason, review: true };
}

/** Two records of one name at one address: the forename written alike and the same property. */
function namesakesTogether(model: PersonModel, a: PreparedPerson, b: PreparedPerson): boolean {
  const e = explainPair(model, a, b);
  return SAME_FORENAME.has(levelOf(e, 'forename') ?? '') && levelOf(e, 'surname') === 'exact'
    && (levelOf(e, 'uprn') === 'exact' || levelOf(e, 'address') === 'same number and street');
}

/**
 * Whether JNR and SNR say that `me` is `m`: `me` is a SNR or JNR (marked, or
 * named beside a namesake marked the other way), and `m`, dated, lives with a
 * dated namesake a generation apart, so the elder is the SNR; with no such
 * namesake, a SNR is taken for a man of 70 or more. False when that cannot
 * be told.
 */
function generationSays(model: PersonModel, me: PreparedPerson, m: PreparedPerson, r: PreparedPerson, neighbours: Iterable<PreparedPerson>, asOf: string): boolean {
  let generation = me.generation;
  for (const p of generation ? [] : [r, ...neighbours]) {
    if (p.generation && coParties(me, p) && namesakesTogether(model, me, p)) {
      generation = OPPOSITE[p.generation] ?? null;
      break;
    }
  }
  if (!generation || m.dob === null || m.generation !== null) return false;
  const born = Date.parse(m.dob);
  for (const n of [r, ...neighbours]) {
    if (n.id === m.id || n.id === me.id || n.dob === null) continue;
    const apart = (Date.parse(n.dob) - born) / YEAR_MS;
    if (Math.abs(apart) < 15 || !namesakesTogether(model, m, n)) continue;
    return (generation === 'SNR') === apart > 0;
  }
  // No dated namesake: a man of 70 or more is the SNR (as a JNR his father would be 86 or more).
  return generation === 'SNR' && ageOn(m.dob, asOf) >= ELDER_AGE;
}

/**
 * Why a record `me` may not be the person of a candidate record `m` although
 * their weight says link: a third record known to be someone else than one
 * of the two (a joint party named beside it on one source account) matches
 * the other one as well. A council-tax row "J D KING SNR, JOHN DAVID KING
 * JNR" beside a social-care JOHN KING: either liable party matches him, and
 * they are two people, so the model cannot say which he is. Twins on one
 * tenancy against an initial-only record are the same. Not a doubt when the
 * pair shares an NHS or NI number, or agrees on a date of birth the rival's
 * pair does not (a rival without one cannot be told from a different age).
 * `e` is explainPair(model, me, m); `neighbours` are records near `me`
 * (sharing a blocking key), linked or not; `asOf` today's date (ISO).
 */
export function rivalDoubt(model: PersonModel, me: PreparedPerson, m: PreparedPerson, e: PairExplanation, neighbours: readonly PreparedPerson[], asOf: string): Doubt | null {
  if (levelOf(e, 'nino') === 'exact' || levelOf(e, 'nhsNumber') === 'exact') return null;
  for (const r of neighbours) {
    if (r.id === me.id || r.id === m.id) continue;
    const other = coParties(r, me) ? m : coParties(r, m) ? me : null;
    if (other === null) continue;
    const er = explainPair(model, r, other);
    if (er.total < model.thresholds.link || householdDoubt(er) || thinEvidence(er)) continue;
    if (['nino', 'nhsNumber'].some((f) => levelOf(er, f) === 'different')) continue;
    const dob = levelOf(er, 'dob');
    if (dob === 'different' || dob === 'year') continue;
    if (dobRank(e) < dobRank(er)) continue;
    if (generationSays(model, me, m, r, neighbours, asOf)) continue;
    return { reason: `a joint party of ${other === m ? 'the record' : 'the candidate'} on one source account matches as well`, review: true };
  }
  return null;
}
