/**
 * Intake throughput (issue: intake at scale). Writes a synthetic revenues
 * extract in the shipped layout (adapters/revenues/council-tax.mapping.yaml,
 * not timed), then times, in one run on one database:
 *
 *   - `hub ingest revenues FILE --no-progress` as a child process (no --wait:
 *     intake only, the pipeline is queued for a hub): rows/s, canonical
 *     records/s, the child's RSS once 10% of the file is in and at the end,
 *     and its peak RSS (VmHWM), which must stay flat as the file grows;
 *   - push: POST /v1/sources/revenues/records to a listening hub in JSON
 *     batches of 500 from a few concurrent clients, records/s;
 *   - the baseline: a plain COPY of the same rows (the deliberately broken
 *     ones left out) into an all-text staging table, so intake is a ratio;
 *   - with --full P: the same rows again less P% of them (and the broken ones),
 *     taken in first as a plain file (every record unchanged) and then as a
 *     full extract (`--full`), which also closes the records of the rows
 *     left out: the difference is what closing them costs.
 *
 * Runs on an embedded PostgreSQL in a temporary DATA_DIR, or on DATABASE_URL
 * when set (revenues records are added to it).
 *
 *   npx tsx bench/intake.ts [--rows 1000000] [--push 100000] [--clients 4] [--seed 1] [--full 5]
 *
 * --push 0 leaves push out. The CPU per row of the ingest process (all its threads) and of the
 * embedded PostgreSQL (every server process) is printed too: rows/s alone depends on what else the machine runs.
 *
 * The extract writer is exported for test/integration/intake/crash.test.ts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { seededRandom } from '../fixtures/council/random.js';
import { generatePopulation } from '../fixtures/people/population.js';
import { REVENUES_COLUMNS, revenuesExtract } from '../fixtures/people/revenues.js';
import { createClient } from '../src/auth/clients.js';
import { arg, benchEnvironment, mib, ROOT, seconds, startHub } from './gazetteer-import.js';

/** One line of the fixture extract: its CSV text after the account reference, and what the mapping makes of it. */
interface Template {
  rest: string;
  fields: string[] | null;
  records: number;
  rejects: number;
}

/**
 * The lines of a small fixture population's revenues extract (with its
 * broken rows, repeated rows and closed accounts). Each is checked against
 * the fixture's own manifest counts, so the totals of a tiled file are known.
 */
function templates(seed: number): Template[] {
  const pop = generatePopulation({ seed, council: { seed, addresses: 2_000 } });
  const extract = revenuesExtract(pop, seededRandom(seed, 0x5e01)).main;
  const lines = extract.text.split('\r\n').slice(1, -1);
  const out = lines.map((line): Template => {
    const rest = line.slice(line.indexOf(','));
    let fields: string[] | null = null;
    try {
      fields = (parse(line) as string[][])[0] ?? null;
    } catch {
      // An unterminated quote: the fixture's deliberately broken row.
    }
    if (!fields || fields.length !== REVENUES_COLUMNS.length) return { rest, fields: null, records: 0, rejects: 1 };
    return { rest, fields, records: (fields[1] ? 1 : 0) + (fields[2] ? 1 : 0), rejects: 0 };
  });
  const records = out.reduce((n, t) => n + t.records, 0);
  const rejects = out.reduce((n, t) => n + t.rejects, 0);
  if (records !== extract.counts.records || rejects !== extract.counts.rejects) {
    throw new Error(`fixture lines give ${records} records and ${rejects} rejects, the manifest ${extract.counts.records} and ${extract.counts.rejects}`);
  }
  return out;
}

export const accountRef = (n: number): string => `CT${String(n).padStart(9, '0')}`;

export interface RevenuesFile {
  rows: number;
  /** Canonical records (one per named liable party) the shipped mapping makes of the file, each its own source ref. */
  records: number;
  rejects: number;
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(iconv.encode(text, 'win1252'))) await once(out, 'drain');
}

