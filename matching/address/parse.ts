/**
 * The built-in BS 7666 parser: free text (plus an optional separate postcode)
 * into SAO, PAO, street, locality, town and postcode. Town and locality are
 * taken from the end by the gazetteer's own vocabulary, the street is the
 * rightmost known street name (or, failing that, the words ending in a street
 * type or following the house number), and what is left before the street is
 * read as premises: PAO next to the street, SAO before it.
 */
import { FLOOR_WORDS, UNIT_WORDS, STREET_TYPES, isNumberish, spaceControls, tokenise } from './normalise.js';
import { findPostcode, repairPostcode } from './postcode.js';
import type { Vocabulary } from './vocabulary.js';

/** A SAO or PAO as BS 7666 holds it: start number and suffix, end number and suffix, text. */
export interface AddressObject {
  startNumber: number | null;
  startSuffix: string | null;
  endNumber: number | null;
  endSuffix: string | null;
  text: string | null;
}

export interface ParsedAddress {
  sao: AddressObject;
  pao: AddressObject;
  street: string | null;
  locality: string | null;
  town: string | null;
  postcode: string | null;
  /** Words the parser could not place (often an organisation name). */
  leftover: string[];
  /** The house number was written n/m and read as the range n-m: it may as well be flat n at number m. */
  slashRange?: boolean;
  /** A PO box was written (its number, '' when none): taken out of the address, since no gazetteer holds PO boxes. */
  poBox?: string;
}

export const emptyObject = (): AddressObject => ({ startNumber: null, startSuffix: null, endNumber: null, endSuffix: null, text: null });

const SIMPLE = /^(\d+)([A-Z]?)$/;
const RANGE = /^(\d+)([A-Z]?)-(\d+)([A-Z]?)$/;
const SLASH = /^(\d+)\/(\d+)$/;
/** Scottish and Edinburgh flat positions: 2/1, 0/L, 1F2, PF1, GF. */
const POSITION = /^(\d+\/[0-9A-Z]|\d+F\d+|[PGB]F\d*)$/;

interface NumberReading { start: number; startSuffix: string | null; end: number | null; endSuffix: string | null }

/** A house number, range or 12/14 range; null for anything else (2/1 is a position, not a range). */
export function readNumber(token: string): NumberReading | null {
  let m = SIMPLE.exec(token);
  if (m) return { start: Number(m[1]), startSuffix: m[2] || null, end: null, endSuffix: null };
  m = RANGE.exec(token);
  if (m) return { start: Number(m[1]), startSuffix: m[2] || null, end: Number(m[3]), endSuffix: m[4] || null };
  m = SLASH.exec(token);
  // 12/14 is a range only when it reads as one: the end is above the start on the same side of the street.
  if (m && Number(m[2]) > Number(m[1]) && (Number(m[2]) - Number(m[1])) % 2 === 0) {
    return { start: Number(m[1]), startSuffix: null, end: Number(m[2]), endSuffix: null };
  }
  return null;
}

function setNumber(obj: AddressObject, n: NumberReading): void {
  obj.startNumber = n.start;
  obj.startSuffix = n.startSuffix;
  obj.endNumber = n.end;
  obj.endSuffix = n.endSuffix;
}

type Item =
  | { kind: 'break' }
  | { kind: 'number'; token: string; reading: NumberReading }
  | { kind: 'unit'; words: string[] }
  | { kind: 'text'; words: string[] };

