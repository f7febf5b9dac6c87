/**
 * Person linkage at the size issue 6 states: about 1,000,000 source records
 * of the synthetic council (460,000 addresses, about 2.2 records each), taken
 * in with the shipped mappings, the model trained without labels, every
 * record linked; the exact normalised name + date of birth baseline in the
 * same run, both scored pairwise against the generator's truth.csv as
 * bench/linkage-council.ts scores them (bench/_council-score.ts).
 *
 * ADDRESS MATCHING IS NOT RUN. Each record's address match is taken from the
 * generator's ground truth (truth.csv gives the UPRN of the address each
 * record was written with) and written straight into address_match as
 * status 'matched' (evidence 'ground-truth'), in the shape the pipeline's
 * step writes it (src/addresses/records.ts), for every record with an
 * address. The gazetteer is not imported either: linkage reads only the
 * matched UPRN. This isolates linkage speed (the matcher, about 750
 * records/s, would take over 20 minutes at this size). It is not the
 * pipeline's quality either: every record then carries its household's exact
 * UPRN, and at 20,000 addresses more fathers and sons end in one account
 * (23 of 452, against 2 with the matcher; F1 0.9795 against 0.9811).
 * bench/linkage-council.ts runs the whole pipeline at a smaller size.
 *
 * Also reported: the time of every step, link speed per window of batches
 * (does it hold as blocks and tables grow?), the statements linking spent
 * its database time in (pg_stat_statements, first half against second
 * half), CPU per record (this process and the PostgreSQL cluster, from
 * /proc), memory, the machine's load, and how long loading the whole
 * linkage state into memory takes (what a later large run pays first).
 *
 * Run: NODE_OPTIONS=--max-old-space-size=12000 npx tsx bench/linkage-scale.ts [--addresses N] [--people N] [--batch N] [--extracts DIR] [--profile FILE]
 * (--extracts: a directory fixtures/people/cli.ts wrote for seed 7 and the same size, instead of generating them in the run;
 * --profile: this process's CPU profile of the linking step only, node:inspector's .cpuprofile)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { FIXTURE_SYSTEMS, writeExtracts, type ExtractsManifest } from '../fixtures/people/extracts.js';
import type { SourceRecord } from '../schemas/source-record.js';
import '../src/db/types.js';
import { openEmbedded } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { ingestFile } from '../src/intake/ingest-file.js';
import { linkAll, type LinkCounts } from '../src/linkage/batch.js';
import { inTransaction, loadPrepareTables, openLinkage } from '../src/linkage/context.js';
import { LinkMirror } from '../src/linkage/link-state.js';
import { blockLimit } from '../src/linkage/person-index.js';
import { trainFromDatabase } from '../src/linkage/train.js';
import { exactKey, group, hardCases, key, pairsOf, partitionHash, readTruth, score } from './_council-score.js';
import { clusterCpu } from './_cpu.js';

const arg = (name: string, fallback: number | undefined): number | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const ADDRESSES = arg('--addresses', 460_000)!;
const PEOPLE = arg('--people', undefined);
const BATCH = arg('--batch', 1000)!;
const SEED = 7;
/** Extracts written before (fixtures/people/cli.ts, same seed and size) instead of generating them in this run. */
const EXTRACTS = process.argv.includes('--extracts') ? process.argv[process.argv.indexOf('--extracts') + 1]! : null;
const PROFILE = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1]! : null;