async function close(out: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/**
 * `rows` revenues rows (windows-1252, CRLF, header): the fixture lines over
 * and over, each with its own account reference from `firstRef` on, so every
 * source ref is distinct. With `copyFile`, the same rows without the broken
 * ones and without header, for the COPY baseline.
 */
export async function writeRevenuesFile(file: string, rows: number, options: { seed?: number; firstRef?: number; copyFile?: string } = {}): Promise<RevenuesFile> {
  const lines = templates(options.seed ?? 1);
  const firstRef = options.firstRef ?? 1;
  const out = createWriteStream(file);
  const copy = options.copyFile ? createWriteStream(options.copyFile) : null;
  const totals = { rows, records: 0, rejects: 0 };
  await write(out, `${REVENUES_COLUMNS.join(',')}\r\n`);
  for (let i = 0; i < rows;) {
    let text = '';
    let copied = '';
    for (const end = Math.min(rows, i + 5_000); i < end; i++) {
      const t = lines[i % lines.length]!;
      const line = `${accountRef(firstRef + i)}${t.rest}\r\n`;
      text += line;
      if (t.fields) copied += line;
      totals.records += t.records;
      totals.rejects += t.rejects;
    }
    await write(out, text);
    if (copy) await write(copy, copied);
  }
  await close(out);
  if (copy) await close(copy);
  return totals;
}

/** The same fixture rows as push payloads (the field objects of the extract layout), broken rows left out. */
export function pushRecords(count: number, firstRef: number, seed = 1): { records: Record<string, string>[]; canonical: number } {
  const lines = templates(seed).filter((t) => t.fields);
  const records: Record<string, string>[] = [];
  let canonical = 0;
  for (let i = 0; i < count; i++) {
    const t = lines[i % lines.length]!;
    const fields = Object.fromEntries(REVENUES_COLUMNS.map((c, k) => [c, t.fields![k] ?? '']));
    fields.ACCOUNT_REF = accountRef(firstRef + i);
    records.push(fields);
    canonical += t.records;
  }
  return { records, canonical };
}

/** CPU seconds from /proc/PID/stat: the process's own (all its threads) and that of its reaped children. */
async function cpuOf(pid: number | 'self'): Promise<{ own: number; children: number; ppid: number }> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  return { own: ((f[11] ?? 0) + (f[12] ?? 0)) / 100, children: ((f[13] ?? 0) + (f[14] ?? 0)) / 100, ppid: f[1] ?? 0 };
}

