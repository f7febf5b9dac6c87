/**
 * GET /v1/citizens/{ref} with policy and audit, under load from autocannon
 * on loopback, at 100,000 citizen accounts (two people per property, so
 * every view has a household). In the same run, the same read through the
 * same application minus the policy decision and the audit write: a route
 * registered by this benchmark only (never in the hub) that answers the
 * source's view with the same schema, behind the same authentication.
 *
 * Two measures each: latency at a fixed 1,000 requests/s (p50, p99), and the
 * most requests/s the machine gives (the cost ratio full ÷ bare). Beside
 * them, to tell where latency comes from: the time inside the hub (Fastify's
 * elapsedTime), the CPU of the hub, of PostgreSQL and of the load generator
 * per request, the hub's GC pauses and event-loop delay, and the CPU time
 * the host took from this virtual machine (steal) during the run.
 *
 * autocannon runs in a child process: in the server's own event loop it
 * would take turns with the requests it measures. With --stats, the
 * embedded PostgreSQL loads pg_stat_statements and the run prints, per
 * statement, calls and time per request of the full path.
 *
 * The audit rows are sealed into the chain by the sealer the audit routes
 * run (every 150 ms) during the runs; the bench then verifies the whole
 * trail and prints how long that took.
 *
 * With --profile DIR, the hub's own CPU profile of each run (full-rate,
 * bare-rate, full, bare .cpuprofile; node:inspector, so only this process:
 * the server and the policy, not autocannon or PostgreSQL).
 *
 * Run: npx tsx bench/citizen-read.ts [--citizens N] [--seconds S] [--stats] [--pool N] [--commit-delay US] [--pg NAME=VALUE]... [--profile DIR] [--max-only | --rate-only] [--rounds N] [--rate N] [--register N]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Type } from 'typebox';
import { CitizenView } from '../schemas/citizen-view.js';
import type { SourceRecord } from '../schemas/source-record.js';
import { verifyAudit } from '../src/audit/store.js';
import { createClient } from '../src/auth/clients.js';
import { READ_BATCH } from '../src/citizens/disclosure.js';
import type { CitizenLookup, CitizenSource } from '../src/citizens/source.js';
import { Batcher } from '../src/db/batcher.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { corked, pipelinedPool } from '../src/db/transaction.js';
import { closeIntake, createIntake } from '../src/intake/ingest.js';
import { contentHash } from '../src/intake/store.js';
import { LinkedCitizenSource } from '../src/linkage/citizen-source.js';
import { personFeatures } from '../src/linkage/features.js';
import { citizenRef } from '../src/linkage/reference.js';
import { createLogger } from '../src/logging.js';
import { londonDate } from '../src/policy/decide.js';
import { buildApp } from '../src/server/app.js';
import { errorResponses, HubError } from '../src/server/errors.js';
import { loadConfig } from '../src/config.js';
import { clusterCpu, machineCpu } from './_cpu.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const CITIZENS = arg('--citizens', 100_000);
const SECONDS = arg('--seconds', 20);
const STATS = process.argv.includes('--stats');
const POOL = arg('--pool', 10);
/** PostgreSQL's commit_delay in microseconds (0: its default, off); commit_siblings stays at its default, 5. */
const COMMIT_DELAY = arg('--commit-delay', 0);
/** Further PostgreSQL settings for experiments, each `--pg name=value`. */
const PG_SETTINGS = Object.fromEntries(process.argv.flatMap((a, i) => (a === '--pg' ? [process.argv[i + 1]!.split('=', 2) as [string, string]] : [])));
/** The fixed rate of the latency runs (requests/s); the target is stated at 1,000. */
const RATE = arg('--rate', 1_000);
/** How many times the runs as fast as it goes alternate. */
const ROUNDS = arg('--rounds', 1);
/** Only the runs as fast as it goes (comparing CPU per request on a busy machine). */
const MAX_ONLY = process.argv.includes('--max-only');
/** Only the runs at 1,000/s (latency experiments). */
const RATE_ONLY = process.argv.includes('--rate-only');
const PROFILE = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1]! : null;
/**
 * Consents held in the register (with a quarter as many objections and a twentieth as many restrictions), all of
 * citizens the runs do not read: the reads stay on the same path, and the audit insert's guard probes tables of a
 * council's size instead of empty ones.
 */
