/**
 * Address text normalisation shared by the parser and by the gazetteer side,
 * so that both reach the same tokens: upper case, accents folded, punctuation
 * dropped, abbreviations expanded (RD, AVE, CL, CRES…), ST read as SAINT or
 * STREET by its position, ranges written 12-14, tenement positions 2/1,
 * number words after FLAT/NO spelt as digits and floor words spelt one way.
 * A ',' token marks a break the writer made; parsers use it as a hint.
 */

/** Canonical street-type words (the last word of most street names). */
export const STREET_TYPES: ReadonlySet<string> = new Set([
  'ROAD', 'STREET', 'AVENUE', 'CLOSE', 'CRESCENT', 'DRIVE', 'LANE', 'GARDENS', 'GREEN', 'GROVE', 'PLACE', 'SQUARE',
  'TERRACE', 'COURT', 'PARK', 'PARADE', 'WAY', 'WALK', 'MEWS', 'VIEW', 'HILL', 'ROW', 'RISE', 'HEIGHTS', 'BOULEVARD',
  'ESPLANADE', 'APPROACH', 'CHASE', 'MEADOW', 'MEADOWS', 'GATE', 'WYND', 'BRAE', 'VALE', 'YARD', 'CAUSEWAY', 'QUAY',
  'CIRCUS', 'BANK', 'FIELDS', 'GLEN', 'LOAN', 'VENNEL', 'PATH', 'END', 'DALE', 'BROW', 'CROFT', 'WHARF', 'GARTH',
]);

/** Words that introduce a secondary addressable object (a unit inside a building). */
export const UNIT_WORDS: ReadonlySet<string> = new Set([
  'FLAT', 'APARTMENT', 'UNIT', 'MAISONETTE', 'ROOM', 'SUITE', 'STUDIO', 'BEDSIT',
]);

/** Floor words, already spelt canonically; "FLOOR" and "FLAT" after them carry no information. */
export const FLOOR_WORDS: ReadonlySet<string> = new Set([
  'GROUND', 'FIRST', 'SECOND', 'THIRD', 'FOURTH', 'FIFTH', 'TOP', 'BASEMENT', 'LOWER', 'UPPER',
]);

const ABBREVIATIONS: Readonly<Record<string, string>> = {
  RD: 'ROAD', STR: 'STREET', AVE: 'AVENUE', AV: 'AVENUE', AVN: 'AVENUE', CL: 'CLOSE', CLS: 'CLOSE', CRES: 'CRESCENT', CRESC: 'CRESCENT',
  CR: 'CRESCENT', DR: 'DRIVE', DRV: 'DRIVE', LN: 'LANE', GDNS: 'GARDENS', GDN: 'GARDENS', GRN: 'GREEN', GR: 'GROVE',
  GRV: 'GROVE', GRO: 'GROVE', PL: 'PLACE', SQ: 'SQUARE', TER: 'TERRACE', TERR: 'TERRACE', TCE: 'TERRACE', CT: 'COURT',
  CRT: 'COURT', PK: 'PARK', PDE: 'PARADE', WY: 'WAY', WK: 'WALK', MWS: 'MEWS', VW: 'VIEW', HTS: 'HEIGHTS', BLVD: 'BOULEVARD',
  BVD: 'BOULEVARD', ESP: 'ESPLANADE', APP: 'APPROACH', CSWY: 'CAUSEWAY', HSE: 'HOUSE', HO: 'HOUSE', BLDGS: 'BUILDINGS',
  BLDG: 'BUILDING', COTT: 'COTTAGE', COTTS: 'COTTAGES', MT: 'MOUNT', EST: 'ESTATE', UPR: 'UPPER', LWR: 'LOWER', GT: 'GREAT',
  APT: 'APARTMENT', APPT: 'APARTMENT', FLT: 'FLAT', RM: 'ROOM', STE: 'SUITE',
  GRD: 'GROUND', GND: 'GROUND', GRND: 'GROUND', FLR: 'FLOOR', BSMT: 'BASEMENT', BST: 'BASEMENT',
  '1ST': 'FIRST', '2ND': 'SECOND', '3RD': 'THIRD', '4TH': 'FOURTH', '5TH': 'FIFTH',
};

