/**
 * Address matching accuracy and speed (issue 4). Imports the synthetic
 * council as an AddressBase Premium file with `hub gazetteer import`, writes
 * messy inputs with ground truth (fixtures/addresses), runs
 * `hub match-addresses` on them end to end as a child process, and compares
 * the output with the truth: precision of `matched`, recall (inputs with a
 * true UPRN that end `matched` to it), review rate, per class; the first
 * false matches for inspection. Baseline in the same run, on a sample: the
 * best pg_trgm similarity of the whole input against the whole address line
 * (gazetteer.address_index.search_text), taken as the match above a
 * threshold. Then single-address API latency of `GET /v1/addresses/match`
 * against `/health`.
 *
 *   npx tsx bench/address-matching.ts [--addresses 500000] [--inputs 50000] [--seed 1] [--sample 500] [--requests 1000]
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import pg from 'pg';
import { writeMessyCsv } from '../fixtures/addresses/write.js';
import { MESSY_KINDS, type MessyKind } from '../fixtures/addresses/messy.js';
import { searchWords } from '../matching/address/index.js';
import { loadCandidateSource } from '../src/addresses/matcher.js';
import {
  arg, benchApiKey, benchEnvironment, importCouncil, mib, percentile, runHub, seconds, startHub, timeAgainstHealth,
} from './gazetteer-import.js';

interface Row {
  id: string;
  address: string;
  postcode: string;
  truth: number | null;
  kind: MessyKind;
  uprn: number | null;
  status: string;
}

async function readCsv(file: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const r of createReadStream(file).pipe(parse({ columns: true }))) rows.push(r as Record<string, string>);
  return rows;
}

/** Inputs, truth and the matcher's answers joined by id (the output keeps the input order). */
async function joinResults(dir: string, out: string): Promise<Row[]> {
  const [inputs, truth, results] = await Promise.all([readCsv(path.join(dir, 'inputs.csv')), readCsv(path.join(dir, 'truth.csv')), readCsv(out)]);
  if (results.length !== inputs.length) throw new Error(`match-addresses wrote ${results.length} rows for ${inputs.length} inputs`);
  return inputs.map((input, i) => {
    const t = truth[i]!;
    const r = results[i]!;
    if (t.id !== input.id || r.id !== input.id) throw new Error(`row ${i + 1}: ids differ between inputs, truth and output`);
    return {
      id: input.id!, address: input.address!, postcode: input.postcode ?? '', truth: t.uprn ? Number(t.uprn) : null,
      kind: t.kind as MessyKind, uprn: r.uprn ? Number(r.uprn) : null, status: r.status!,
    };
  });
}

interface Tally {
  n: number;
  withTruth: number;
  matched: number;
  correct: number;
  review: number;
}