const REGISTER = arg('--register', 0);

const FORENAMES = ['OLIVIA', 'GEORGE', 'AMELIA', 'HARRY', 'ISLA', 'JACK', 'POPPY', 'NOAH', 'ELSIE', 'ARTHUR'];
const SURNAMES = ['SMITH', 'JONES', 'TAYLOR', 'BROWN', 'WILLIAMS', 'WILSON', 'DAVIES', 'EVANS', 'THOMAS', 'ROBERTS', 'QUILTER', 'ZBOROWSKI'];

/** Synthetic person i: two to a property, one in five with a verified disability. */
function record(i: number): SourceRecord {
  const uprn = 1_000_000 + Math.floor(i / 2);
  return {
    system: 'revenues', sourceRef: `CT${String(i).padStart(8, '0')}`,
    names: [{ title: null, forenames: [FORENAMES[i % FORENAMES.length]!], surname: SURNAMES[Math.floor(i / 2) % SURNAMES.length]!, suffix: null, raw: null, kind: 'current' }],
    dateOfBirth: `19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`, dateOfBirthRaw: null, sex: null,
    identifiers: [], contacts: [{ kind: 'phone', value: `+4479${String(10_000_000 + i).padStart(8, '0')}`, raw: '', valid: true, use: 'mobile' }],
    addresses: [{ lines: [`${1 + (Math.floor(i / 2) % 200)} BENCH STREET`, 'NORTHBY'], postcode: 'ZZ1 1ZZ', uprn, crossReference: null, kind: 'residential', from: null, to: null }],
    entitlements: i % 5 === 0 ? [{ kind: 'disability', code: 'DIS', from: '2020-01-01', to: null, evidence: { verified: true, verifiedOn: '2020-01-01', method: 'GP letter' } }] : [],
    involvements: [{ service: 'council tax', reference: `CT${i}`, role: 'liable party', status: 'open', from: '2019-04-01', to: null }],
    closed: false, sourceUpdatedAt: null, warnings: [],
  };
}

const tsv = (v: string | number | null): string => (v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));

async function copy(pool: pg.Pool, sql: string, rows: Iterable<(string | number | null)[]>): Promise<void> {
  const client = await pool.connect();
  try {
    const lines = (function* () {
      for (const row of rows) yield `${row.map(tsv).join('\t')}\n`;
    })();
    await pipeline(Readable.from(lines), client.query(copyFrom(sql)));
  } finally {
    client.release();
  }
}

/** 100,000 source records, one account each, with their linkage features: loaded by COPY (setting up is not what is measured). */
async function seed(pool: pg.Pool): Promise<string[]> {
  const intake = await createIntake(pool, { system: 'revenues', channel: 'file', fileName: 'bench.json', rawFormat: 'json' });
  const records = Array.from({ length: CITIZENS }, (_, i) => record(i));
  await copy(pool, 'COPY source_record (system, source_ref, version, current, content_hash, record, raw, raw_format, intake_id, position) FROM STDIN',
    records.map((r, i) => {
      const json = JSON.stringify(r);
      return [r.system, r.sourceRef, 1, 't', `\\x${contentHash(r).toString('hex')}`, json, json, 'json', intake, JSON.stringify({ index: i })];
    }));
  await closeIntake(intake);
  const refs = records.map((_, i) => citizenRef(i + 1));
  await copy(pool, 'COPY citizen (ref) FROM STDIN', refs.map((ref) => [ref]));
  await copy(pool, 'COPY citizen_link (citizen_id, system, source_ref, linked_by) FROM STDIN', records.map((r, i) => [i + 1, r.system, r.sourceRef, 'model']));
  await copy(pool, 'COPY person_record (system, source_ref, source_record_id, features) FROM STDIN', records.map((r, i) => [r.system, r.sourceRef, i + 1, JSON.stringify(personFeatures(r))]));
  if (REGISTER > 0) {
    await pool.query(`INSERT INTO consent (citizen_ref, purpose, valid_from, channel, evidence)
      SELECT 'C-UNREAD-' || g, 'contact-centre-enquiry', now(), 'web', 'bench' FROM generate_series(1, $1::int) g`, [REGISTER]);
    await pool.query(`INSERT INTO objection (citizen_ref, purpose, valid_from)
      SELECT 'C-UNREAD-' || g, 'contact-centre-enquiry', now() FROM generate_series(1, $1::int) g`, [Math.ceil(REGISTER / 4)]);
    await pool.query(`INSERT INTO restriction (citizen_ref, valid_from, reason) SELECT 'C-UNREAD-' || g, now(), 'bench' FROM generate_series(1, $1::int) g`,
      [Math.ceil(REGISTER / 20)]);
  }
  // Hint bits and the visibility map set, and the loaded pages written out, now: otherwise the first runs pay for the load
  // (a checkpoint spread over minutes, first reads dirtying every page) and the order of the runs skews the ratio.
  await pool.query('VACUUM (ANALYZE)');
  await pool.query('CHECKPOINT');
  return refs;
}