/** Classify the premises tokens into numbers, unit phrases (FLAT 3, GROUND FLOOR FLAT, 2/1) and text runs. */
function premisesItems(tokens: readonly string[]): Item[] {
  const items: Item[] = [];
  const pushText = (w: string) => {
    const last = items[items.length - 1];
    if (last?.kind === 'text') last.words.push(w);
    else items.push({ kind: 'text', words: [w] });
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    const next = tokens[i + 1];
    if (t === ',') {
      items.push({ kind: 'break' });
    } else if (POSITION.test(t) || (/^\d+\/\d+$/.test(t) && readNumber(t) === null)) {
      items.push({ kind: 'unit', words: [t] });
    } else if (isNumberish(t)) {
      const reading = readNumber(t);
      if (reading) items.push({ kind: 'number', token: t, reading });
      else pushText(t);
    } else if (t === 'PLOT' && isNumberish(next)) {
      // A building plot's number is not a house number: "PLOT 42" is kept whole, as the gazetteer keeps it.
      pushText(t);
      pushText(next as string);
      i++;
    } else if (UNIT_WORDS.has(t) && next !== undefined && (isNumberish(next) || /^[A-Z]$/.test(next))) {
      items.push({ kind: 'unit', words: [t, next] });
      i++;
    } else if (FLOOR_WORDS.has(t) && (next === 'FLOOR' || next === 'FLAT' || t === 'BASEMENT' || (FLOOR_WORDS.has(next ?? '') && tokens[i + 2] === 'FLOOR'))) {
      const words = [t];
      while (i + 1 < tokens.length && (FLOOR_WORDS.has(tokens[i + 1] as string) || tokens[i + 1] === 'FLOOR' || tokens[i + 1] === 'FLAT')) {
        words.push(tokens[++i] as string);
      }
      items.push({ kind: 'unit', words });
    } else {
      pushText(t);
    }
  }
  return items;
}

/** Read a SAO or PAO written as text ("FLAT 1A", "GROUND FLOOR FLAT", "12-14", "2/1") into its BS 7666 parts. */
export function parseObjectText(text: string): AddressObject {
  const obj = emptyObject();
  const words: string[] = [];
  for (const t of tokenise(text)) {
    if (t === ',') continue;
    const n = obj.startNumber === null && !POSITION.test(t) ? readNumber(t) : null;
    if (n) setNumber(obj, n);
    else words.push(t);
  }
  obj.text = words.length > 0 ? words.join(' ') : null;
  return obj;
}

function saoFromItems(items: readonly Item[], sao: AddressObject, leftover: string[]): void {
  const texts: string[] = [];
  for (const item of items) {
    if (item.kind === 'break') continue;
    if (item.kind === 'number') {
      if (sao.startNumber === null) setNumber(sao, item.reading);
      else leftover.push(item.token);
    } else if (item.kind === 'unit') {
      const [first, second] = item.words;
      const n = second !== undefined && UNIT_WORDS.has(first as string) ? readNumber(second) : null;
      if (n && sao.startNumber === null) {
        setNumber(sao, n);
        texts.push(first as string);
      } else if (second !== undefined && /^[A-Z]$/.test(second) && UNIT_WORDS.has(first as string)) {
        sao.startSuffix = second;
        texts.push(first as string);
      } else {
        texts.push(...item.words);
      }
    } else {
      leftover.push(item.words.join(' '));
    }
  }
  if (texts.length > 0) sao.text = texts.join(' ');
}

/** "3/12" next to the street: flat 3 at number 12 (a tenement position such as 2/1 is followed by the house number). */
const FLAT_AT_NUMBER = /^(\d+)\/(\d+)$/;

/** Premises tokens (everything before the street) into SAO and PAO. */
function parsePremises(tokens: readonly string[], parsed: ParsedAddress): void {
  const { sao, pao, leftover } = parsed;
  const items = premisesItems(tokens);
  let i = items.length - 1;
  const skipBreaks = () => {
    while (i >= 0 && items[i]?.kind === 'break') i--;
  };
  skipBreaks();
  const last = items[i];
  const slashWord = last?.kind === 'unit' ? last.words[last.words.length - 1] as string : '';
  const flatAt = last?.kind === 'unit' && (last.words.length === 1 || UNIT_WORDS.has(last.words[0] as string)) ? FLAT_AT_NUMBER.exec(slashWord) : null;
  const slashRange = flatAt && last?.kind === 'unit' && last.words.length === 1 ? readNumber(slashWord) : null;
  if (slashRange) {
    setNumber(pao, slashRange);
    parsed.slashRange = true;
    i--;
  } else if (flatAt && last?.kind === 'unit') {
    pao.startNumber = Number(flatAt[2]);
    sao.startNumber = Number(flatAt[1]);
    if (last.words.length > 1) sao.text = last.words[0] as string;
    i--;
  } else if (last?.kind === 'number') {
    setNumber(pao, last.reading);
    if (last.token.includes('/')) parsed.slashRange = true;
    i--;
  } else if (last?.kind === 'text') {
    pao.text = last.words.join(' ');
    i--;
    skipBreaks();
    // "FLAT 1, 5 RIVERSIDE COURT": a number before the building name is the building's when a unit comes first.
    const before = items[i];
    if (before?.kind === 'number' && items.slice(0, i).some((it) => it.kind === 'unit' || it.kind === 'number')) {
      setNumber(pao, before.reading);
      i--;
    }
  }
  if (pao.startNumber !== null && pao.text === null) {
    skipBreaks();
    const before = items[i];
    if (before?.kind === 'text') {
      pao.text = before.words.join(' ');
      i--;
    }
  }
  if (flatAt) {
    for (const it of items.slice(0, i + 1)) if (it.kind !== 'break') leftover.push(it.kind === 'number' ? it.token : it.words.join(' '));
    return;
  }
  saoFromItems(items.slice(0, i + 1), sao, leftover);
}

