/**
 * Match one source address to a UPRN. Deterministic evidence first (a UPRN
 * the source supplied, a cross reference such as a council-tax reference),
 * then parse → candidates (postcode unit, the street by name, misspelt
 * streets ranked within the sector or town) → field comparison → score, with
 * a distinguishability check: the best must clearly beat the runner-up (a
 * different UPRN), or the result goes to review.
 */
import type { IndexedAddress } from '../../schemas/bs7666.js';
import type { CandidateSource } from './candidates.js';
import { compareAddress, similarNames, slips, type FieldLevels } from './compare.js';
import { formatAddress } from './format.js';
import { UNIT_WORDS, normaliseAddress, spaceControls } from './normalise.js';
import type { ParsedAddress } from './parse.js';
import type { AddressParser } from './parser.js';
import { postcodeSector, repairPostcode } from './postcode.js';
import { prepareCandidate, prepareInput, type ComparableAddress, type ComparableObject } from './prepare.js';
import { maximumWeight, scoreLevels } from './score.js';

export interface MatchInput {
  text: string;
  postcode?: string | null;
  /** A UPRN the source system holds for this address. */
  uprn?: number | null;
  /** A cross reference the gazetteer knows, e.g. the council-tax property reference. */
  crossReference?: string | null;
}

export interface MatchOptions {
  parser: AddressParser;
  /** Lowest score matched automatically (default 0.8). */
  matchThreshold?: number;
  /** Lowest score sent to review; below it the input is unmatched (default 0.45). */
  reviewThreshold?: number;
  /** How far the best must be ahead of the runner-up to be matched (default 0.1). */
  margin?: number;
  /** Candidates listed in the result (default 5). */
  maxCandidates?: number;
}

export type MatchStatus = 'matched' | 'review' | 'unmatched';
export type Evidence = 'uprn' | 'cross-reference' | 'address';

export interface CandidateSummary {
  uprn: number;
  score: number;
  /** The LPI that scored best for this UPRN, one line in BS 7666 order. */
  address: string;
  lpiKey: string;
  /** That LPI's language: ENG, or CYM for a property's Welsh address. */
  language: string;
  logicalStatus: number;
}

export interface MatchExplanation {
  evidence: Evidence;
  /** How each field of the input compared with the chosen (or best) candidate. */
  fields: FieldLevels | null;
  runnerUp: { uprn: number; score: number; fields: FieldLevels | null } | null;
  /** Why the result is not a clean match (empty when it is). */
  reasons: string[];
  /** The retired UPRN the best candidate had, when the result follows its successor. */
  successorOf: number | null;
  parsed: ParsedAddress | null;
}

export interface MatchResult {
  status: MatchStatus;
  uprn: number | null;
  score: number;
  explanation: MatchExplanation;
  candidates: CandidateSummary[];
}

interface Evaluated {
  uprn: number;
  row: IndexedAddress;
  score: number;
  levels: FieldLevels | null;
  blockers: string[];
  successorOf: number | null;
  /** Some reading of the input names this row's SAO exactly. */
  saoAgrees?: boolean;
}

/** Why a PO box without a street address is unmatched; it begins with a code a caller can test for. */
export const PO_BOX_REASON = 'po-box: a PO box is not a property in the gazetteer, and no street address was given with it';

/**
 * Why an input that is only a postcode (with perhaps a town or locality) is unmatched: a postcode unit holds a
 * street's worth of properties, and nothing tells them apart. It begins with a code a caller can test for.
 */
export const POSTCODE_ONLY_REASON = 'postcode-only: a postcode alone is not an address; no street, house number or name was given';

/** Said when the postcode given (the separate field) is not a valid postcode, and so is not used. */
export const INVALID_POSTCODE_REASON = 'invalid-postcode: the postcode given is not a valid postcode, even repaired, and was not used';

/** The key under which a steward's decision for this input is stored and reused. */
export function inputKey(text: string, postcode?: string | null): string {
  return `${normaliseAddress(text)}|${repairPostcode(postcode) ?? ''}`;
}

const noObject = (): ComparableObject => ({ start: null, startSuffix: '', end: null, endSuffix: '', text: '' });