/**
 * The bare read: the same source and response schema without policy and
 * audit. Under /v1 so that the same authentication hook (an API key query)
 * runs for it as for the full read. Its views are gathered as the full
 * read's are (the same Batcher and limits, a pipelined pool of the same
 * settings, every view statement of a batch in one write on one
 * connection), without the transaction, decision and audit insert.
 */
const BARE = '/v1/bench-bare/citizens/';
const bareRoutes: FastifyPluginAsyncTypebox<{ source: CitizenSource; pool: pg.Pool }> = async (app, opts) => {
  const reads = pipelinedPool(opts.pool, (error) => app.log.error({ err: error }, 'bare read pool'));
  app.addHook('onClose', () => reads.end());
  const views = new Batcher<string, CitizenLookup>(async (jobs) => {
    const db = await reads.connect();
    try {
      const source = opts.source.within?.(db) ?? opts.source;
      const found = await corked(db, () => Promise.all(jobs.map((job) => source.view(job.input, londonDate(new Date())))));
      jobs.forEach((job, i) => job.resolve(found[i]!));
    } finally {
      db.release();
    }
  }, READ_BATCH);
  app.get(`${BARE}:ref`, {
    config: { roles: 'any' },
    schema: { params: Type.Object({ ref: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: CitizenView, ...errorResponses } },
  }, async (request) => {
    const found = await views.submit(request.params.ref);
    if (!found || !('view' in found)) throw new HubError('not-found', 'no such citizen');
    return found.view;
  });
};

/** loaderCpu: CPU seconds the load generator's process used. */
interface Load { rps: number; total: number; p50: number; p99: number; errors: number; non2xx: number; loaderCpu: number }

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon');

/**
 * The load generator in its own process (autocannon run inside a worker
 * thread only reports raw histograms): settings on stdin, result on stdout.
 *
 * As fast as it goes: one autocannon of 16 connections. At a rate, one
 * autocannon of PACED connections, each sending rate/PACED requests a
 * second, their seconds starting 1000/PACED ms apart. autocannon's own
 * overallRate lets every connection send its share of a second back to back
 * from the second's start and then wait, all connections in step: "1,000/s"
 * was the machine's full speed for two thirds of each second and idle for
 * the rest, and its latency correction for that uses an interval of
 * Math.ceil(1 / rate) ms (1 ms, where 1000 / rate was meant), adding a sample
 * for every millisecond a response took. Staggered, at most a few requests
 * are in flight at once, as with callers arriving independently; latency is
 * each response's own (ignoreCoordinatedOmission).
 *
 * The stagger moves each connection's per-second rate timer (autocannon
 * 9's Client: rateInterval, reqsMadeThisSecond, paused, _doRequest) from
 * setupClient, which autocannon calls in the Client's constructor; the
 * loader fails if the timer, the rate or _doRequest is not there, or if
 * fewer than 90 % of the requests were answered. Until 2026-12-01 22:10
 * UTC there was one autocannon per connection instead,
 * started 1000/PACED ms apart: the same load, but 200 autocannons cost the
 * loader 0.46 ms of CPU a request (one autocannon: 0.17) and added 8-10 ms
 * to the p99 of a server that answers at once (docs/benchmarks.md).
 */
const PACED = 200;
const LOADER = `
const chunks = [];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
process.stdin.on('data', (c) => chunks.push(c)).on('end', async () => {
  const w = JSON.parse(Buffer.concat(chunks).toString());
  const autocannon = require(w.autocannon);
  let n = 0;
  const requests = [{ method: 'GET', setupRequest: (req) => ({ ...req, path: w.prefix + w.refs[(n++ * 7919) % w.refs.length] }) }];
  const base = { url: w.url, duration: w.seconds, headers: w.headers, requests };
  if (!w.rate) {
    const r = await autocannon({ ...base, connections: 16 });
    process.stdout.write(JSON.stringify({ rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, loaderCpu: cpu() }));
    return;
  }
  const latencies = [];
  let made = 0;
  const setupClient = (client) => {
    const offset = (made++ * 1000) / w.paced;
    let seconds = 0;
    client.reqsMadeThisSecond = Infinity;
    queueMicrotask(() => {
      if (!client.rateInterval || typeof client._doRequest !== 'function' || client.rate !== w.rate / w.paced) throw new Error('autocannon Client changed: the stagger needs rateInterval, rate and _doRequest');
      clearInterval(client.rateInterval);
      client.rateInterval = setTimeout(() => {
        const tick = () => {
          // Each connection sends for w.seconds of its own seconds, so that the rate over w.seconds is exact: autocannon
          // stops up to a second after its duration, which would give some connections one second more.
          if (seconds++ >= w.seconds) return;
          client.reqsMadeThisSecond = 0;
          if (client.paused) client._doRequest();
          client.paused = false;
        };
        tick();
        client.rateInterval = setInterval(tick, 1000);
      }, offset);
    });
  };
  const run = autocannon({ ...base, duration: w.seconds + 2, connections: w.paced, connectionRate: w.rate / w.paced, ignoreCoordinatedOmission: true, setupClient });
  run.on('response', (client, status, bytes, ms) => latencies.push(ms));
  const r = await run;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const total = latencies.length;
  if (total < w.rate * w.seconds * 0.9) throw new Error('paced load had ' + total + ' requests answered, not about ' + w.rate * w.seconds);
  process.stdout.write(JSON.stringify({
    rps: total / w.seconds, total, p50: Math.round(at(0.5) * 10) / 10, p99: Math.round(at(0.99) * 10) / 10,
    errors: r.errors, non2xx: r.non2xx, loaderCpu: cpu(),
  }));
});
`;


/**
 * A run with the CPU it cost per request in the hub (this process; autocannon
 * runs in a child) and in PostgreSQL: on a shared machine the requests/s of
 * a run depend on what else runs, its CPU per request much less.
 */
async function measured(dataDir: string, run: () => Promise<Load>, profile?: string): Promise<Measured> {
  const session = PROFILE && profile ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const pauses: number[] = [];
  const gc = new PerformanceObserver((list) => pauses.push(...list.getEntries().map((e) => e.duration)));
  gc.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  delay.enable();
  hubTimes.length = 0;
  const hub = process.cpuUsage();
  const pg0 = clusterCpu(dataDir);
  const machine0 = machineCpu();
  const result = await run();
  const used = process.cpuUsage(hub);
  const machine = machineCpu();
  gc.disconnect();
  delay.disable();
  if (session) {
    const { profile: taken } = await session.post('Profiler.stop');
    await writeFile(path.join(PROFILE!, `${profile}.cpuprofile`), JSON.stringify(taken));
    session.disconnect();
  }
  const perRequest = (seconds: number) => (seconds * 1000) / Math.max(result.total, 1);
  const pgMs = perRequest(clusterCpu(dataDir) - pg0);
  pauses.sort((a, b) => a - b);
  hubTimes.sort((a, b) => a - b);
  const hubAt = (q: number) => hubTimes[Math.min(hubTimes.length - 1, Math.floor(q * hubTimes.length))] ?? 0;
  return {
    hubP50: hubAt(0.5), hubP99: hubAt(0.99),
    ...result, cpuMs: perRequest((used.user + used.system) / 1e6) + pgMs, pgMs,
    gc: { count: pauses.length, ms: pauses.reduce((t, p) => t + p, 0), max: pauses.at(-1) ?? 0 }, loopDelayP99: delay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS,
    stolen: (machine.steal - machine0.steal) / Math.max(machine.total - machine0.total, 1),
  };
}

/**
 * gc: the hub's garbage collection pauses during the run (count, total and
 * longest, ms); loopDelayP99: its event loop's delay, 99th percentile, ms;
 * stolen: the share of the machine's CPU time the host took (steal).
 */
type Measured = Load & { cpuMs: number; pgMs: number; gc: { count: number; ms: number; max: number }; loopDelayP99: number; hubP50: number; hubP99: number; stolen: number };

/** A run during which the host took more than this share of the CPU time (steal) is reported as one to discount. */
const HOST_BUSY = 0.02;

/** The event-loop delay monitor's timer interval, which its histogram includes (a finer one would wake the hub more often than requests do). */
const LOOP_RESOLUTION_MS = 10;

/** Each response's time inside the hub (Fastify's elapsedTime: from the request's arrival to its response written), ms, this run. */
const hubTimes: number[] = [];

/** Runs added up: requests/s and CPU per request over all of them, p50 and p99 the median of the runs'. */
function summed(runs: Measured[]): Measured | null {
  if (runs.length === 0) return null;
  const total = runs.reduce((n, r) => n + r.total, 0);
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const weighted = (f: (r: Measured) => number) => runs.reduce((n, r) => n + f(r) * r.total, 0) / Math.max(total, 1);
  return {
    rps: total / (SECONDS * runs.length), total, p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0), non2xx: runs.reduce((n, r) => n + r.non2xx, 0), loaderCpu: runs.reduce((n, r) => n + r.loaderCpu, 0),
    cpuMs: weighted((r) => r.cpuMs), pgMs: weighted((r) => r.pgMs),
    gc: { count: runs.reduce((n, r) => n + r.gc.count, 0), ms: runs.reduce((n, r) => n + r.gc.ms, 0), max: Math.max(...runs.map((r) => r.gc.max)) },
    loopDelayP99: median(runs.map((r) => r.loopDelayP99)), hubP50: median(runs.map((r) => r.hubP50)), hubP99: median(runs.map((r) => r.hubP99)),
    stolen: weighted((r) => r.stolen),
  };
}