/** CPU seconds the PostgreSQL server has used so far: postmaster, live children and reaped ones (when it is ours). */
async function serverCpu(dataDir: string): Promise<number | null> {
  const pid = Number((await readFile(path.join(dataDir, 'data', 'pg', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return null;
  const postmaster = await cpuOf(pid);
  let total = postmaster.own + postmaster.children;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const c = await cpuOf(Number(entry));
    if (c.ppid === pid) total += c.own;
  }
  return total;
}

async function status(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

interface IngestRun {
  ms: number;
  stdout: string;
  peakRss: number;
  /** RSS when a tenth of the expected records had been read (from the intake's progress). */
  rssAtTenth: number;
  rssAtEnd: number;
  /** CPU seconds of the ingest process (every thread) and of the PostgreSQL server while it ran (null on DATABASE_URL). */
  cpu: number;
  serverCpu: number | null;
}

/** `hub ingest revenues FILE` as its own process, with its RSS sampled against the intake's progress. */
async function timeIngest(file: string, url: string, expectedRead: number, dataDir: string, args: string[] = []): Promise<IngestRun> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // The child's CPU is counted into this process's reaped children's once it has exited.
  const cpuBefore = (await cpuOf('self')).children;
  const serverBefore = await serverCpu(dataDir);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'ingest', 'revenues', file, '--no-progress', ...args], {
    cwd: ROOT, env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  let peakRss = 0;
  let rssAtTenth = 0;
  let rssAtEnd = 0;
  let sampling = false;
  const poll = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void (async () => {
      const s = await status(child.pid ?? 0);
      if (s.hwm > 0) {
        peakRss = Math.max(peakRss, s.hwm);
        rssAtEnd = s.rss;
      }
      if (rssAtTenth === 0) {
        // Until the child has migrated a new database there is no intake table yet.
        const read = await pool.query<{ read: number }>(`SELECT coalesce(max(read), 0) AS read FROM intake WHERE channel = 'file' AND status = 'running'`)
          .then((r) => r.rows[0]?.read ?? 0, () => 0);
        if (read >= expectedRead / 10) rssAtTenth = s.rss;
      }
    })().finally(() => (sampling = false));
  }, 200);
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = performance.now() - started;
  clearInterval(poll);
  await pool.end();
  const serverAfter = await serverCpu(dataDir);
  if (code !== 0) throw new Error(`hub ingest exited ${code}: ${stderr.slice(-2000)}`);
  const cpu = (await cpuOf('self')).children - cpuBefore;
  return { ms, stdout, peakRss, rssAtTenth, rssAtEnd, cpu, serverCpu: serverBefore !== null && serverAfter !== null ? serverAfter - serverBefore : null };
}

/** The COPY file's rows less every `every`th, with the header: a full extract of the records left, and how many rows it left out. */
async function fullExtractOf(copyFile: string, file: string, every: number): Promise<number> {
  // Read and written as latin1, which keeps every byte of the windows-1252 text as it is.
  const lines = (await readFile(copyFile, 'latin1')).split('\r\n').filter((l) => l !== '');
  const kept = lines.filter((_, i) => i % every !== 0);
  await writeFile(file, `${REVENUES_COLUMNS.join(',')}\r\n${kept.join('\r\n')}\r\n`, 'latin1');
  return lines.length - kept.length;
}

/** The plain-COPY baseline: one all-text staging table, one COPY, timed. */
async function copyBaseline(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_revenues_staging');
    await client.query(`CREATE TABLE bench_revenues_staging (${REVENUES_COLUMNS.map((c) => `"${c}" text`).join(', ')})`);
    const started = performance.now();
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY bench_revenues_staging FROM STDIN (FORMAT csv, ENCODING 'WIN1252')`)));
    const ms = performance.now() - started;
    await client.query('DROP TABLE bench_revenues_staging');
    return ms;
  } finally {
    await client.end();
  }
}

/** Posts `records` in batches of `batch` from `clients` concurrent senders; checks every record was taken in. */
async function timePush(base: string, key: string, records: Record<string, string>[], batch: number, clients: number): Promise<{ ms: number; accepted: number; requests: number }> {
  const batches: Record<string, string>[][] = [];
  for (let i = 0; i < records.length; i += batch) batches.push(records.slice(i, i + batch));
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < batches.length) {
      const body = JSON.stringify({ records: batches[next++] });
      const res = await fetch(`${base}/v1/sources/revenues/records`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      const answer = (await res.json()) as { accepted?: number; unchanged?: number };
      if (res.status !== 202) throw new Error(`push answered ${res.status}: ${JSON.stringify(answer)}`);
      accepted += answer.accepted ?? 0;
    }
  }));
  return { ms: performance.now() - started, accepted, requests: batches.length };
}

async function main(): Promise<void> {
  const rows = arg('rows', 1_000_000);
  const pushed = arg('push', 100_000);
  const clients = arg('clients', 4);
  const seed = arg('seed', 1);
  const fullShare = arg('full', 0);
  const env = await benchEnvironment('hub-bench-intake-');
  try {
    const file = path.join(env.dir, 'revenues.csv');
    const copyFile = path.join(env.dir, 'revenues-copy.csv');
    let t = performance.now();
    const written = await writeRevenuesFile(file, rows, { seed, copyFile });
    const writeMs = performance.now() - t;

    const ingest = await timeIngest(file, env.url, written.records + written.rejects, env.dir);
    const summary = /(\d+) read, (\d+) accepted .*?, (\d+) unchanged, (\d+) rejected/.exec(ingest.stdout);
    if (!summary || Number(summary[2]) !== written.records || Number(summary[4]) !== written.rejects) {
      throw new Error(`expected ${written.records} accepted and ${written.rejects} rejected: ${ingest.stdout}`);
    }
    const copyRows = rows - written.rejects;
    const copyMs = await copyBaseline(env.url, copyFile);

    // Before the push, whose records no file holds.
    let full: { plain: IngestRun; full: IngestRun; left: number; closed: number } | null = null;
    if (fullShare > 0) {
      const fullFile = path.join(env.dir, 'revenues-full.csv');
      const left = await fullExtractOf(copyFile, fullFile, Math.round(100 / fullShare));
      const plain = await timeIngest(fullFile, env.url, copyRows - left, env.dir);
      const asFull = await timeIngest(fullFile, env.url, copyRows - left, env.dir, ['--full', '--close-max', String(fullShare + 1)]);
      const closed = /full extract: (\d+) record\(s\) of revenues it lacks closed/.exec(asFull.stdout);
      if (!closed) throw new Error(`the full extract closed nothing: ${asFull.stdout}`);
      full = { plain, full: asFull, left, closed: Number(closed[1]) };
    }

    const pool = new pg.Pool({ connectionString: env.url, max: 1 });
    const key = await createClient(pool, { org: 'BENCH', role: 'source-system', systems: ['revenues'], label: 'benchmark' }).then((c) => c.key);
    await pool.end();
    const push = pushRecords(pushed, 900_000_000, seed);
    let pushRun: { ms: number; accepted: number; requests: number } | null = null;
    if (pushed > 0) {
      const hub = await startHub(env.url);
      try {
        t = performance.now();
        pushRun = await timePush(hub.base, key, push.records, 500, clients);
      } finally {
        await hub.stop();
      }
      if (pushRun.accepted !== push.canonical) throw new Error(`push: ${pushRun.accepted} accepted, ${push.canonical} expected`);
    }

    const s = ingest.ms / 1000;
    console.log(`revenues extract: ${rows} rows (${written.records} canonical records, ${written.rejects} broken rows) written in ${seconds(writeMs)} s (not timed)`);
    console.log(`    ${ingest.stdout.trim().split('\n')[0]}`);
    const perRow = (cpu: number) => `${Math.round((cpu * 1e6) / rows)} µs`;
    console.log(`    CPU per row: ingest process ${perRow(ingest.cpu)}${ingest.serverCpu !== null ? `, PostgreSQL ${perRow(ingest.serverCpu)}, together ${perRow(ingest.cpu + ingest.serverCpu)}` : ''}`);
    console.log('');
    console.log('| intake | rows | time | rows/s | canonical records/s | RSS at 10% / end / peak | × plain COPY | target |');
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(`| plain COPY into a text staging table (baseline) | ${copyRows} | ${seconds(copyMs)} s | ${Math.round(copyRows / (copyMs / 1000))} | - | - | 1.0 | - |`);
    console.log(`| \`hub ingest revenues\` (child process, end to end, no --wait) | ${rows} | ${s.toFixed(1)} s | ${Math.round(rows / s)} | ${Math.round(written.records / s)} | ${mib(ingest.rssAtTenth)} / ${mib(ingest.rssAtEnd)} / ${mib(ingest.peakRss)} | ${(ingest.ms / copyMs).toFixed(1)} | ≥ 10000 rows/s, flat RSS |`);
    if (pushRun) console.log(`| push, JSON batches of 500, ${clients} clients (${pushRun.requests} requests) | ${pushed} | ${seconds(pushRun.ms)} s | ${Math.round(pushed / (pushRun.ms / 1000))} | ${Math.round(push.canonical / (pushRun.ms / 1000))} | - | - | ≥ 2000 records/s |`);
    if (full) {
      const rowsIn = copyRows - full.left;
      console.log('');
      console.log(`full extract: ${rowsIn} rows, ${full.left} left out (${fullShare}%), ${full.closed} records closed`);
      console.log(`    the same file as a plain file (all unchanged): ${seconds(full.plain.ms)} s; as a full extract: ${seconds(full.full.ms)} s; `
        + `closing: ${seconds(full.full.ms - full.plain.ms)} s, ${Math.round((1000 * full.closed) / Math.max(1, full.full.ms - full.plain.ms))} records/s; × the plain file ${(full.full.ms / full.plain.ms).toFixed(2)}`);
    }
  } finally {
    await env.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) await main();