const hasSao = (inp: ComparableAddress): boolean => inp.sao.start !== null || inp.sao.startSuffix !== '' || inp.sao.text !== '';

/**
 * The ways the premises can be read: as parsed; "12 RIVERSIDE COURT" with the
 * number as the building's rather than a flat's (not when a unit word such as
 * FLAT says it is a flat's); "3A" as flat A at number 3; "12/14" as flat 12
 * at number 14 as well as the range.
 */
function readings(inp: ComparableAddress, parsed: ParsedAddress): ComparableAddress[] {
  const out = [inp];
  const saoIsNumberOnly = inp.sao.start !== null && inp.sao.text === '';
  const unitWord = (parsed.sao.text ?? '').split(' ').some((w) => UNIT_WORDS.has(w));
  if (saoIsNumberOnly && inp.pao.start === null && !unitWord) {
    out.push({ ...inp, sao: noObject(), pao: { ...inp.sao, text: inp.pao.text } });
  }
  if (parsed.slashRange && !hasSao(inp) && inp.pao.start !== null && inp.pao.end !== null) {
    out.push({ ...inp, sao: { ...noObject(), start: inp.pao.start }, pao: { ...inp.pao, start: inp.pao.end, end: null, endSuffix: '' } });
  }
  const saoEmpty = inp.sao.start === null && inp.sao.startSuffix === '' && inp.sao.text === '';
  if (saoEmpty && inp.pao.start !== null && inp.pao.startSuffix !== '' && inp.pao.end === null) {
    out.push({ ...inp, sao: { ...noObject(), startSuffix: inp.pao.startSuffix }, pao: { ...inp.pao, startSuffix: '' } });
  }
  return out;
}

class Evaluator {
  readonly best = new Map<number, Evaluated>();
  /** UPRNs that are the parent of a row seen: parent shells, the building rather than a unit in it. */
  readonly parents = new Set<number>();
  /** Rows scored, for scoring again without the postcode. */
  readonly scored: IndexedAddress[] = [];
  private readonly seen = new Set<IndexedAddress>();
  private readonly maxima: number[];

  /** ignorePostcode: the postcode is compared (for the explanation) but neither counts nor is counted on. */
  constructor(private readonly inputs: ComparableAddress[], private readonly ignorePostcode = false) {
    this.maxima = inputs.map((i) => maximumWeight(ignorePostcode ? { ...i, postcode: null } : i));
  }

  add(rows: readonly IndexedAddress[], keep?: (row: IndexedAddress) => boolean): void {
    for (const row of rows) {
      if (this.seen.has(row)) continue;
      this.seen.add(row);
      if (row.parentUprn !== null) this.parents.add(row.parentUprn);
      if (keep && !keep(row)) continue;
      this.scored.push(row);
      const cand = prepareCandidate(row);
      let e: Evaluated | null = null;
      let saoAgrees = false;
      for (let i = 0; i < this.inputs.length; i++) {
        const levels = compareAddress(this.inputs[i] as ComparableAddress, cand);
        if (levels.sao === 'exact') saoAgrees = true;
        const { score, blockers } = scoreLevels(this.ignorePostcode ? { ...levels, postcode: 'missing' } : levels, this.maxima[i] as number);
        // Without the postcode to vouch for it, a row lacking a name the input gives is not enough.
        if (this.ignorePostcode && levels.paoText === 'candidate-missing') blockers.push('the postcode is wrong and a name the input gives is not on this row');
        if (!e || score > e.score) e = { uprn: row.uprn, row, score, levels, blockers, successorOf: null };
      }
      if (!e) continue;
      e.saoAgrees = saoAgrees;
      const prev = this.best.get(row.uprn);
      // One result per UPRN: its best LPI; on a tie the approved LPI is the one shown.
      if (!prev || e.score > prev.score || (e.score === prev.score && row.logicalStatus === 1 && prev.row.logicalStatus !== 1)) {
        this.best.set(row.uprn, e);
      }
    }
  }

  top(): number {
    let top = 0;
    for (const e of this.best.values()) if (e.score > top && e.blockers.length === 0) top = e.score;
    return top;
  }

  ranked(): Evaluated[] {
    return [...this.best.values()].sort((a, b) => b.score - a.score || a.uprn - b.uprn);
  }
}

