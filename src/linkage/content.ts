/**
 * A source record as linking compares it: its features, prepared form and
 * blocking keys. Preparing (JSON, address parsing, name folding, phonetic
 * codes, phone parsing) is most of a large run's work outside the decisions,
 * so a run does it in a worker thread, beside the batch being linked; until
 * the worker is ready, or should it fail, here.
 */
import type { Worker } from 'node:worker_threads';
import { DEFAULT_BLOCKING_RULES, prepare as preparePerson, type BlockingRule, type PersonRecord, type PreparedPerson, type PrepareTables } from '../../matching/person/index.js';
import type { ParsedAddress } from '../../matching/address/index.js';
import type { SourceRecord } from '../../schemas/source-record.js';
import { startWorker } from '../worker-thread.js';
import { personFeatures } from './features.js';
import { blockKeys } from './person-index.js';

/** A source record version as read, its record as JSON text (parsed where it is prepared). */
export interface SourceRow { system: string; source_ref: string; id: string; record: string; matched_uprn: string | null; matched_parse?: ParsedAddress | null }

export interface Prepared { features: PersonRecord; me: PreparedPerson; keys: string[] }

export function prepareRow(row: SourceRow, tables: PrepareTables, rules: readonly BlockingRule[], known?: PreparedPerson): Prepared {
  const features = personFeatures(JSON.parse(row.record) as SourceRecord, row.matched_uprn, row.matched_parse ?? null);
  // A version keeps its prepared form, but not across a change of its matched UPRN (a new match, a gazetteer update).
  const me = known && known.uprn === (features.uprn ?? null) ? known : preparePerson(features, tables);
  return { features, me, keys: blockKeys({ rules }, me) };
}

/** Messages to and from the worker (prepare-worker.ts). */
export type ToWorker = { seq: number; rows: readonly SourceRow[] };
export type FromWorker = { ready: true } | { seq: number; prepared: Prepared[] } | { seq: number; error: string };

const PRELOADED = ['libphonenumber-js', 'double-metaphone', 'fastest-levenshtein', 'postcode', 'talisman/metrics/jaro-winkler.js'];

/**
 * A worker thread preparing rows for one run, with the default blocking
 * rules only (a rule is code, which cannot be sent to a thread).
 */
export class ContentWorker {
  private readonly worker: Worker;
  private ready = false;
  private failed = false;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (p: Prepared[]) => void; reject: (e: Error) => void }>();
  private readonly started: Promise<boolean>;

  constructor(private readonly tables: PrepareTables, private readonly rules: readonly BlockingRule[]) {
    this.worker = startWorker(new URL('./prepare-worker.ts', import.meta.url), { tables }, PRELOADED);
    this.worker.unref();
    let started: (ready: boolean) => void = () => undefined;
    this.started = new Promise((resolve) => (started = resolve));
    this.worker.on('message', (m: FromWorker) => {
      if ('ready' in m) {
        this.ready = true;
        started(true);
        return;
      }
      const waiting = this.waiting.get(m.seq);
      this.waiting.delete(m.seq);
      if ('error' in m) waiting?.reject(new Error(m.error));
      else waiting?.resolve(m.prepared);
    });
    const fail = (error: Error) => {
      this.failed = true;
      started(false);
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the linkage preparing worker stopped')));
  }

  /** Whether to start one (unless `asked`, for a large run: a thread takes about a second to load its code); only the default rules can go to it. */
  static worthIt(rules: readonly BlockingRule[], records: number, asked?: boolean): boolean {
    return rules === DEFAULT_BLOCKING_RULES && (asked ?? records >= 20_000);
  }

  /** The rows prepared in the worker, or here while it is loading or after it failed; `known` gives forms prepared before, by row. */
  async prepare(rows: readonly SourceRow[], known: (row: SourceRow) => PreparedPerson | undefined): Promise<Prepared[]> {
    if (this.ready && !this.failed) {
      const seq = this.seq++;
      const done = new Promise<Prepared[]>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
      this.worker.postMessage({ seq, rows } satisfies ToWorker);
      try {
        return await done;
      } catch {
        // Failed or stopped: the batch is prepared here.
      }
    }
    return prepareHere(rows, this.tables, this.rules, known);
  }

  /** Whether the worker loaded its code and is taking rows (false: it failed, and rows are prepared here). */
  whenReady(): Promise<boolean> {
    return this.started;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Records prepared between two turns of the event loop, so that the batch being linked is not held up for long. */
const PREPARE_SLICE = 100;

export async function prepareHere(
  rows: readonly SourceRow[], tables: PrepareTables, rules: readonly BlockingRule[], known: (row: SourceRow) => PreparedPerson | undefined,
): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const [i, row] of rows.entries()) {
    if (i % PREPARE_SLICE === PREPARE_SLICE - 1) await new Promise(setImmediate);
    out.push(prepareRow(row, tables, rules, known(row)));
  }
  return out;
}
