/**
 * Splitting a name held as one string ("MR JOHN A SMITH", "SMITH, JOHN",
 * "DR A B JONES JNR") into title, forenames, surname and suffix. Tokens keep
 * the source's spelling; titles and suffixes are put into one vocabulary
 * (upper case, no dots) so that "Mr." and "MR" agree.
 */
export interface SplitName {
  title: string | null;
  forenames: string[];
  surname: string;
  suffix: string | null;
}

export type NameOrder = 'auto' | 'forename-first' | 'surname-first';

const TITLES = new Set([
  'MR', 'MRS', 'MISS', 'MS', 'MX', 'DR', 'PROF', 'PROFESSOR', 'REV', 'REVD', 'REVEREND', 'FR', 'FATHER', 'SIR', 'DAME', 'LADY',
  'LORD', 'MASTER', 'CAPT', 'CAPTAIN', 'MAJOR', 'COL', 'CLLR', 'RABBI', 'IMAM', 'SISTER', 'BROTHER', 'HON',
]);

const SUFFIXES: Record<string, string> = { JNR: 'JNR', JR: 'JNR', JUNIOR: 'JNR', SNR: 'SNR', SR: 'SNR', SENIOR: 'SNR', II: 'II', III: 'III', IV: 'IV' };

/** Words that belong to the surname that follows them: "DE LA CRUZ", "VAN DER BERG". */
const SURNAME_PARTICLES = new Set(['DE', 'DA', 'DI', 'DU', 'DEL', 'DELLA', 'LA', 'LE', 'VAN', 'VON', 'DER', 'DEN', 'TER', 'TEN', 'BIN', 'BINTI', 'AL', 'EL', 'ST']);

const bare = (token: string): string => token.replace(/\./g, '').toUpperCase();

const tokensOf = (text: string): string[] => text.split(/\s+/).filter((t) => t !== '' && t !== '.');

/** An initial written "A." is the initial "A". */
const cleanForename = (token: string): string => (/^\p{L}\.$/u.test(token) ? token.slice(0, 1) : token);

function takeTitles(tokens: string[]): string | null {
  const titles: string[] = [];
  while (tokens.length > 1 && TITLES.has(bare(tokens[0] as string))) titles.push(bare(tokens.shift() as string));
  return titles.length > 0 ? titles.join(' ') : null;
}

function takeSuffix(tokens: string[]): string | null {
  const last = tokens[tokens.length - 1];
  if (tokens.length < 2 || last === undefined) return null;
  const suffix = SUFFIXES[bare(last)];
  if (suffix) tokens.pop();
  return suffix ?? null;
}

/** Split one name string; null when there is no surname to be found. */
export function splitName(raw: string, order: NameOrder = 'auto'): SplitName | null {
  const text = raw.replace(/\s+/g, ' ').trim();
  if (text === '') return null;
  const comma = text.indexOf(',');
  if (comma !== -1 && order !== 'forename-first') return splitSurnameComma(text.slice(0, comma), text.slice(comma + 1));
  const tokens = tokensOf(text.replace(/,/g, ' '));
  const title = takeTitles(tokens);
  const suffix = takeSuffix(tokens);
  if (tokens.length === 0 || (tokens.length === 1 && title === null && TITLES.has(bare(tokens[0] as string)))) return null;
  if (order === 'surname-first') {
    const surname = tokens.shift() as string;
    return { title, forenames: tokens.map(cleanForename), surname, suffix };
  }
  let cut = tokens.length - 1;
  while (cut > 1 && SURNAME_PARTICLES.has(bare(tokens[cut - 1] as string))) cut -= 1;
  return { title, forenames: tokens.slice(0, cut).map(cleanForename), surname: tokens.slice(cut).join(' '), suffix };
}

/** "SMITH JNR, MR JOHN A": surname (and maybe suffix) before the comma, title and forenames after. */
function splitSurnameComma(before: string, after: string): SplitName | null {
  const surnameTokens = tokensOf(before);
  let suffix = takeSuffix(surnameTokens);
  const rest = tokensOf(after.replace(/,/g, ' '));
  if (rest.length === 1 && TITLES.has(bare(rest[0] as string))) rest.push('');
  const title = takeTitles(rest);
  const forenames = rest.filter((t) => t !== '');
  suffix = suffix ?? takeSuffix(forenames);
  // "SMITH, JOHN MR" puts the title last.
  const last = forenames[forenames.length - 1];
  const trailingTitle = title === null && last !== undefined && forenames.length > 1 && TITLES.has(bare(last)) ? bare(forenames.pop() as string) : null;
  if (surnameTokens.length === 0) return null;
  return { title: title ?? trailingTitle, forenames: forenames.map(cleanForename), surname: surnameTokens.join(' '), suffix };
}