function tally(rows: { truth: number | null; uprn: number | null; status: string }[]): Tally {
  const t: Tally = { n: rows.length, withTruth: 0, matched: 0, correct: 0, review: 0 };
  for (const r of rows) {
    if (r.truth !== null) t.withTruth++;
    if (r.status === 'review') t.review++;
    if (r.status !== 'matched') continue;
    t.matched++;
    if (r.uprn === r.truth) t.correct++;
  }
  return t;
}

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(2)}%`);

function accuracyRow(label: string, t: Tally): string {
  return `| ${label} | ${t.n} | ${pct(t.correct, t.matched)} | ${pct(t.correct, t.withTruth)} | ${pct(t.review, t.n)} | ${t.matched - t.correct} |`;
}

/** The input's words as search_text holds an address's (folded, split on anything but letters and digits). */
const searchForm = (text: string): string => searchWords(text).join(' ');

/** The pg_trgm baseline: the most similar whole address line for each input, with its similarity. */
async function trigramBaseline(url: string, rows: Row[]): Promise<{ best: { uprn: number | null; similarity: number }[]; ms: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The lowest threshold reported below: a higher one lets the trigram index discard more rows.
    await client.query('SET pg_trgm.similarity_threshold = 0.5');
    const best: { uprn: number | null; similarity: number }[] = [];
    const started = performance.now();
    for (const r of rows) {
      const text = searchForm(`${r.address} ${r.postcode}`);
      const { rows: hits } = await client.query<{ uprn: string; similarity: number }>(
        `SELECT uprn, similarity(search_text, $1) AS similarity FROM gazetteer.address_index
          WHERE search_text % $1 ORDER BY similarity DESC, current DESC LIMIT 1`,
        [text],
      );
      const hit = hits[0];
      best.push(hit ? { uprn: Number(hit.uprn), similarity: hit.similarity } : { uprn: null, similarity: 0 });
    }
    return { best, ms: performance.now() - started };
  } finally {
    await client.end();
  }
}

/** The part of `hub match-addresses` before the first address: the in-memory candidate index read and built, timed here. */
async function timeIndexLoad(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  try {
    const started = performance.now();
    await loadCandidateSource(pool);
    return performance.now() - started;
  } finally {
    await pool.end();
  }
}

async function addressLines(url: string, uprns: number[]): Promise<Map<number, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ uprn: string; line: string }>(
      `SELECT DISTINCT ON (uprn) uprn, search_text AS line FROM gazetteer.address_index WHERE uprn = ANY($1::bigint[])
        ORDER BY uprn, current DESC, logical_status`,
      [uprns],
    );
    return new Map(rows.map((r) => [Number(r.uprn), r.line]));
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const seed = arg('seed', 1);
  const council = { seed, addresses: arg('addresses', 500_000) };
  const inputCount = arg('inputs', 50_000);
  const sampleSize = arg('sample', 500);
  const requests = arg('requests', 1_000);
  const env = await benchEnvironment('hub-bench-match-');
  try {
    const imported = await importCouncil(council, env.dir, env.url);
    const t = performance.now();
    await writeMessyCsv({ seed, council, count: inputCount }, env.dir);
    const messyMs = performance.now() - t;

    const out = path.join(env.dir, 'matches.csv');
    const run = await runHub(['match-addresses', '--in', path.join(env.dir, 'inputs.csv'), '--out', out, '--no-progress'], env.url);
    const rows = await joinResults(env.dir, out);
    const indexLoadMs = await timeIndexLoad(env.url);

    const step = Math.max(1, Math.floor(rows.length / sampleSize));
    const sample = rows.filter((_, i) => i % step === 0).slice(0, sampleSize);
    const trigram = await trigramBaseline(env.url, sample);

    const key = await benchApiKey(env.url);
    const hub = await startHub(env.url);
    let timing: { health: number[]; requests: number[] };
    try {
      const apiInputs = rows.slice(0, requests);
      timing = await timeAgainstHealth(hub.base, key, apiInputs.map((r) =>
        `/v1/addresses/match?text=${encodeURIComponent(r.address)}${r.postcode ? `&postcode=${encodeURIComponent(r.postcode)}` : ''}`));
    } finally {
      await hub.stop();
    }

    const falseMatches = rows.filter((r) => r.status === 'matched' && r.uprn !== r.truth);
    const shown = falseMatches.slice(0, 20);
    const missed = MESSY_KINDS.flatMap((kind) => rows.filter((r) => r.kind === kind && r.truth !== null && r.status !== 'matched').slice(0, arg('show-missed', 3)));
    const lines = await addressLines(env.url, [...shown, ...missed].flatMap((r) => [...(r.uprn === null ? [] : [r.uprn]), ...(r.truth === null ? [] : [r.truth])]));

    const s = run.ms / 1000;
    const all = tally(rows);
    console.log(`council: ${council.addresses} addresses, seed ${seed}; ABP written in ${seconds(imported.writeMs)} s, imported in ${seconds(imported.run.ms)} s; ${rows.length} messy inputs written in ${seconds(messyMs)} s`);
    console.log(`hub match-addresses said: ${run.stderr.trim().split('\n').pop()}`);
    console.log('');
    console.log('| speed | figure | target |');
    console.log('|---|---|---|');
    console.log(`| \`hub match-addresses\` end to end (child process: start, load, match, write) | ${s.toFixed(1)} s, ${Math.round(rows.length / s)} addresses/s, peak RSS ${mib(run.peakRss)} | ≥ 2,000/s |`);
    console.log(`| address index load (the same code in the bench process: COPY, prepare, hash indexes) | ${seconds(indexLoadMs)} s | - |`);
    console.log(`| pg_trgm baseline (${sample.length} inputs, one query each) | ${seconds(trigram.ms)} s, ${Math.round(sample.length / (trigram.ms / 1000))} addresses/s | - |`);
    console.log(`| \`GET /health\` (baseline, ${timing.health.length} interleaved) | p50 ${percentile(timing.health, 50).toFixed(2)} ms, p95 ${percentile(timing.health, 95).toFixed(2)} ms | - |`);
    console.log(`| \`GET /v1/addresses/match\` (${timing.requests.length} sequential) | p50 ${percentile(timing.requests, 50).toFixed(2)} ms, p95 ${percentile(timing.requests, 95).toFixed(2)} ms | p95 < 25 ms |`);
    console.log('');
    console.log('| class | inputs | precision of matched | recall | review | false matches |');
    console.log('|---|---|---|---|---|---|');
    console.log(accuracyRow('**all** (targets: ≥ 99.7%, ≥ 98%, ≤ 3%)', all));
    for (const kind of MESSY_KINDS) {
      const these = rows.filter((r) => r.kind === kind);
      if (these.length > 0) console.log(accuracyRow(kind, tally(these)));
    }
    console.log('');
    console.log(`| method on the same ${sample.length}-input sample | precision of matched | recall | review | false matches |`);
    console.log('|---|---|---|---|---|');
    const sampleTally = tally(sample);
    console.log(`| hub matcher | ${pct(sampleTally.correct, sampleTally.matched)} | ${pct(sampleTally.correct, sampleTally.withTruth)} | ${pct(sampleTally.review, sampleTally.n)} | ${sampleTally.matched - sampleTally.correct} |`);
    for (const threshold of [0.5, 0.7, 0.9]) {
      const t = tally(sample.map((r, i) => {
        const b = trigram.best[i]!;
        return { truth: r.truth, uprn: b.uprn, status: b.uprn !== null && b.similarity >= threshold ? 'matched' : 'unmatched' };
      }));
      console.log(`| pg_trgm best whole-line similarity ≥ ${threshold} | ${pct(t.correct, t.matched)} | ${pct(t.correct, t.withTruth)} | - | ${t.matched - t.correct} |`);
    }
    console.log('');
    console.log(`false matches: ${falseMatches.length}; the first ${shown.length}:`);
    for (const r of shown) {
      console.log(`- [${r.kind}] "${r.address}" ${r.postcode || '(no postcode)'} → ${r.uprn} ${lines.get(r.uprn!) ?? '?'}; truth ${r.truth === null ? 'not in the gazetteer' : `${r.truth} ${lines.get(r.truth) ?? '?'}`}`);
    }
    console.log('');
    console.log('inputs with a true UPRN left in review or unmatched, the first few of each class:');
    for (const r of missed) {
      console.log(`- [${r.kind}] ${r.status}: "${r.address}" ${r.postcode || '(no postcode)'}; truth ${r.truth} ${lines.get(r.truth!) ?? '?'}`);
    }
  } finally {
    await env.close();
  }
}

await main();