/** Rows worth scoring for an input with a house number: those whose number could agree, and named buildings. */
function numberFilter(inputs: readonly ComparableAddress[]): ((row: IndexedAddress) => boolean) | undefined {
  if (inputs.some((inp) => inp.pao.start === null)) return undefined;
  const numbers = new Set<number>();
  for (const inp of inputs) {
    numbers.add(inp.pao.start as number);
    if (inp.sao.start !== null) numbers.add(inp.sao.start);
  }
  return (row) => {
    const s = row.paoStartNumber;
    if (s === null || numbers.has(s)) return true;
    const e = row.paoEndNumber;
    if (e === null) return false;
    for (const n of numbers) if (n >= s && n <= e) return true;
    return false;
  };
}

async function streetCandidates(inputs: readonly ComparableAddress[], source: CandidateSource, ev: Evaluator): Promise<void> {
  const inp = inputs[0] as ComparableAddress;
  if (!inp.street) return;
  const filter = numberFilter(inputs);
  const place = inp.locality ?? inp.town;
  const exact = await source.byStreet(inp.street, place);
  if (exact.length > 0) {
    ev.add(exact, filter);
    return;
  }
  // Not a known street: rank the sector's or town's streets by spelling and take the close ones.
  const sector = inp.postcode ? postcodeSector(inp.postcode) : null;
  const names = await source.streetNames({ sector, town: inp.town ?? inp.locality });
  const street = inp.street;
  const close = names
    .filter((name) => similarNames(street, name))
    .map((name) => ({ name, edits: slips(street, name) }))
    .sort((a, b) => a.edits - b.edits || (a.name < b.name ? -1 : 1));
  for (const { name } of close.slice(0, 5)) ev.add(await source.byStreet(name, place), filter);
}

const rowHasSao = (row: IndexedAddress): boolean => row.saoStartNumber !== null || !!row.saoStartSuffix || !!row.saoText;

/**
 * A parent shell (the building holding units) is never the answer for an input that names a unit: it is dropped
 * when one of its units agrees with the input's SAO, and blocked when the input names a unit by its words. When a
 * unit agrees, its sibling units that only a reading without a SAO reached are dropped too: that reading names the
 * building, and cannot choose between its units.
 */
function withoutShells(ranked: Evaluated[], parents: ReadonlySet<number>, namesUnit: (e: Evaluated) => boolean): Evaluated[] {
  const childAgrees = new Set<number>();
  for (const e of ranked) if (e.saoAgrees && e.row.parentUprn !== null) childAgrees.add(e.row.parentUprn);
  const out: Evaluated[] = [];
  for (const e of ranked) {
    const shell = parents.has(e.uprn) && !rowHasSao(e.row);
    if (shell && childAgrees.has(e.uprn)) continue;
    if (!e.saoAgrees && e.row.parentUprn !== null && childAgrees.has(e.row.parentUprn) && e.levels?.sao === 'input-missing') continue;
    if (shell && namesUnit(e)) out.push({ ...e, blockers: [...e.blockers, 'the input names a unit; this is the building holding the units'] });
    else out.push(e);
  }
  return out;
}

/** A candidate as a match result lists it: one of its LPIs, with the score. */
export function candidateSummary(row: IndexedAddress, score: number): CandidateSummary {
  return { uprn: row.uprn, score, address: formatAddress(row), lpiKey: row.lpiKey, language: row.language, logicalStatus: row.logicalStatus };
}

const summary = (e: Evaluated): CandidateSummary => candidateSummary(e.row, e.score);

/** Follow retired UPRNs to their successors and keep one result per final UPRN. */
async function followSuccessors(ranked: Evaluated[], source: CandidateSource): Promise<Evaluated[]> {
  const out: Evaluated[] = [];
  const seen = new Set<number>();
  for (const e of ranked) {
    let current = e;
    if (e.row.blpuStatus === 8) {
      const next = await source.successorOf(e.uprn);
      if (next !== null) current = { ...e, uprn: next, successorOf: e.uprn };
    }
    if (seen.has(current.uprn)) continue;
    seen.add(current.uprn);
    out.push(current);
  }
  return out;
}

