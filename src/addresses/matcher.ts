/**
 * Address matching in the service: the loaded gazetteer's address index held
 * in memory (hash indexes over prepared rows, see matching/address), reloaded
 * when a newer import has been applied; steward decisions come before the
 * model (after the deterministic evidence a source gives), so a decided input
 * never goes back to review.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { builtinParser, candidateSummary, compareWithProperty, inputKey, loadLibpostalParser, matchAddress, MemoryCandidateSource, type AddressParser, type MatchInput, type MatchResult } from '../../matching/address/index.js';
import { readIndexRows } from './index-rows.js';
import * as sql from './sql.js';

export interface HubMatchResult extends MatchResult {
  inputKey: string;
  decidedBy: 'matcher' | 'steward';
}

/**
 * Longer input keys are stored as their start and a hash of the whole: the key is indexed (address_match, the
 * review queue, steward decisions), PostgreSQL indexes at most 2,704 bytes a key, and an address stored before
 * intake bounded its lines could be longer. The hash keeps two long addresses from sharing a steward's decision.
 */
const KEY_MAX = 500;

export function storedInputKey(key: string): string {
  if (key.length <= KEY_MAX) return key;
  const start = key.slice(0, 400);
  const code = start.charCodeAt(start.length - 1);
  return `${code >= 0xd800 && code <= 0xdbff ? start.slice(0, -1) : start}#${createHash('sha256').update(key).digest('hex')}`;
}

interface Loaded {
  importId: number;
  source: MemoryCandidateSource;
  parser: AddressParser;
}

export async function loadCandidateSource(pool: pg.Pool): Promise<MemoryCandidateSource> {
  const [rows, crossReferences, successors] = await Promise.all([
    readIndexRows(pool),
    pool.query<{ crossReference: string; uprn: number }>(sql.allCrossReferences),
    pool.query<{ uprn: number; successor: number }>(sql.allSuccessors),
  ]);
  // Built in slices with a turn of the event loop between them: the API keeps answering meanwhile.
  return MemoryCandidateSource.build({ rows, crossReferences: crossReferences.rows, successors: successors.rows }, () => new Promise((r) => setImmediate(r)));
}

export class AddressMatcher {
  private loaded: Loaded | null = null;
  private loading: Promise<Loaded> | null = null;
  /** Steward decisions held in memory for batch runs; per-request lookups otherwise. */
  private decisions: Map<string, number | null> | null = null;
  /** A batch is matched against the gazetteer loaded when it began, without asking for a newer import per address. */
  private held = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly parserKind: 'builtin' | 'libpostal' = 'builtin',
  ) {}

  /** The candidate source for the newest applied gazetteer import, loading it once. */
  async current(): Promise<Loaded> {
    if (this.held && this.loaded) return this.loaded;
    const importId = (await this.pool.query<{ id: number | null }>(sql.latestImport)).rows[0]?.id ?? 0;
    if (this.loaded?.importId === importId) return this.loaded;
    if (!this.loading) {
      this.loading = loadCandidateSource(this.pool)
        .then(async (source) => {
          const parser = this.parserKind === 'libpostal' ? await loadLibpostalParser() : builtinParser(source.vocabulary);
          return (this.loaded = { importId, source, parser });
        })
        .finally(() => (this.loading = null));
    }
    return this.loading;
  }

  /** For a batch: read every steward decision once instead of once per input, and keep the gazetteer now loaded. */
  async holdDecisions(): Promise<void> {
    await this.current();
    const { rows } = await this.pool.query<{ inputKey: string; uprn: number | null }>(sql.allDecisions);
    this.decisions = new Map(rows.map((r) => [r.inputKey, r.uprn]));
    this.held = true;
  }

  private async decisionFor(key: string): Promise<{ uprn: number | null } | undefined> {
    if (this.decisions) return this.decisions.has(key) ? { uprn: this.decisions.get(key)! } : undefined;
    return (await this.pool.query<{ uprn: number | null }>(sql.decisionFor, [key])).rows[0];
  }

  /**
   * What a steward's decision for this input gives it: the property chosen (its successor once retired), with how
   * the text compares with it field by field, or no match; `contradicts`: the property is plainly elsewhere than the
   * text says (compareWithProperty). Null when the gazetteer no longer holds the property.
   */
  async decided(input: MatchInput, uprn: number | null): Promise<{ result: MatchResult; contradicts: boolean } | null> {
    const { source, parser } = await this.current();
    const parsed = input.text.trim() === '' ? null : parser.parse(input.text, input.postcode);
    if (uprn === null) {
      const result: MatchResult = {
        status: 'unmatched', uprn: null, score: 0, candidates: [],
        explanation: { evidence: 'address', fields: null, runnerUp: null, parsed, reasons: ['decided by a steward for this input: no match'], successorOf: null },
      };
      return { result, contradicts: false };
    }
    const rows = await source.byUprn(uprn);
    if (rows.length === 0) return null;
    // A property retired since the decision is followed to its successor, as a UPRN a source gives is.
    const successor = rows[0]!.blpuStatus === 8 ? await source.successorOf(rows[0]!.uprn) : null;
    const compared = compareWithProperty(input, rows, parser);
    const reasons = [successor === null ? 'decided by a steward for this input' : 'decided by a steward for this input; that property has since been retired'];
    // The score is the decision's; the fields and this reason say how far the text itself is from the property.
    if (compared.fields) reasons.push(`the address as written scores ${compared.score} against the property decided`);
    if (compared.contradicts) reasons.push('the property decided is on another street, under a postcode of another sector, than the address as written');
    const chosen = successor ?? uprn;
    const result: MatchResult = {
      status: 'matched', uprn: chosen, score: 1,
      explanation: { evidence: 'address', fields: compared.fields, runnerUp: null, parsed: compared.parsed, reasons, successorOf: successor === null ? null : uprn },
      candidates: [{ ...candidateSummary(compared.row ?? rows[0]!, 1), uprn: chosen }],
    };
    return { result, contradicts: compared.contradicts };
  }

  async match(input: MatchInput): Promise<HubMatchResult> {
    const key = storedInputKey(inputKey(input.text, input.postcode));
    const { source, parser } = await this.current();
    const decision = await this.decisionFor(key);
    let matched: MatchResult | null = null;
    // Deterministic evidence (a UPRN the source holds, a cross reference) comes before the text, so before a steward's decision about the text.
    if (decision && (input.uprn != null || input.crossReference)) {
      matched = await matchAddress(input, source, { parser });
      if (matched.explanation.evidence !== 'address') return { ...matched, inputKey: key, decidedBy: 'matcher' };
    }
    const decided = decision ? await this.decided(input, decision.uprn) : null;
    if (decided) return { ...decided.result, inputKey: key, decidedBy: 'steward' };
    matched ??= await matchAddress(input, source, { parser });
    // The property a steward chose has left the gazetteer: the input is matched afresh, and says why.
    if (decision) matched.explanation.reasons.unshift(`a steward decided UPRN ${decision.uprn} for this input, which the gazetteer no longer holds`);
    return { ...matched, inputKey: key, decidedBy: 'matcher' };
  }
}