/** Longest known name ending exactly at `end` (exclusive) within tokens[from, end). */
function knownSpanEndingAt(tokens: readonly string[], end: number, from: number, names: ReadonlySet<string>, maxWords: number): number | null {
  for (let start = Math.max(from, end - maxWords); start < end; start++) {
    const span = tokens.slice(start, end);
    if (span.includes(',')) continue;
    if (names.has(span.join(' '))) return start;
  }
  return null;
}

/** A house number comes next (after any breaks): what ends at `end` is a building's name, not the street. */
function numberFollows(tokens: readonly string[], end: number): boolean {
  let next = end;
  while (tokens[next] === ',') next++;
  return isNumberish(tokens[next]);
}

/**
 * The rightmost, then longest, known street: [start, end) or null. Not one followed by a house number: that is a
 * building named like a street ("RIVERSIDE COURT, 85 RIYERSIDE GARDENS"), and the street is the one misspelt after it.
 */
function findKnownStreet(tokens: readonly string[], vocab: Vocabulary): [number, number] | null {
  for (let end = tokens.length; end > 0; end--) {
    if (numberFollows(tokens, end)) return null;
    const start = knownSpanEndingAt(tokens, end, 0, vocab.streets, vocab.maxWords);
    if (start !== null) return [start, end];
  }
  return null;
}

/** The street by word shapes: words ending in a street type, else the words after the house number. */
function guessStreet(tokens: readonly string[]): [number, number] | null {
  for (let k = tokens.length - 1; k > 0; k--) {
    if (numberFollows(tokens, k + 1)) break;
    const t = tokens[k] as string;
    const prev = tokens[k - 1];
    if (!STREET_TYPES.has(t) || prev === undefined || prev === ',' || isNumberish(prev)) continue;
    let start = k - 1;
    while (start > 0) {
      const p = tokens[start - 1] as string;
      if (p === ',' || isNumberish(p) || STREET_TYPES.has(p) || UNIT_WORDS.has(p)) break;
      start--;
    }
    return [start, k + 1];
  }
  let lastNumber = -1;
  tokens.forEach((t, i) => {
    if (isNumberish(t) && readNumber(t) !== null) lastNumber = i;
  });
  let start = lastNumber + 1;
  if (lastNumber < 0) {
    // No number: with breaks, the last segment is the street ("ROSE COTTAGE, THE BROADWAY").
    const lastBreak = tokens.lastIndexOf(',');
    if (lastBreak < 0) return null;
    start = lastBreak + 1;
  }
  while (tokens[start] === ',') start++;
  let end = start;
  while (end < tokens.length && tokens[end] !== ',') end++;
  return end > start ? [start, end] : null;
}

/** How tokenise leaves "PO BOX", "P.O. BOX", "POBOX" and "POST OFFICE BOX". */
const PO_BOX: readonly (readonly string[])[] = [['PO', 'BOX'], ['P', 'O', 'BOX'], ['POBOX'], ['POST', 'OFFICE', 'BOX']];

/** "BOX12", "POBOX12": the number written on to the word, split off. */
function splitGluedBox(tokens: readonly string[]): string[] {
  return tokens.flatMap((t) => {
    const m = /^(POBOX|BOX)(\d+[A-Z]?)$/.exec(t);
    return m ? [m[1] as string, m[2] as string] : [t];
  });
}

