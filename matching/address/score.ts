/**
 * Field levels into one score between 0 and 1: each level carries a weight
 * (agreement positive, disagreement negative, roughly log-odds), and the sum
 * is divided by the most the input could have earned with the fields it has,
 * so a bare "2 MILL LANE" that agrees everywhere scores 1 like a full address.
 * Some levels block an automatic match whatever the score: a suffix that
 * differs (2 and 2A), an input that names no premises at all.
 */
import type { FieldLevels } from './compare.js';
import type { ComparableAddress } from './prepare.js';

type Weights = { [F in keyof FieldLevels]: Record<FieldLevels[F], number> };

/**
 * A building name the gazetteer row lacks ('candidate-missing') counts a little for it: "ROSE COTTAGE,
 * 2 MILL LANE" and "ACME LTD, 7 HIGH STREET" still match a row with the number only, while a row that
 * has the name too scores clearly higher.
 */
export const WEIGHTS: Weights = {
  sao: { exact: 5, partial: 3, 'suffix-differs': 2, different: -8, 'input-missing': -2, 'candidate-missing': -5, none: 1 },
  paoNumber: { exact: 6, range: 3.5, 'suffix-differs': 2, different: -8, 'input-missing': -3, 'candidate-missing': -4, none: 0 },
  paoText: { exact: 4, fuzzy: 3, contained: 2.5, different: -2, 'input-missing': -0.5, 'candidate-missing': 1.5, none: 0 },
  street: { exact: 5, fuzzy: 3.5, loose: 3, 'type-differs': -5, different: -5, missing: 0 },
  locality: { exact: 1, fuzzy: 0.75, different: -1, missing: 0 },
  town: { exact: 1, fuzzy: 0.75, different: -1.5, missing: 0 },
  postcode: { exact: 5, sector: 2.5, outward: 0.5, different: -1.5, missing: 0 },
  organisation: { exact: 1, none: 0 },
};

const FIELDS = Object.keys(WEIGHTS) as (keyof FieldLevels)[];

/** What a house number left out costs when the building's name agrees instead. */
const NAMED_WITHOUT_NUMBER = -2;

/** The most an input could earn: the best weight of every field it supplies (organisation is a bonus). */
export function maximumWeight(input: ComparableAddress): number {
  const hasSao = input.sao.start !== null || input.sao.startSuffix !== '' || input.sao.text !== '';
  return (
    (hasSao ? WEIGHTS.sao.exact : WEIGHTS.sao.none) +
    (input.pao.start !== null ? WEIGHTS.paoNumber.exact : 0) +
    (input.pao.text !== '' ? WEIGHTS.paoText.exact : 0) +
    (input.street ? WEIGHTS.street.exact : 0) +
    (input.locality ? WEIGHTS.locality.exact : 0) +
    (input.town ? WEIGHTS.town.exact : 0) +
    (input.postcode ? WEIGHTS.postcode.exact : 0)
  );
}

export interface Scored {
  score: number;
  /** Why this candidate may not be matched automatically, whatever its score. */
  blockers: string[];
}

/** Combine the levels of one comparison into a score 0..1 and its blockers. */
export function scoreLevels(levels: FieldLevels, maximum: number): Scored {
  let total = 0;
  for (const field of FIELDS) total += (WEIGHTS[field] as Record<string, number>)[levels[field]] ?? 0;
  // A building named without its number ("FLAT 2, RIVERSIDE COURT, MILL LANE"): the name agreeing stands for most
  // of the number, so leaving it out costs less; a row named so without a number still ranks above one with it.
  if (levels.paoNumber === 'input-missing' && (levels.paoText === 'exact' || levels.paoText === 'fuzzy')) {
    total += NAMED_WITHOUT_NUMBER - WEIGHTS.paoNumber['input-missing'];
  }
  const blockers: string[] = [];
  if (levels.sao === 'suffix-differs') blockers.push('flat suffix differs');
  if (levels.paoNumber === 'suffix-differs') blockers.push('house number suffix differs');
  const premises = levels.paoNumber === 'exact' || levels.paoNumber === 'range' || levels.paoText === 'exact' || levels.paoText === 'fuzzy' || levels.paoText === 'contained';
  if (!premises) blockers.push('no house number or building name agrees');
  const place = levels.street === 'exact' || levels.street === 'fuzzy' || ((levels.street === 'loose' || levels.street === 'missing') && levels.postcode === 'exact');
  if (!place) blockers.push('neither street nor postcode agrees');
  const score = maximum > 0 ? Math.min(1, Math.max(0, total / maximum)) : 0;
  return { score: Math.round(score * 1000) / 1000, blockers };
}