/** Abbreviations that stand for several words (floor positions written as initials). */
const PHRASES: Readonly<Record<string, readonly string[]>> = {
  GFF: ['GROUND', 'FLOOR', 'FLAT'], FFF: ['FIRST', 'FLOOR', 'FLAT'], SFF: ['SECOND', 'FLOOR', 'FLAT'],
  TFF: ['TOP', 'FLOOR', 'FLAT'], GF: ['GROUND', 'FLOOR'], FF: ['FIRST', 'FLOOR'], LGF: ['LOWER', 'GROUND', 'FLOOR'],
};

const NUMBER_WORDS: Readonly<Record<string, string>> = {
  ONE: '1', TWO: '2', THREE: '3', FOUR: '4', FIVE: '5', SIX: '6', SEVEN: '7', EIGHT: '8', NINE: '9', TEN: '10',
  ELEVEN: '11', TWELVE: '12', THIRTEEN: '13', FOURTEEN: '14', FIFTEEN: '15', SIXTEEN: '16', SEVENTEEN: '17',
  EIGHTEEN: '18', NINETEEN: '19', TWENTY: '20',
};

/** The words a bare ST stands for; tokenise chooses one by position, a lone typed word cannot. */
const ST_READINGS: readonly string[] = ['SAINT', 'STREET'];

/** Each word with the abbreviations that stand for it: ROAD → RD, SAINT → ST (the same table read backwards). */
const ABBREVIATED: ReadonlyMap<string, readonly string[]> = (() => {
  const out = new Map<string, string[]>();
  const add = (word: string, abbreviation: string) => out.set(word, [...(out.get(word) ?? []), abbreviation]);
  for (const [abbreviation, word] of Object.entries(ABBREVIATIONS)) add(word, abbreviation);
  for (const word of ST_READINGS) add(word, 'ST');
  return out;
})();

/**
 * The other spellings of one word, for a search that cannot normalise what it searches (the type-ahead index holds
 * the gazetteer's words as written): RD → ROAD, ROAD → RD, ST → SAINT and STREET, SAINT → ST. `word` is upper case.
 */
export function spellingsOf(word: string): string[] {
  const expanded = word === 'ST' ? ST_READINGS : ABBREVIATIONS[word] !== undefined ? [ABBREVIATIONS[word] as string] : [];
  return [...new Set([...expanded, ...(ABBREVIATED.get(word) ?? [])])].filter((w) => w !== word);
}

/** Words before which ST is a saint's name rather than a street ("CHURCH OF ST MARY"). */
const SAINT_AFTER = new Set(['OF', 'AND', 'THE']);

const NUMBERISH = /^\d/;

/** True for a token that starts with a digit: 10, 10A, 12-14, 2/1. */
export const isNumberish = (token: string | undefined): boolean => token !== undefined && NUMBERISH.test(token);

/**
 * Control characters (a NUL, a TAB, a stray C1 code of an extract decoded in the wrong character set) as spaces:
 * they separate words, and a TAB and a NUL between two words must read alike.
 */
export function spaceControls(text: string): string {
  return text.replace(/\p{Cc}/gu, ' ');
}