/**
 * Take a PO box out of the tokens: the box number, and the tokens with a break where it was; null when there is
 * none. BOX alone ("BOX 12") counts only as a part of its own, between breaks or the ends: elsewhere BOX may be a
 * name (BOX HILL, THE BOX).
 */
function takePoBox(tokens: readonly string[]): { box: string; tokens: string[] } | null {
  const ts = splitGluedBox(tokens);
  for (let i = 0; i < ts.length; i++) {
    let end = -1;
    for (const words of PO_BOX) if (words.every((w, k) => ts[i + k] === w)) end = i + words.length;
    const alone = end < 0 && ts[i] === 'BOX' && (i === 0 || ts[i - 1] === ',') && isNumberish(ts[i + 1]) && (ts[i + 2] ?? ',') === ',';
    if (alone) end = i + 1;
    if (end < 0) continue;
    const box = isNumberish(ts[end]) ? (ts[end] as string) : '';
    if (box !== '') end++;
    const rest = [...ts.slice(0, i), ',', ...ts.slice(end)].filter((t, k, all) => t !== ',' || (k > 0 && all[k - 1] !== ','));
    while (rest[rest.length - 1] === ',') rest.pop();
    return { box, tokens: rest };
  }
  return null;
}

/** Parse with the gazetteer's vocabulary; `postcode` is a separate postcode field when the source has one. */
export function parseAddress(written: string, postcode: string | null | undefined, vocab: Vocabulary): ParsedAddress {
  const text = spaceControls(written);
  const found = findPostcode(text);
  const pc = repairPostcode(postcode) ?? found?.postcode ?? null;
  let tokens = tokenise(found ? found.rest : text);
  const parsed: ParsedAddress = { sao: emptyObject(), pao: emptyObject(), street: null, locality: null, town: null, postcode: pc, leftover: [] };
  // Before the town is looked for at the end ("..., EXAMPLETON, PO BOX 12"), and again after ("BOX 12 EXAMPLETON").
  const box = takePoBox(tokens);
  if (box) {
    parsed.poBox = box.box;
    tokens = box.tokens;
  }

  // Town and locality from the end, in either order, by the gazetteer's names; all of what is left beside a PO box.
  const from = parsed.poBox === undefined ? 1 : 0;
  for (let guard = 0; guard < 4; guard++) {
    while (tokens[tokens.length - 1] === ',') tokens = tokens.slice(0, -1);
    const end = tokens.length;
    const townStart = parsed.town === null ? knownSpanEndingAt(tokens, end, from, vocab.towns, vocab.maxWords) : null;
    let locStart = parsed.locality === null ? knownSpanEndingAt(tokens, end, from, vocab.localities, vocab.maxWords) : null;
    if (locStart !== null && vocab.streets.has(tokens.slice(locStart, end).join(' '))) locStart = null;
    // The longer name wins: "SOUTH EXAMPLETON" is a locality even though EXAMPLETON is a town.
    if (townStart !== null && (locStart === null || townStart <= locStart)) {
      parsed.town = tokens.slice(townStart, end).join(' ');
      tokens = tokens.slice(0, townStart);
      continue;
    }
    if (locStart !== null) {
      parsed.locality = tokens.slice(locStart, end).join(' ');
      tokens = tokens.slice(0, locStart);
      continue;
    }
    break;
  }
  const lateBox = parsed.poBox === undefined ? takePoBox(tokens) : null;
  if (lateBox) {
    parsed.poBox = lateBox.box;
    tokens = lateBox.tokens;
  }

  const street = findKnownStreet(tokens, vocab) ?? guessStreet(tokens);
  if (street) {
    const [start, end] = street;
    parsed.street = tokens.slice(start, end).join(' ');
    const after = tokens.slice(end).filter((t) => t !== ',');
    if (after.length > 0) {
      if (parsed.locality === null) parsed.locality = after.join(' ');
      else parsed.leftover.push(after.join(' '));
    }
    tokens = tokens.slice(0, start);
  }
  parsePremises(tokens, parsed);
  return parsed;
}