/** Score an input against the LPIs of one UPRN (for supplied UPRNs and cross references). */
function scoreAgainst(inputs: ComparableAddress[], rows: readonly IndexedAddress[]): Evaluated | null {
  const ev = new Evaluator(inputs);
  ev.add(rows);
  return ev.ranked()[0] ?? null;
}

/** How an input compares with one property, whatever chose it. */
export interface Comparison {
  /** What the text alone scores against the property's best LPI (0 without text). */
  score: number;
  fields: FieldLevels | null;
  /** The LPI that scored best; the first given when there is no text to compare. */
  row: IndexedAddress | null;
  parsed: ParsedAddress | null;
  /**
   * The property is plainly elsewhere than the input says: another street (neither its name nor a slip of it agree,
   * whatever the type words), under a postcode of another sector. A field the input lacks contradicts nothing.
   */
  contradicts: boolean;
}

/** A street's name without its type word ("MILL LANE" → MILL). */
const streetName = (a: ComparableAddress): string => (a.streetType ? (a.street as string).slice(0, -a.streetType.length - 1) : (a.street as string));

/**
 * The input compared field by field with the LPIs of one property: a steward's decision names a property the text
 * may not, and the explanation of a decided input still shows where they agree and where they do not.
 */
export function compareWithProperty(input: MatchInput, rows: readonly IndexedAddress[], parser: AddressParser): Comparison {
  const parsed = input.text.trim() !== '' ? parser.parse(input.text, input.postcode) : null;
  const inputs = parsed ? readings(prepareInput(parsed), parsed) : [];
  const best = inputs.length > 0 ? scoreAgainst(inputs, rows) : null;
  let contradicts = false;
  const levels = best?.levels;
  if (best && levels && (levels.street === 'different' || levels.street === 'type-differs') && (levels.postcode === 'different' || levels.postcode === 'outward')) {
    const [a, b] = [inputs[0] as ComparableAddress, prepareCandidate(best.row)];
    contradicts = a.street !== null && b.street !== null && streetName(a) !== streetName(b) && !similarNames(streetName(a), streetName(b));
  }
  return { score: best?.score ?? 0, fields: levels ?? null, row: best?.row ?? rows[0] ?? null, parsed, contradicts };
}

