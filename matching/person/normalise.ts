/**
 * Name normalisation for linkage: upper case, accents folded, apostrophes and
 * dots removed (O'BRIEN = OBRIEN), titles dropped, MC/MAC/M' joined to the name
 * that follows and spelt MAC, double-barrelled surnames kept as one token and
 * as parts, and generation suffixes (JNR, SNR) taken off.
 */

const TITLES = new Set([
  'MR', 'MRS', 'MISS', 'MS', 'MX', 'DR', 'PROF', 'PROFESSOR', 'REV', 'REVD', 'REVEREND', 'FR', 'FATHER', 'SIR', 'DAME', 'LADY',
  'LORD', 'MASTER', 'CAPT', 'CAPTAIN', 'MAJOR', 'COL', 'CLLR', 'RABBI', 'IMAM', 'SISTER', 'BROTHER', 'HON',
]);

const GENERATIONS: Record<string, string> = {
  JNR: 'JNR', JR: 'JNR', JUN: 'JNR', JUNIOR: 'JNR', SNR: 'SNR', SR: 'SNR', SEN: 'SNR', SENIOR: 'SNR', II: 'II', III: 'III', IV: 'IV',
};

/** Words that belong to the surname after them; left out of the parts, kept in the joined form. */
const PARTICLES = new Set(['DE', 'DA', 'DI', 'DU', 'DEL', 'DELLA', 'LA', 'LE', 'VAN', 'VON', 'DER', 'DEN', 'TER', 'TEN', 'BIN', 'BINTI', 'AL', 'EL', 'ST']);

/** Upper case, accents folded, apostrophes and dots dropped, other punctuation to spaces. */
export function foldName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/['’‘`.]/g, '')
    .replace(/[^A-Z\s-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Spell the Gaelic prefix one way: MC DONALD, MCDONALD and M'DONALD are all MACDONALD. */
const macPrefix = (token: string): string => token.replace(/^MC(?=[A-Z]{2})/, 'MAC');

/** Forenames as tokens: titles and generation suffixes removed, "J." is the initial "J", hyphenated names kept whole. */
export function normaliseForenames(forenames: readonly string[]): string[] {
  const tokens = forenames.flatMap((f) => foldName(f).split(' ')).filter((t) => t !== '' && t !== '-');
  return tokens.filter((t) => !TITLES.has(t) && GENERATIONS[t] === undefined).map((t) => t.replace(/^-+|-+$/g, ''));
}

export interface NormalisedSurname {
  /** One token, hyphens and spaces removed. */
  joined: string;
  /** Parts of a double-barrelled or hyphenated surname, particles left out; one part for a simple surname. */
  parts: string[];
  generation: string | null;
}

/** Normalise a surname; null when nothing remains. */
export function normaliseSurname(surname: string): NormalisedSurname | null {
  let tokens = foldName(surname.replace(/(^|[\s-])M['’‘]\s*(?=\p{L})/gu, '$1MAC')).split(/[\s-]+/).filter((t) => t !== '');
  let generation: string | null = null;
  const last = tokens[tokens.length - 1];
  if (tokens.length > 1 && last !== undefined && GENERATIONS[last] !== undefined) {
    generation = GENERATIONS[last];
    tokens = tokens.slice(0, -1);
  }
  while (tokens.length > 1 && TITLES.has(tokens[0] as string)) tokens = tokens.slice(1);
  const words: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const next = tokens[i + 1];
    if ((token === 'MC' || token === 'MAC' || token === 'M') && next !== undefined) {
      words.push(`MAC${next}`);
      i++;
    } else {
      words.push(macPrefix(token));
    }
  }
  if (words.length === 0) return null;
  const parts = words.filter((w) => !PARTICLES.has(w));
  return { joined: words.join(''), parts: parts.length > 0 ? parts : words, generation };
}

/** The generation suffix written among the forenames ("JOHN JNR"), when there is one. */
export function generationOf(forenames: readonly string[]): string | null {
  for (const token of forenames.flatMap((f) => foldName(f).split(' '))) {
    const generation = GENERATIONS[token];
    if (generation !== undefined) return generation;
  }
  return null;
}