const seconds = (since: number) => (performance.now() - since) / 1000;
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const memory = () => {
  const m = process.memoryUsage();
  return `rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}, peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`;
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const processCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

type Statements = Map<string, { query: string; calls: number; ms: number }>;
async function statements(db: pg.Pool): Promise<Statements> {
  const { rows } = await db.query<{ queryid: string; query: string; calls: string; ms: number }>(
    'SELECT queryid::text, query, calls::text, total_exec_time AS ms FROM pg_stat_statements');
  return new Map(rows.map((r) => [r.queryid, { query: r.query, calls: Number(r.calls), ms: r.ms }]));
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'hub-bench-scale-'));
const dir = EXTRACTS ?? (await mkdtemp(path.join(tmpdir(), 'hub-bench-scale-files-')));
const server = await openEmbedded({
  dataDir,
  settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.max': '2000' },
});
await migrate(server.url);
const pool = new pg.Pool({ connectionString: server.url, max: 4 });
pool.on('error', () => undefined);
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
try {
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  log(`start: ${ADDRESSES} addresses, load ${load()}`);
  const council = { seed: SEED, addresses: ADDRESSES };
  let t = performance.now();
  const manifest = EXTRACTS
    ? (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ExtractsManifest)
    : await writeExtracts(dir, { seed: SEED, council, ...(PEOPLE ? { people: PEOPLE } : {}) });
  if (manifest.seed !== SEED || manifest.council.addresses !== ADDRESSES) throw new Error(`${dir} holds extracts of seed ${manifest.seed}, ${manifest.council.addresses} addresses`);
  const tGenerate = seconds(t);
  const memGenerate = memory();
  log(`generated ${manifest.people} people, ${manifest.truthRows} truth rows in ${tGenerate.toFixed(1)} s; ${memGenerate}`);

  t = performance.now();
  let read = 0;
  let accepted = 0;
  for (const system of FIXTURE_SYSTEMS) {
    const { counts } = await ingestFile(pool, system, path.join(dir, manifest.systems[system].main.file), { today: manifest.asOf });
    read += counts.read;
    accepted += counts.accepted;
  }
  const tIngest = seconds(t);
  log(`ingested ${read} read, ${accepted} accepted in ${tIngest.toFixed(1)} s`);

  // Address matches from the ground truth, in the pipeline step's shape, for every current record with an address.
  t = performance.now();
  const truth = readTruth(dir);
  const CHUNK = 100_000;
  let matched = 0;
  for (let i = 0; i < truth.length; i += CHUNK) {
    const part = truth.slice(i, i + CHUNK);
    const r = await pool.query(
      `INSERT INTO address_match (source_record_id, input_key, uprn, status, score, evidence, explanation, decided_by)
       SELECT s.id, 'ground-truth:' || t.uprn, t.uprn, 'matched', 1, 'ground-truth', '{"evidence":"ground-truth"}', 'matcher'
         FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(system, source_ref, uprn)
         JOIN source_record s ON s.system = t.system AND s.source_ref = t.source_ref AND s.current
        WHERE jsonb_array_length(s.record->'addresses') > 0
       ON CONFLICT (source_record_id) DO NOTHING`,
      [part.map((x) => x.system), part.map((x) => x.source_ref), part.map((x) => x.uprn)]);
    matched += r.rowCount ?? 0;
  }
  await pool.query('ANALYZE');
  const tAddress = seconds(t);
  log(`address matches from truth: ${matched} in ${tAddress.toFixed(1)} s (then ANALYZE)`);

  const tables = await loadPrepareTables();
  t = performance.now();
  const { model } = await trainFromDatabase(pool, tables);
  const tTrain = seconds(t);
  const memTrain = memory();
  log(`trained in ${tTrain.toFixed(1)} s; ${memTrain}`);

  const ctx = await openLinkage(pool, { tables });
  await pool.query('SELECT pg_stat_statements_reset()');
  const loadBefore = load();
  const cpu0 = { node: processCpu(), pg: clusterCpu(dataDir) };
  const windows: { records: number; seconds: number }[] = [];
  let half: Statements | null = null;
  let halfPending = false;
  let lastT = performance.now();
  let lastRecords = 0;
  let batches = 0;
  const profiler = PROFILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  t = performance.now();
  const counts: LinkCounts = await linkAll(ctx, {
    batchSize: BATCH,
    onProgress: (c, total) => {
      batches++;
      if (!half && !halfPending && c.records >= total / 2) {
        halfPending = true;
        void statements(pool).then((s) => (half = s));
      }
      if (batches % 50 === 0 || c.records === total) {
        const now = performance.now();
        windows.push({ records: c.records - lastRecords, seconds: (now - lastT) / 1000 });
        log(`linked ${c.records}/${total}: ${Math.round((c.records - lastRecords) / ((now - lastT) / 1000))} records/s in the last window; ${memory()}; load ${load()}`);
        lastT = now;
        lastRecords = c.records;
      }
    },
  });
  const tLink = seconds(t);
  const cpu1 = { node: processCpu(), pg: clusterCpu(dataDir) };
  const loadAfter = load();
  const memLink = memory();
  if (profiler && PROFILE) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(PROFILE, JSON.stringify(profile));
    profiler.disconnect();
  }
  const end = await statements(pool);
  // How large the blocks a record meets have grown: per rule, the mean size of a block a record meets (sum n^2 / sum n)
  // over the blocks within the rule's limit (blockLimit), and how many records sit in blocks over it.
  const limits = ctx.rules.map((_, i) => blockLimit(ctx, `${i}:`));
  const blocks = (await pool.query<{ rule: string; keys: string; mean: string; max: string; skipped: string | null }>(
    `SELECT rule, count(*) AS keys, round(sum(n * n) FILTER (WHERE n <= most)::numeric / sum(n), 1) AS mean, max(n) AS max,
            sum(n) FILTER (WHERE n > most) AS skipped
       FROM (SELECT split_part(key, ':', 1) AS rule, count(*) AS n FROM person_block GROUP BY key, 1) x
       JOIN (SELECT (ordinality - 1)::text AS rule, most FROM unnest($1::int[]) WITH ORDINALITY AS l(most)) l USING (rule)
      GROUP BY rule ORDER BY rule::int`, [limits])).rows;

  const personOf = new Map(truth.map((r) => [key(r.system, r.source_ref), r.person_id]));
  const stored = (await pool.query<{ system: string; source_ref: string; names: SourceRecord['names']; dob: string | null; citizen_id: string | null }>(
    `SELECT s.system, s.source_ref, s.record->'names' AS names, s.record->>'dateOfBirth' AS dob, l.citizen_id FROM source_record s
       LEFT JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL WHERE s.current`,
  )).rows.filter((r) => personOf.has(key(r.system, r.source_ref)));
  const byPerson = group(stored, (r) => personOf.get(key(r.system, r.source_ref))!, (r) => key(r.system, r.source_ref));
  const truePairs = pairsOf(byPerson.values());
  const byCitizen = group(stored.filter((r) => r.citizen_id !== null), (r) => r.citizen_id!, (r) => key(r.system, r.source_ref));
  t = performance.now();
  const byExact = group(stored, (r) => exactKey(r.system, r.source_ref, r.names, r.dob), (r) => key(r.system, r.source_ref));
  const tExact = seconds(t);
  const linked = score(byCitizen.values(), personOf, truePairs);
  const exact = score(byExact.values(), personOf, truePairs);
  const hard = hardCases(dir, stored.map((r) => ({ key: key(r.system, r.source_ref), citizenId: r.citizen_id })), personOf);
  const reviews = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM person_review WHERE status = 'open'")).rows[0]!.n);
  // What a later large run (a re-link after training again) pays before its first batch: the whole index loaded into memory.
  t = performance.now();
  const mirrored = await inTransaction(pool, async (db) => (await LinkMirror.load(db)).versionOf.size);
  const tMirror = seconds(t);
  log(`linkage state loaded as a large run loads it: ${mirrored} records; ${memory()}`);
  const reviewHash = createHash('sha256').update((await pool.query<{ k: string }>(
    "SELECT string_agg(system || '|' || source_ref || '|' || status, ',' ORDER BY system, source_ref, status) AS k FROM person_review")).rows[0]!.k ?? '').digest('hex').slice(0, 16);
  const f = (x: number) => x.toFixed(4);
  const n = (x: number) => Math.round(x).toLocaleString('en-GB');

  console.log(`\n## Person linkage at scale (seed ${SEED}, ${ADDRESSES} addresses, ${manifest.people} people, ${stored.length} source records with truth, ${truePairs} true pairs)\n`);
  console.log('Address matches taken from the generator\'s ground truth (truth.csv UPRN), not matched: this isolates linkage.\n');
  console.log('| method | same-account pairs | precision | recall | F1 |\n|---|---|---|---|---|');
  console.log(`| baseline: exact normalised forename, surname + date of birth | ${exact.predicted} | ${f(exact.precision)} | ${f(exact.recall)} | ${f(exact.f1)} |`);
  console.log(`| hub: Fellegi-Sunter, EM, TF, incremental | ${linked.predicted} | ${f(linked.precision)} | ${f(linked.recall)} | ${f(linked.f1)} |`);
  console.log(`\n${byCitizen.size} accounts for ${byPerson.size} people; ${counts.created} created, ${counts.joined} joins, ${counts.merges} merges, ${reviews} open review items.`);
  console.log(`Partition hash ${partitionHash(byCitizen.values())}, review hash ${reviewHash}.`);
  console.log(`Training: ${model.training.records} records, ${model.training.candidatePairs} candidate pairs.`);
  console.log(`Link weight threshold ${model.thresholds.link.toFixed(2)}, review ${model.thresholds.review.toFixed(2)}; EM ${model.training.emIterations} iterations.`);
  console.log('\n| hard case | pairs | in one account |\n|---|---|---|');
  for (const [kind, h] of [...hard.byKind].sort()) console.log(`| ${kind} | ${h.cases} | ${h.merged} |`);
  console.log('\n| step | seconds | records/s |\n|---|---|---|');
  console.log(`| people: ${EXTRACTS ? 'read manifest (extracts generated before)' : 'generate and write extracts'} | ${tGenerate.toFixed(1)} | |`);
  console.log(`| ingest four extracts | ${tIngest.toFixed(1)} | ${n(read / tIngest)} |`);
  console.log(`| address matches from ground truth (not matched), ANALYZE | ${tAddress.toFixed(1)} | |`);
  console.log(`| train | ${tTrain.toFixed(1)} | ${n(stored.length / tTrain)} |`);
  console.log(`| **link all** | ${tLink.toFixed(1)} | **${n(counts.records / tLink)}** |`);
  console.log(`| baseline: exact normalised name + dob, grouped in memory | ${tExact.toFixed(2)} | ${n(stored.length / tExact)} |`);
  console.log(`| linkage state loaded into memory, as a later large run would (${mirrored} records) | ${tMirror.toFixed(1)} | ${n(mirrored / tMirror)} |`);
  const cpuNode = cpu1.node - cpu0.node;
  const cpuPg = cpu1.pg - cpu0.pg;
  console.log(`\nLinking CPU: this process ${cpuNode.toFixed(1)} s, PostgreSQL ${cpuPg.toFixed(1)} s; per record ${((cpuNode * 1e6) / counts.records).toFixed(0)} µs + ${((cpuPg * 1e6) / counts.records).toFixed(0)} µs = ${(((cpuNode + cpuPg) * 1e6) / counts.records).toFixed(0)} µs (${(counts.records / (cpuNode + cpuPg)).toFixed(0)} records per CPU second).`);
  console.log(`Load average (1, 5, 15 min) before linking ${loadBefore}, after ${loadAfter}.`);
  console.log(`Memory: after generating ${memGenerate}; after training ${memTrain}; after linking ${memLink}.`);
  console.log(`\nBlocks a record meets, per rule (${ctx.rules.map((r, i) => `${i} ${r.name}`).join('; ')}): ${blocks.map((b) => `${b.rule}: mean ${b.mean}, largest ${b.max}${b.skipped ? `, ${b.skipped} records in blocks over ${limits[Number(b.rule)]}` : ''}`).join('; ')}.`);
  console.log(`\nLink speed per window of ${50 * BATCH} records: ${windows.map((w) => n(w.records / w.seconds)).join(', ')} records/s.`);
  const firstHalf = half ?? new Map();
  console.log('\n| statement (linking) | calls | ms/call 1st half | ms/call 2nd half | total s |\n|---|---|---|---|---|');
  for (const [id, s] of [...end].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) {
    const h = firstHalf.get(id) ?? { calls: 0, ms: 0 };
    const second = { calls: s.calls - h.calls, ms: s.ms - h.ms };
    console.log(`| ${s.query.replace(/\s+/g, ' ').slice(0, 90)} | ${s.calls} | ${h.calls ? (h.ms / h.calls).toFixed(2) : '-'} | ${second.calls ? (second.ms / second.calls).toFixed(2) : '-'} | ${(s.ms / 1000).toFixed(1)} |`);
  }
} finally {
  await pool.end();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
  if (!EXTRACTS) await rm(dir, { recursive: true, force: true });
}
