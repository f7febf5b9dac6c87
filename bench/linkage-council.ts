/**
 * Person linkage on the synthetic council, end to end as a council runs it:
 * the generated gazetteer imported, the four systems' extracts taken in with
 * the shipped mappings, addresses matched, the model trained without labels,
 * every record linked. Scored against the generator's ground truth
 * (truth.csv: which synthetic person each record is): pairwise precision,
 * recall and F1 of "same account", the hard cases (twins, father and son,
 * ...) that ended in one account, and the baseline of exact normalised name
 * and date of birth. Also the time of every step and single-record re-link
 * latency.
 *
 * Run: npx tsx bench/linkage-council.ts [--addresses N] [--people N] [--incremental N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateCouncil } from '../fixtures/council/generate.js';
import { writeAbp } from '../fixtures/council/write-abp.js';
import { FIXTURE_SYSTEMS, writeExtracts } from '../fixtures/people/extracts.js';
import { explainPair, prepare, type PersonRecord } from '../matching/person/index.js';
import type { SourceRecord } from '../schemas/source-record.js';
import { AddressMatcher } from '../src/addresses/matcher.js';
import { matchSourceRecords } from '../src/addresses/records.js';
import { migrate } from '../src/db/migrate.js';
import { importGazetteer } from '../src/gazetteer/import.js';
import { ingestFile } from '../src/intake/ingest-file.js';
import { linkAll } from '../src/linkage/batch.js';
import { loadPrepareTables, openLinkage } from '../src/linkage/context.js';
import { trainFromDatabase } from '../src/linkage/train.js';
import { exactKey, group, hardCases, key, pairsOf, partitionHash, readTruth, score } from './_council-score.js';
import { benchDatabase } from './_database.js';
import { relinkLatency } from './_relink.js';

const arg = (name: string, fallback: number | undefined): number | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const ADDRESSES = arg('--addresses', 20_000)!;
const PEOPLE = arg('--people', undefined);
const INCREMENTAL = arg('--incremental', 300)!;
const SEED = 7;

const seconds = (since: number) => (performance.now() - since) / 1000;

const db = await benchDatabase('council');
const dir = await mkdtemp(path.join(tmpdir(), 'hub-bench-council-'));
await migrate(db.url);
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
// An idle connection closed by the server at shutdown is no failure of the benchmark.
pool.on('error', () => undefined);
try {
  const council = { seed: SEED, addresses: ADDRESSES };
  let t = performance.now();
  const abp = path.join(dir, 'council.csv');
  await writeAbp(generateCouncil(council), abp);
  await importGazetteer(db.url, [abp]);
  const tGazetteer = seconds(t);

  t = performance.now();
  const manifest = await writeExtracts(dir, { seed: SEED, council, ...(PEOPLE ? { people: PEOPLE } : {}) });
  const tGenerate = seconds(t);

  t = performance.now();
  const ids: number[] = [];
  let read = 0;
  for (const system of FIXTURE_SYSTEMS) {
    const { counts } = await ingestFile(pool, system, path.join(dir, manifest.systems[system].main.file), { today: manifest.asOf, onAccepted: async (a) => void ids.push(...a) });
    read += counts.read;
  }
  const tIngest = seconds(t);

  t = performance.now();
  const matched = await matchSourceRecords(pool, new AddressMatcher(pool), ids);
  const tMatch = seconds(t);

  const tables = await loadPrepareTables();
  t = performance.now();
  const { model } = await trainFromDatabase(pool, tables);
  const tTrain = seconds(t);
  const ctx = await openLinkage(pool, { tables });
  t = performance.now();
  const counts = await linkAll(ctx);
  const tLink = seconds(t);

  const truth = readTruth(dir);
  const personOf = new Map(truth.map((r) => [key(r.system, r.source_ref), r.person_id]));
  const stored = (await pool.query<{ system: string; source_ref: string; record: SourceRecord; citizen_id: string | null }>(
    `SELECT s.system, s.source_ref, s.record, l.citizen_id FROM source_record s
       LEFT JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL WHERE s.current`,
  )).rows.filter((r) => personOf.has(key(r.system, r.source_ref)));
  const byPerson = group(stored, (r) => personOf.get(key(r.system, r.source_ref))!, (r) => key(r.system, r.source_ref));
  const truePairs = pairsOf(byPerson.values());
  const byCitizen = group(stored.filter((r) => r.citizen_id !== null), (r) => r.citizen_id!, (r) => key(r.system, r.source_ref));
  t = performance.now();
  const byExact = group(stored, (r) => exactKey(r.system, r.source_ref, r.record.names, r.record.dateOfBirth), (r) => key(r.system, r.source_ref));
  const tExact = seconds(t);
  const linked = score(byCitizen.values(), personOf, truePairs);
  const exact = score(byExact.values(), personOf, truePairs);

  const { byKind: hardByKind, merged: mergedCases } = hardCases(dir, stored.map((r) => ({ key: key(r.system, r.source_ref), citizenId: r.citizen_id })), personOf);

  // Why accounts hold more than one person: the field levels of wrongly joined pairs, most common first.
  const features = new Map((await pool.query<{ system: string; source_ref: string; features: PersonRecord }>('SELECT system, source_ref, features FROM person_record')).rows
    .map((r) => [key(r.system, r.source_ref), prepare(r.features, tables)]));
  const patterns = new Map<string, number>();
  let falsePairs = 0;
  for (const members of byCitizen.values()) {
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        if (personOf.get(members[i]!) === personOf.get(members[j]!)) continue;
        const a = features.get(members[i]!);
        const b = features.get(members[j]!);
        if (!a || !b) continue;
        falsePairs++;
        const e = explainPair(model, a, b);
        const pattern = e.fields.filter((x) => x.level !== null && x.counted !== 0).map((x) => `${x.field}:${x.level}`).join(', ') + ` (${e.decision})`;
        patterns.set(pattern, (patterns.get(pattern) ?? 0) + 1);
      }
    }
  }

  const sample = stored.slice(0, INCREMENTAL);
  const pct = await relinkLatency(ctx, sample);
  const reviews = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM person_review WHERE status = 'open'")).rows[0]!.n);
  const f = (x: number) => x.toFixed(4);

  console.log(`\n## Person linkage on the synthetic council (seed ${SEED}, ${ADDRESSES} addresses, ${manifest.people} people, ${stored.length} source records with truth, ${truePairs} true pairs)\n`);
  console.log('| method | same-account pairs | precision | recall | F1 |\n|---|---|---|---|---|');
  console.log(`| baseline: exact normalised forename, surname + date of birth | ${exact.predicted} | ${f(exact.precision)} | ${f(exact.recall)} | ${f(exact.f1)} |`);
  console.log(`| hub: Fellegi-Sunter, EM, TF, incremental | ${linked.predicted} | ${f(linked.precision)} | ${f(linked.recall)} | ${f(linked.f1)} |`);
  console.log(`\n${byCitizen.size} accounts for ${byPerson.size} people; ${counts.created} created, ${counts.joined} joins, ${counts.merges} merges, ${reviews} open review items.`);
  console.log(`Partition hash ${partitionHash(byCitizen.values())}.`);
  console.log(`Addresses: ${matched.matched} matched, ${matched.review} review, ${matched.unmatched} unmatched, ${matched.noAddress} without address.`);
  console.log(`Link weight threshold ${model.thresholds.link.toFixed(2)}, review ${model.thresholds.review.toFixed(2)}; EM ${model.training.emIterations} iterations.`);
  console.log(`\nWrongly joined pairs: ${falsePairs}; commonest field patterns (pair decision by the model):`);
  for (const [pattern, n] of [...patterns].sort((x, y) => y[1] - x[1]).slice(0, 8)) console.log(`- ${n}: ${pattern}`);
  console.log(`\nPrior ${model.prior.toExponential(3)} (weight ${Math.log2(model.prior / (1 - model.prior)).toFixed(2)}). Field weights log2(m/u) per level:`);
  for (const fm of model.fields) console.log(`- ${fm.field}: ${fm.levels.map((l, i) => `${l} ${Math.log2(fm.m[i]! / fm.u[i]!).toFixed(1)}`).join('; ')}`);
  console.log('\n| hard case | pairs | in one account |\n|---|---|---|');
  for (const [kind, h] of [...hardByKind].sort()) console.log(`| ${kind} | ${h.cases} | ${h.merged} |`);
  if (mergedCases.length > 0) console.log(`\nMerged hard cases (person ids): ${mergedCases.slice(0, 20).join('; ')}`);
  console.log('\n| step | seconds | records/s |\n|---|---|---|');
  console.log(`| gazetteer: generate, write ABP, import | ${tGazetteer.toFixed(1)} | |`);
  console.log(`| people: generate and write extracts | ${tGenerate.toFixed(1)} | |`);
  console.log(`| ingest four extracts | ${tIngest.toFixed(1)} | ${Math.round(read / tIngest)} |`);
  console.log(`| match addresses | ${tMatch.toFixed(1)} | ${Math.round(ids.length / tMatch)} |`);
  console.log(`| train | ${tTrain.toFixed(1)} | ${Math.round(stored.length / tTrain)} |`);
  console.log(`| link all | ${tLink.toFixed(1)} | ${Math.round(counts.records / tLink)} |`);
  console.log(`| baseline: exact normalised name + dob, grouped in memory | ${tExact.toFixed(2)} | ${Math.round(stored.length / tExact)} |`);
  console.log(`\nSingle-record re-link (${sample.length} records, forced): p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms.`);
} finally {
  await pool.end();
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