/** Upper case, accents folded, & as AND, apostrophes dropped; keeps letters, digits and the separators , / - */
export function foldAddress(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/&/g, ' AND ')
    .replace(/['’‘`]/g, '')
    .replace(/[^A-Z0-9,/\-\s]/g, ' ');
}

/**
 * The words of a text as the type-ahead index keeps and looks them up: folded as above, then split on anything but
 * letters and digits. The index's SQL (gazetteer_fold, migration 050) must agree; a test runs both over the same text.
 */
export function searchWords(text: string): string[] {
  return foldAddress(text).split(/[^A-Z0-9]+/).filter((w) => w !== '');
}

/** Join the pieces of ranges (12 - 14), tenement positions (2 / 1) and numbers split from their suffix (2 A). */
function joinNumbers(text: string): string {
  return text
    .replace(/\b(\d+[A-Z]?)\s*-\s*(\d+[A-Z]?)\b/g, '$1-$2')
    .replace(/\b(\d+)\s*\/\s*(\d+|[A-Z])\b/g, '$1/$2')
    .replace(/(?<!\d[A-Z]?)-|-(?!\d)/g, ' ')
    .replace(/\//g, (m, offset: number, s: string) => (/\d/.test(s[offset - 1] ?? '') ? m : ' '));
}

function resolveSaint(tokens: string[]): void {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== 'ST') continue;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const next2 = tokens[i + 2];
    let saint: boolean;
    if (next === undefined || next === ',' || isNumberish(next)) saint = false;
    else if (prev === undefined || prev === ',' || isNumberish(prev) || prev === 'SAINT') saint = true;
    else if (SAINT_AFTER.has(prev)) saint = true;
    // After a whole street name ("HIGH STREET ST ALBANS"), not after a first word that is also a type ("PARK ST").
    else if (STREET_TYPES.has(prev) && /^[A-Z]/.test(tokens[i - 2] ?? '') && tokens[i - 2] !== ',') saint = true;
    else saint = next2 !== undefined && STREET_TYPES.has(next2);
    tokens[i] = saint ? 'SAINT' : 'STREET';
  }
}

/** The normalised tokens of an address, with ',' where the writer put a break. */
export function tokenise(text: string): string[] {
  const raw = joinNumbers(foldAddress(text)).replace(/,/g, ' , ').split(/\s+/).filter((t) => t !== '');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i] as string;
    const next = raw[i + 1];
    // "2 A HIGH STREET", "7 A, BEACON HOUSE": a lone letter after a number is its suffix; not at the very end,
    // where it may be a word or a stray initial, since nothing follows to show it belongs to the number.
    if (/^\d+$/.test(t) && next !== undefined && /^[A-Z]$/.test(next) && raw[i + 2] !== undefined) {
      out.push(t + next);
      i++;
      continue;
    }
    const phrase = PHRASES[t];
    if (phrase) {
      out.push(...phrase);
      continue;
    }
    out.push(ABBREVIATIONS[t] ?? t);
  }
  // NO 5 / NUMBER 5 is 5; FLAT ONE is FLAT 1.
  const tokens: string[] = [];
  for (let i = 0; i < out.length; i++) {
    const t = out[i] as string;
    const next = out[i + 1];
    if ((t === 'NO' || t === 'NUMBER') && next !== undefined && (isNumberish(next) || NUMBER_WORDS[next] !== undefined)) {
      tokens.push(NUMBER_WORDS[next] ?? next);
      i++;
      continue;
    }
    const prev = tokens[tokens.length - 1];
    if (prev !== undefined && UNIT_WORDS.has(prev) && NUMBER_WORDS[t] !== undefined) {
      tokens.push(NUMBER_WORDS[t] as string);
      continue;
    }
    tokens.push(t);
  }
  resolveSaint(tokens);
  while (tokens[0] === ',') tokens.shift();
  while (tokens[tokens.length - 1] === ',') tokens.pop();
  return tokens.filter((t, i) => t !== ',' || tokens[i - 1] !== ',');
}

/** Normalised text without breaks: the form compared and indexed. */
export function normaliseAddress(text: string): string {
  return tokenise(text).filter((t) => t !== ',').join(' ');
}

/** Normalised street, locality or town name (no breaks, same rules). */
export const normaliseName = normaliseAddress;

/** The street-type word of a normalised street name, or null ("MILL LANE" → LANE). */
export function streetType(street: string): string | null {
  const last = street.slice(street.lastIndexOf(' ') + 1);
  return STREET_TYPES.has(last) && last !== street ? last : null;
}