export async function matchAddress(given: MatchInput, source: CandidateSource, opts: MatchOptions): Promise<MatchResult> {
  const input: MatchInput = { ...given, text: spaceControls(given.text), postcode: given.postcode ? spaceControls(given.postcode) : given.postcode };
  const matchThreshold = opts.matchThreshold ?? 0.8;
  const reviewThreshold = opts.reviewThreshold ?? 0.45;
  const margin = opts.margin ?? 0.1;
  const maxCandidates = opts.maxCandidates ?? 5;
  const hasText = input.text.trim() !== '';
  const parsed = hasText ? opts.parser.parse(input.text, input.postcode) : null;
  const inputs = parsed ? readings(prepareInput(parsed), parsed) : [];
  const reasons: string[] = [];
  // Not silently as if none were given: the caller learns the field it sent was of no use.
  if (input.postcode && input.postcode.trim() !== '' && repairPostcode(input.postcode) === null) reasons.push(INVALID_POSTCODE_REASON);

  // Deterministic evidence: accepted unless the address plainly contradicts it.
  const evidence: [Evidence, () => ReturnType<CandidateSource['byUprn']>][] = [];
  if (input.uprn !== null && input.uprn !== undefined) evidence.push(['uprn', () => source.byUprn(input.uprn as number)]);
  if (input.crossReference) evidence.push(['cross-reference', () => source.byCrossReference(input.crossReference as string)]);
  for (const [kind, fetch] of evidence) {
    const rows = await fetch();
    const uprns = new Set(rows.map((r) => r.uprn));
    if (uprns.size !== 1) {
      if (rows.length === 0) reasons.push(`${kind} not found in the gazetteer`);
      else reasons.push(`${kind} points at ${uprns.size} properties`);
      continue;
    }
    const fit = inputs.length > 0 ? scoreAgainst(inputs, rows) : null;
    if (fit && fit.score < reviewThreshold) {
      reasons.push(`${kind} does not fit the address (score ${fit.score})`);
      continue;
    }
    const first = rows[0] as IndexedAddress;
    const successor = first.blpuStatus === 8 ? await source.successorOf(first.uprn) : null;
    const chosen = fit ?? { uprn: first.uprn, row: first, score: 1, levels: null, blockers: [], successorOf: null };
    return {
      status: 'matched',
      uprn: successor ?? first.uprn,
      score: 1,
      explanation: { evidence: kind, fields: chosen.levels, runnerUp: null, reasons, successorOf: successor === null ? null : first.uprn, parsed },
      candidates: [{ ...summary(chosen), uprn: successor ?? first.uprn, score: 1 }],
    };
  }
  const contradicted = reasons.some((r) => r.includes('does not fit'));

  const unmatched = (why: string): MatchResult => ({
    status: 'unmatched', uprn: null, score: 0,
    explanation: { evidence: 'address', fields: null, runnerUp: null, reasons: [...reasons, why], successorOf: null, parsed },
    candidates: [],
  });
  if (inputs.length === 0 || !parsed) return unmatched('no address text');
  const inp = inputs[0] as ComparableAddress;
  // A PO box is no property: the postcode and town around it, or its number taken for a house number, would find one
  // that is not the input's. Only a street address written with it (a street and a number or name) is matched.
  if (parsed.poBox !== undefined && (inp.street === null || (inp.pao.start === null && inp.pao.text === ''))) return unmatched(PO_BOX_REASON);
  if (inp.street === null && inp.postcode === null) return unmatched('neither a street nor a postcode found in the address');
  const nothingButPlace = inp.street === null && inp.pao.start === null && inp.pao.text === '' && !hasSao(inp) && inp.leftover === '';
  if (nothingButPlace) return unmatched(POSTCODE_ONLY_REASON);

  let ev = new Evaluator(inputs);
  if (inp.postcode) ev.add(await source.byPostcode(inp.postcode));
  // Candidates from the postcode unit that agree everywhere need no wider search.
  const settled = ev.top() >= 1;
  if (!settled) await streetCandidates(inputs, source, ev);
  // A postcode that is not the best candidate's is a slip (a neighbouring unit or sector), not evidence: scored
  // without it, the rest of the address must decide on its own, and a street name shared by two places goes to review.
  const top = ev.ranked()[0];
  if (inp.postcode && top?.levels && top.levels.postcode !== 'exact') {
    const without = new Evaluator(inputs, true);
    without.add(ev.scored);
    for (const p of ev.parents) without.parents.add(p);
    ev = without;
    reasons.push('the postcode is not the best candidate\'s and was left out');
  }

  // Every reading has a SAO, or n/m reached the building only by taking it for a range it is not.
  const namesUnit = (e: Evaluated): boolean => inputs.every(hasSao) || (parsed.slashRange === true && e.levels?.paoNumber !== 'exact');
  const ranked = withoutShells(await followSuccessors(ev.ranked(), source), ev.parents, namesUnit);
  const best = ranked[0];
  if (!best) return unmatched('no candidate found');
  const runner = ranked[1] ?? null;
  reasons.push(...best.blockers);
  const clear = runner === null || best.score - runner.score >= margin;
  if (!clear) reasons.push(`best does not clearly beat the runner-up (${best.score} against ${runner.score})`);
  if (best.score < matchThreshold) reasons.push(`score below the match threshold ${matchThreshold}`);
  if (contradicted) reasons.push('the supplied reference points elsewhere');

  let status: MatchStatus;
  if (best.score >= matchThreshold && best.blockers.length === 0 && clear && !contradicted) status = 'matched';
  else if (best.score >= reviewThreshold) status = 'review';
  else status = 'unmatched';

  return {
    status,
    uprn: status === 'unmatched' ? null : best.uprn,
    score: best.score,
    explanation: {
      evidence: 'address',
      fields: best.levels,
      runnerUp: runner ? { uprn: runner.uprn, score: runner.score, fields: runner.levels } : null,
      reasons,
      successorOf: best.successorOf,
      parsed,
    },
    candidates: ranked.slice(0, maxCandidates).map(summary),
  };
}
