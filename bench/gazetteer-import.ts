/**
 * Gazetteer import and type-ahead lookup (issue 3). Writes a synthetic
 * AddressBase Premium file for the council (not timed), then times
 * `hub gazetteer import FILE --no-progress` as a child process (total time,
 * records/s, the child's peak RSS from /proc/PID/status VmHWM) against a
 * baseline in the same run: the same file split per record type into plain
 * CSV (not timed) and COPYed with pg-copy-streams into all-text staging
 * tables. Then the latency of `GET /v1/addresses?q=` type-ahead queries made
 * from real addresses, through a listening hub, against `/health` in the same
 * run (requests interleaved one by one).
 *
 * Runs on an embedded PostgreSQL in a temporary DATA_DIR, or on DATABASE_URL
 * when set (its gazetteer is replaced).
 *
 *   npx tsx bench/gazetteer-import.ts [--addresses 500000] [--requests 2000] [--seed 1]
 *
 * The helpers are exported for bench/address-matching.ts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { councilAddresses, councilIds, generateCouncil, type CouncilAddress, type CouncilOptions } from '../fixtures/council/generate.js';
import { seededRandom } from '../fixtures/council/random.js';
import { writeAbp, type WriteSummary } from '../fixtures/council/write-abp.js';
import { misspell } from '../fixtures/addresses/render.js';
import { createClient } from '../src/auth/clients.js';
import { openEmbedded } from '../src/db/embedded.js';

export const ROOT = path.resolve(import.meta.dirname, '..');

export function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
  return value;
}

export const seconds = (ms: number): string => (ms / 1000).toFixed(1);
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** A scratch directory and a database: DATABASE_URL, or an embedded server inside the scratch directory. */
export async function benchEnvironment(prefix: string): Promise<{ dir: string; url: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  if (process.env.DATABASE_URL) return { dir, url: process.env.DATABASE_URL, close: () => rm(dir, { recursive: true, force: true }) };
  const server = await openEmbedded({ dataDir: path.join(dir, 'data') });
  return {
    dir,
    url: server.url,
    close: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function writeCouncilFile(council: CouncilOptions, file: string): Promise<WriteSummary> {
  return writeAbp(generateCouncil(council), file, {
    fileType: 'FULL', processDate: '2024-06-30', custodianName: 'SYNTHSHIRE', localCustodianCode: councilIds(council.seed).localCustodianCode,
  });
}

function peakRss(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (s) => Number(/VmHWM:\s+(\d+) kB/.exec(s)?.[1] ?? 0) * 1024,
    () => 0,
  );
}

export interface ChildRun {
  ms: number;
  peakRss: number;
  stdout: string;
  stderr: string;
}

/** `hub ARGS...` as its own process (node --import tsx, no wrapper), timed, with its peak RSS. */
export function runHub(args: string[], databaseUrl: string): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const poll = setInterval(() => void peakRss(child.pid ?? 0).then((v) => (peak = Math.max(peak, v))), 100);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`hub ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ ms, peakRss: peak, stdout, stderr });
    });
  });
}

/** A listening hub (src/main.ts) on the database, without the demo council, workers or a practical rate limit. */
export function startHub(databaseUrl: string): Promise<{ base: string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, HUB_DEMO: 'false', HUB_WORKERS: 'false', PORT: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '10000000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const stop = () => new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once('close', () => done());
      child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('close', (code) => reject(new Error(`hub exited ${code} before ready: ${output.slice(-2000)}`)));
    child.stdout.on('data', async (d: Buffer) => {
      output += d;
      const base = /ready at (http:\/\/\S+) /.exec(output)?.[1];
      if (!base) return;
      child.stdout.removeAllListeners('data');
      child.removeAllListeners('close');
      while (!(await fetch(`${base}/ready`).then((r) => r.status === 200, () => false))) await new Promise((r) => setTimeout(r, 100));
      resolve({ base, stop });
    });
  });
}

export async function benchApiKey(databaseUrl: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return (await createClient(pool, { org: 'BENCH', role: 'adviser', label: 'benchmark' })).key;
  } finally {
    await pool.end();
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Times each path against `/health`, one request of each in turn, after a warm-up; milliseconds per request. */
export async function timeAgainstHealth(base: string, key: string, paths: string[]): Promise<{ health: number[]; requests: number[] }> {
  const headers = { authorization: `Bearer ${key}` };
  const get = async (p: string): Promise<number> => {
    const t = performance.now();
    const res = await fetch(`${base}${p}`, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
    return performance.now() - t;
  };
  for (const p of paths.slice(0, 50)) await get(p).then(() => get('/health'));
  const health: number[] = [];
  const requests: number[] = [];
  for (const p of paths) {
    requests.push(await get(p));
    health.push(await get('/health'));
  }
  return { health, requests };
}

const TYPE_AHEAD_KINDS = ['partial words', 'number + street prefix', 'postcode', 'misspelt street'] as const;

/** Type-ahead queries a user would type for real addresses of the council. */
function typeAheadQueries(addresses: CouncilAddress[], count: number, seed: number): { kind: (typeof TYPE_AHEAD_KINDS)[number]; q: string }[] {
  const random = seededRandom(seed, 0x7a);
  const out: { kind: (typeof TYPE_AHEAD_KINDS)[number]; q: string }[] = [];
  for (let i = 0; i < count; i++) {
    const a = random.pick(addresses);
    const kind = TYPE_AHEAD_KINDS[i % TYPE_AHEAD_KINDS.length]!;
    const words = a.street.split(' ');
    const number = a.paoStartNumber ?? 1;
    let q: string;
    if (kind === 'partial words') q = `${words[0]!.slice(0, 4)} ${(words[1] ?? a.town).slice(0, 2)}`.toLowerCase();
    else if (kind === 'number + street prefix') q = `${number} ${a.street.slice(0, a.street.indexOf(' ') + 3)}`;
    else if (kind === 'postcode') q = a.postcode;
    else q = `${number} ${misspell(a.street, 1, random) ?? a.street}`;
    out.push({ kind, q });
  }
  return out;
}

/** Every n-th current address, enough to draw queries from without holding the council. */
export function sampleAddresses(council: CouncilOptions, wanted: number): CouncilAddress[] {
  const step = Math.max(1, Math.floor(council.addresses / wanted));
  const out: CouncilAddress[] = [];
  let i = 0;
  for (const a of councilAddresses(council)) if (i++ % step === 0) out.push(a);
  return out;
}

/** Splits a mixed ABP file into one plain CSV per record type; returns the files with their column counts. */
async function splitPerType(file: string, dir: string): Promise<Map<number, { file: string; columns: number }>> {
  const outs = new Map<number, { file: string; columns: number; stream: ReturnType<typeof createWriteStream> }>();
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line) continue;
    const type = Number(line.slice(0, line.indexOf(',')));
    let out = outs.get(type);
    if (!out) {
      const columns = (parse(line) as string[][])[0]?.length ?? 0;
      const f = path.join(dir, `ID${type}.csv`);
      outs.set(type, (out = { file: f, columns, stream: createWriteStream(f) }));
    }
    if (!out.stream.write(`${line}\n`)) await once(out.stream, 'drain');
  }
  await Promise.all([...outs.values()].map((o) => new Promise<void>((r) => o.stream.end(() => r()))));
  return new Map([...outs].map(([t, o]) => [t, { file: o.file, columns: o.columns }]));
}

/** The plain-COPY baseline: all-text staging tables, one COPY per record type, timed. */
async function copyBaseline(url: string, files: Map<number, { file: string; columns: number }>): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS bench_staging CASCADE; CREATE SCHEMA bench_staging');
    for (const [type, { columns }] of files) {
      const cols = Array.from({ length: columns }, (_, i) => `c${i + 1} text`).join(', ');
      await client.query(`CREATE TABLE bench_staging.t${type} (${cols})`);
    }
    const started = performance.now();
    for (const [type, { file }] of files) {
      await pipeline(createReadStream(file), client.query(copyFrom(`COPY bench_staging.t${type} FROM STDIN (FORMAT csv)`)));
    }
    const ms = performance.now() - started;
    await client.query('DROP SCHEMA bench_staging CASCADE');
    return ms;
  } finally {
    await client.end();
  }
}

export interface ImportRun {
  file: string;
  summary: WriteSummary;
  writeMs: number;
  run: ChildRun;
}

/** Writes the council's ABP file into `dir` and imports it with the hub CLI. */
export async function importCouncil(council: CouncilOptions, dir: string, url: string): Promise<ImportRun> {
  const file = path.join(dir, 'council-abp.csv');
  const t = performance.now();
  const summary = await writeCouncilFile(council, file);
  const writeMs = performance.now() - t;
  const run = await runHub(['gazetteer', 'import', file, '--no-progress'], url);
  return { file, summary, writeMs, run };
}

async function main(): Promise<void> {
  const council = { seed: arg('seed', 1), addresses: arg('addresses', 500_000) };
  const requests = arg('requests', 2_000);
  const env = await benchEnvironment('hub-bench-import-');
  try {
    const imported = await importCouncil(council, env.dir, env.url);
    const records = imported.summary.recordCount;
    const split = await splitPerType(imported.file, path.join(env.dir));
    const copyMs = await copyBaseline(env.url, split);

    const queries = typeAheadQueries(sampleAddresses(council, 2_000), requests, council.seed);
    const key = await benchApiKey(env.url);
    const hub = await startHub(env.url);
    let timing: { health: number[]; requests: number[] };
    try {
      timing = await timeAgainstHealth(hub.base, key, queries.map((q) => `/v1/addresses?q=${encodeURIComponent(q.q)}`));
    } finally {
      await hub.stop();
    }

    const s = imported.run.ms / 1000;
    console.log(`council: ${council.addresses} addresses, seed ${council.seed}; ABP file ${records} records written in ${seconds(imported.writeMs)} s (not timed)`);
    console.log(imported.run.stdout.trim().split('\n').map((l) => `    ${l}`).join('\n'));
    console.log('');
    console.log('| import | time | records/s | peak RSS | × plain COPY | target |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| plain COPY into text staging tables (baseline) | ${seconds(copyMs)} s | ${Math.round(records / (copyMs / 1000))} | - | 1.0 | - |`);
    console.log(`| \`hub gazetteer import\` (child process, end to end) | ${s.toFixed(1)} s | ${Math.round(records / s)} | ${mib(imported.run.peakRss)} | ${(imported.run.ms / copyMs).toFixed(1)} | < 120 s, < 1 GiB |`);
    console.log('');
    console.log(`| lookup (${requests} requests, sequential) | p50 | p95 | target |`);
    console.log('|---|---|---|---|');
    console.log(`| \`GET /health\` (baseline, interleaved) | ${percentile(timing.health, 50).toFixed(2)} ms | ${percentile(timing.health, 95).toFixed(2)} ms | - |`);
    console.log(`| \`GET /v1/addresses?q=\` all | ${percentile(timing.requests, 50).toFixed(2)} ms | ${percentile(timing.requests, 95).toFixed(2)} ms | p95 < 20 ms |`);
    for (const kind of TYPE_AHEAD_KINDS) {
      const times = timing.requests.filter((_, i) => queries[i]?.kind === kind);
      console.log(`| … ${kind} | ${percentile(times, 50).toFixed(2)} ms | ${percentile(times, 95).toFixed(2)} ms | |`);
    }
  } finally {
    await env.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) await main();