function load(url: string, headers: Record<string, string>, refs: string[], prefix: string, rate: number | null): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LOADER], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`autocannon exited with ${code}`))));
    child.stdin.end(JSON.stringify({ autocannon: AUTOCANNON, url, headers, refs, prefix, rate, paced: PACED, seconds: SECONDS }));
  });
}

interface Statement { query: string; calls: number; total: number; plans: number }

/**
 * Per-statement calls, plannings and milliseconds (planning and execution) per request of the runs since the last
 * reset; statements that differ only after their first 90 characters are added up (the audit insert has one text per
 * number of entries). A prepared statement planned at every call is re-planned for its parameters (a custom plan).
 */
async function statements(pool: pg.Pool, requests: number): Promise<string[]> {
  const { rows } = await pool.query<Statement>(
    `SELECT regexp_replace(left(query, 90), '\\s+', ' ', 'g') AS query, sum(calls)::float8 AS calls, sum(total_exec_time + total_plan_time) AS total, sum(plans)::float8 AS plans
       FROM pg_stat_statements WHERE calls > 0 GROUP BY 1 ORDER BY 3 DESC LIMIT 12`);
  const wal = (await pool.query<{ syncs: number; ms: number; bytes: number; fpi: number }>(
    'SELECT wal_sync::float8 AS syncs, wal_sync_time AS ms, wal_bytes::float8 AS bytes, wal_fpi::float8 AS fpi FROM pg_stat_wal')).rows[0]!;
  const sync = `| ${(wal.syncs / requests).toFixed(2)} | | ${(wal.ms / requests).toFixed(3)} | ${(wal.ms / Math.max(wal.syncs, 1)).toFixed(3)} | (WAL flushes at commit, pg_stat_wal; `
    + `${Math.round(wal.bytes / requests)} WAL bytes and ${(wal.fpi / requests).toFixed(2)} full-page images per request) |`;
  return [sync, ...rows.map((r) => `| ${(r.calls / requests).toFixed(2)} | ${(r.plans / requests).toFixed(2)} | ${(r.total / requests).toFixed(3)} | ${(r.total / r.calls).toFixed(3)} | \`${r.query.replace(/\|/g, '\\|')}\` |`)];
}

const dir = await mkdtemp(path.join(tmpdir(), 'hub-bench-citizens-'));
const config = { ...loadConfig({ ...process.env, DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'warn' }), rateLimitPerMinute: 100_000_000 };
const settings: Record<string, string> = {
  ...(STATS ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_utility': 'on', 'pg_stat_statements.track_planning': 'on', track_wal_io_timing: 'on' } : {}),
  ...(COMMIT_DELAY > 0 ? { commit_delay: String(COMMIT_DELAY) } : {}),
  ...PG_SETTINGS,
};
const database = await openDatabase(config, { poolSize: POOL, embeddedSettings: settings });
// The owner's login: loading, VACUUM, CHECKPOINT and statistics need more than the application role may.
const owner = new pg.Pool({ connectionString: database.url, max: 2 });
// Closed before verify; on a failed run, in `finally`, so that its sealer stops before the pools end.
let app: Awaited<ReturnType<typeof buildApp>> | undefined;
try {
  await migrate(database.url, { appRole: database.appRole });
  if (STATS) await owner.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  let started = performance.now();
  const refs = await seed(owner);
  console.log(`seeded ${CITIZENS} citizens in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const source = new LinkedCitizenSource(database.pool);
  app = await buildApp({ config, pool: database.pool, logger: createLogger('warn'), citizens: source });
  await app.register(bareRoutes, { source, pool: database.pool });
  app.addHook('onResponse', async (_request, reply) => {
    hubTimes.push(reply.elapsedTime);
  });
  const adviser = await createClient(database.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
  const dpo = await createClient(database.pool, { org: 'Northby Council Information Governance', role: 'dpo' });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const isa = await fetch(`${base}/v1/register/agreements`, {
    method: 'POST', headers: { authorization: `Bearer ${dpo.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'ISA-BENCH', title: 'Contact centre', parties: { provider: { orgId: adviser.client.orgId }, recipients: [adviser.client.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address', 'household', 'revenues', 'service-involvement'],
      lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: 'DPIA-B',
      startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
    }),
  });
  if (isa.status !== 201) throw new Error(`agreement not created: ${isa.status} ${await isa.text()}`);
  const headers = { authorization: `Bearer ${adviser.key}`, 'x-purpose': 'contact-centre-enquiry' };
  const check = await fetch(`${base}/v1/citizens/${refs[0]}`, { headers });
  if (check.status !== 200) throw new Error(`full read failed: ${check.status}`);

  started = performance.now();
  // Warm-up of both routes (JIT, caches, the response serialisers' lazily compiled validators): with only the full
  // read's, the bare run at 1,000/s paid for its own route's.
  await load(base, headers, refs, '/v1/citizens/', null);
  await load(base, headers, refs, BARE, null);
  const before = Number((await database.pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
  const skipped: Measured = { rps: 0, total: 0, p50: 0, p99: 0, errors: 0, non2xx: 0, loaderCpu: 0, cpuMs: 0, pgMs: 0, gc: { count: 0, ms: 0, max: 0 }, loopDelayP99: 0, hubP50: 0, hubP99: 0, stolen: 0 };
  const resetStats = () => owner.query("SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')");
  // With --rounds N, the runs alternate N times (full, bare, full, ...), at 1,000/s and then as fast as it goes, and
  // are summed (p50 and p99 the median of the runs'), so that a machine whose load changes during the benchmark
  // weighs on both alike and one run the host disturbed does not decide a percentile.
  const rateProfile: string[] = [];
  const fullRates: Measured[] = [];
  const bareRates: Measured[] = [];
  for (let round = 0; round < (MAX_ONLY ? 0 : ROUNDS); round++) {
    if (STATS && round === 0) await resetStats();
    fullRates.push(await measured(dir, () => load(base, headers, refs, '/v1/citizens/', RATE), `full-rate${round || ''}`));
    if (STATS && round === 0) rateProfile.push(...await statements(owner, fullRates[0]!.total));
    bareRates.push(await measured(dir, () => load(base, headers, refs, BARE, RATE), `bare-rate${round || ''}`));
  }
  const fullAtRate = summed(fullRates) ?? skipped;
  const bareAtRate = summed(bareRates) ?? skipped;
  const profile: string[] = [];
  const fulls: Measured[] = [];
  const bares: Measured[] = [];
  for (let round = 0; round < (RATE_ONLY ? 0 : ROUNDS); round++) {
    if (STATS && round === 0) await resetStats();
    fulls.push(await measured(dir, () => load(base, headers, refs, '/v1/citizens/', null), `full${round || ''}`));
    if (STATS && round === 0) profile.push(...await statements(owner, fulls[0]!.total));
    bares.push(await measured(dir, () => load(base, headers, refs, BARE, null), `bare${round || ''}`));
  }
  const fullMax = summed(fulls);
  const bareMax = summed(bares);
  const audited = Number((await database.pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n) - before;
  const unsealed = Number((await database.pool.query('SELECT count(*) AS n FROM audit_log l WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.audit_seq = l.seq)')).rows[0].n);
  await app.close();
  app = undefined;
  const verifyStarted = performance.now();
  const verified = await verifyAudit(database.pool);
  const verifyMs = performance.now() - verifyStarted;

  const row = (name: string, r: Measured) =>
    `| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.hubP50.toFixed(1)} / ${r.hubP99.toFixed(1)} | ${r.cpuMs.toFixed(2)} (${r.pgMs.toFixed(2)}) | ${((r.loaderCpu * 1000) / Math.max(r.total, 1)).toFixed(2)} `
    + `| ${r.gc.count}, ${r.gc.ms.toFixed(0)}, ${r.gc.max.toFixed(1)} | ${r.loopDelayP99.toFixed(1)} | ${(r.stolen * 100).toFixed(1)} | ${r.errors + r.non2xx} |`;
  console.log(`\n${CITIZENS} citizens, ${SECONDS} s per run${ROUNDS > 1 ? ` (${ROUNDS} alternating rounds of each)` : ''}, 16 connections as fast as it goes, ${PACED} staggered connections at ${RATE}/s, pool ${POOL}, commit_delay ${COMMIT_DELAY} µs${Object.keys(PG_SETTINGS).length ? `, ${JSON.stringify(PG_SETTINGS)}` : ''}${REGISTER > 0 ? `, ${REGISTER} consents in the register` : ''}, autocannon in a child process\n`);
  console.log('| run | requests/s | p50 ms | p99 ms | in the hub p50 / p99 ms | CPU ms/request, hub + PostgreSQL (of which PostgreSQL) | load generator CPU ms/request | hub GC pauses: count, total ms, longest ms | hub event-loop delay p99 ms | CPU stolen by the host % | errors + non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  if (!MAX_ONLY) {
    console.log(row(`full (policy + audit) at ${RATE}/s`, fullAtRate));
    console.log(row(`bare at ${RATE}/s`, bareAtRate));
  }
  if (fullMax && bareMax) {
    console.log(row('full, as fast as it goes', fullMax));
    console.log(row('bare, as fast as it goes', bareMax));
    console.log(`\ncost ratio full ÷ bare (max requests/s): ${(bareMax.rps / fullMax.rps).toFixed(2)}; CPU per request, as fast as it goes: ${(fullMax.cpuMs / bareMax.cpuMs).toFixed(2)}`);
  }
  if (!MAX_ONLY) console.log(`\nCPU per request at ${RATE}/s, full ÷ bare: ${(fullAtRate.cpuMs / bareAtRate.cpuMs).toFixed(2)}`);
  if (fullRates.length > 1) {
    console.log(`\np99 at ${RATE}/s in each round, ms: full ${fullRates.map((r) => r.p99).join(', ')}; bare ${bareRates.map((r) => r.p99).join(', ')}`);
  }
  const busy = ([[`full at ${RATE}/s`, fullAtRate], [`bare at ${RATE}/s`, bareAtRate], ['full, as fast as it goes', fullMax], ['bare, as fast as it goes', bareMax]] as const)
    .filter(([, r]) => r && r.total > 0 && r.stolen > HOST_BUSY);
  for (const [name, r] of busy) console.log(`host busy during ${name}: it took ${(r!.stolen * 100).toFixed(1)} % of this machine's CPU time; that run measured the host as much as the hub`);
  console.log(`audit entries written during the full runs: ${audited}; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`unsealed when the load stopped: ${unsealed}; verify (seal, then walk every seal): ${JSON.stringify(verified)} in ${(verifyMs / 1000).toFixed(1)} s`);
  const head = '| calls/request | plannings/request | ms/request | ms/call | statement |\n|---|---|---|---|---|';
  for (const [name, lines] of [[`at ${RATE}/s`, rateProfile], ['as fast as it goes', profile]] as const) {
    if (lines.length === 0) continue;
    console.log(`\nfull path, ${name}: statements by total time\n\n${head}`);
    for (const line of lines) console.log(line);
  }
} finally {
  await app?.close();
  await owner.end();
  await database.close();
  await rm(dir, { recursive: true, force: true });
}
