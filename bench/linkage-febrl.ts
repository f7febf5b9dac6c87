/**
 * Person linkage through the database on FEBRL 4: the 10,000 records are
 * stored as source records (systems febrl-a and febrl-b), the model is
 * trained on them without labels, every record is linked incrementally
 * (`linkAll`), and the resulting citizen accounts are scored pairwise against
 * the FEBRL truth (precision, recall, F1 of "same account" pairs). Also:
 * linking throughput (records/s), single-record re-link latency (p50/p95),
 * and the baseline of exact normalised name + date of birth.
 *
 * Runs on an embedded PostgreSQL in a temporary directory, or on a new
 * database in the server of DATABASE_URL.
 *
 * Run: npx tsx bench/linkage-febrl.ts [--incremental N]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import type { SourceRecord } from '../schemas/source-record.js';
import { normaliseForenames, normaliseSurname } from '../matching/person/index.js';
import { benchDatabase } from './_database.js';
import { relinkLatency } from './_relink.js';
import { migrate } from '../src/db/migrate.js';
import { closeIntake, createIntake } from '../src/intake/ingest.js';
import { storeItem } from '../src/intake/store.js';
import { loadPrepareTables, openLinkage } from '../src/linkage/context.js';
import { linkAll } from '../src/linkage/batch.js';
import { trainFromDatabase } from '../src/linkage/train.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FEBRL = path.resolve(ROOT, '../shared/data/febrl4');
const EXTRA_NICKNAMES = path.resolve(ROOT, '../shared/data/nicknames/names.csv');
const incAt = process.argv.indexOf('--incremental');
const INCREMENTAL = incAt > 0 ? Number(process.argv[incAt + 1]) : 500;

if (!existsSync(FEBRL)) {
  console.error(`FEBRL 4 not found at ${FEBRL}`);
  process.exit(1);
}

const isoDate = (d: string): string | null => {
  if (!/^\d{8}$/.test(d)) return null;
  const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  return Number.isNaN(Date.parse(iso)) ? null : iso;
};

function readFebrl(file: string, system: string): SourceRecord[] {
  const rows = parse(readFileSync(path.join(FEBRL, file), 'utf8'), { columns: true, trim: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows.map((r) => ({
    system,
    sourceRef: r.rec_id ?? '',
    names: [{ title: null, forenames: r.given_name ? [r.given_name] : [], surname: r.surname || '?', suffix: null, raw: null, kind: 'current' as const }],
    dateOfBirth: isoDate(r.date_of_birth ?? ''),
    dateOfBirthRaw: r.date_of_birth || null,
    sex: null,
    identifiers: r.soc_sec_id ? [{ scheme: 'other' as const, value: r.soc_sec_id.replace(/\s+/g, ''), raw: r.soc_sec_id, valid: true }] : [],
    contacts: [],
    addresses: [{
      lines: [[r.street_number, r.address_1].filter(Boolean).join(' '), r.address_2 ?? '', r.suburb ?? ''].filter((l) => l !== ''),
      postcode: r.postcode || null, uprn: null, crossReference: null, kind: 'residential' as const, from: null, to: null,
    }],
    entitlements: [],
    involvements: [],
    closed: false,
    sourceUpdatedAt: null,
    warnings: [],
  }));
}

const seconds = (since: number) => (performance.now() - since) / 1000;
const person = (ref: string) => ref.replace(/^rec-(\d+)-.*$/, '$1');

const db = await benchDatabase('linkage');
await migrate(db.url);
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
// An idle connection closed by the server at shutdown is no failure of the benchmark.
pool.on('error', () => undefined);
try {
  const records = [...readFebrl('dataset4a.csv', 'febrl-a'), ...readFebrl('dataset4b.csv', 'febrl-b')];
  let t = performance.now();
  for (const system of ['febrl-a', 'febrl-b']) {
    const intakeId = await createIntake(pool, { system, channel: 'file', fileName: `${system}.csv`, rawFormat: 'csv' });
    const client = await pool.connect();
    await client.query('BEGIN');
    for (const [index, record] of records.filter((r) => r.system === system).entries()) {
      await storeItem(client, intakeId, system, { kind: 'record', record, raw: JSON.stringify(record), rawFormat: 'json', position: { index } });
    }
    await client.query('COMMIT');
    client.release();
    await closeIntake(intakeId);
  }
  const tStore = seconds(t);

  const tables = await loadPrepareTables(existsSync(EXTRA_NICKNAMES) ? EXTRA_NICKNAMES : null);
  t = performance.now();
  const { model } = await trainFromDatabase(pool, tables, { seed: 20240601 });
  const tTrain = seconds(t);

  const ctx = await openLinkage(pool, { tables });
  t = performance.now();
  const counts = await linkAll(ctx);
  const tLink = seconds(t);

  const sample = (await pool.query<{ system: string; source_ref: string }>('SELECT system, source_ref FROM source_record WHERE current ORDER BY id DESC LIMIT $1', [INCREMENTAL])).rows;
  const pct = await relinkLatency(ctx, sample);

  const { rows } = await pool.query<{ system: string; source_ref: string; citizen_id: number }>(
    'SELECT system, source_ref, citizen_id FROM citizen_link WHERE ended_at IS NULL',
  );
  const truthPairs = new Set<string>();
  const aIds = new Map(records.filter((r) => r.system === 'febrl-a').map((r) => [person(r.sourceRef), r.sourceRef]));
  for (const r of records.filter((x) => x.system === 'febrl-b')) {
    const a = aIds.get(person(r.sourceRef));
    if (a) truthPairs.add([a, r.sourceRef].sort().join('|'));
  }
  const score = (clusters: Map<string, string[]>) => {
    let predicted = 0;
    let tp = 0;
    for (const members of clusters.values()) {
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) {
          predicted++;
          const [x, y] = [members[i] as string, members[j] as string].sort();
          if (truthPairs.has(`${x}|${y}`)) tp++;
        }
      }
    }
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = tp / truthPairs.size;
    return { predicted, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
  };
  const byCitizen = new Map<string, string[]>();
  for (const r of rows) {
    const list = byCitizen.get(String(r.citizen_id)) ?? [];
    list.push(r.source_ref);
    byCitizen.set(String(r.citizen_id), list);
  }
  const byExact = new Map<string, string[]>();
  for (const r of records) {
    const name = `${normaliseForenames(r.names[0]!.forenames).join(' ')}|${normaliseSurname(r.names[0]!.surname)?.joined ?? ''}|${r.dateOfBirth ?? ''}`;
    const key = r.dateOfBirth === null ? `${r.system}|${r.sourceRef}` : name;
    byExact.set(key, [...(byExact.get(key) ?? []), r.sourceRef]);
  }
  const linked = score(byCitizen);
  const exact = score(byExact);
  const reviews = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM person_review WHERE status = 'open'")).rows[0]!.n);
  const f = (x: number) => x.toFixed(4);

  console.log(`\n## Person linkage through the database, FEBRL 4 (${records.length} source records, ${truthPairs.size} true pairs)\n`);
  console.log('| method | same-account pairs | precision | recall | F1 |\n|---|---|---|---|---|');
  console.log(`| baseline: exact normalised name + date of birth | ${exact.predicted} | ${f(exact.precision)} | ${f(exact.recall)} | ${f(exact.f1)} |`);
  console.log(`| incremental linking (Fellegi-Sunter, EM, TF) | ${linked.predicted} | ${f(linked.precision)} | ${f(linked.recall)} | ${f(linked.f1)} |`);
  console.log(`\n${byCitizen.size} citizen accounts; ${counts.created} created, ${counts.joined} joins, ${counts.merges} merges, ${reviews} open review items.`);
  console.log(`Link weight threshold ${model.thresholds.link.toFixed(2)}, review ${model.thresholds.review.toFixed(2)}; EM ${model.training.emIterations} iterations.`);
  console.log(`\n| step | seconds | records/s |\n|---|---|---|`);
  console.log(`| store as source records | ${tStore.toFixed(2)} | ${Math.round(records.length / tStore)} |`);
  console.log(`| train | ${tTrain.toFixed(2)} | ${Math.round(records.length / tTrain)} |`);
  console.log(`| link all (incremental, in batches of 1,000 per transaction) | ${tLink.toFixed(2)} | ${Math.round(records.length / tLink)} |`);
  console.log(`\nSingle-record re-link (${sample.length} records, forced): p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, max ${pct(1).toFixed(1)} ms.`);
} finally {
  await pool.end();
  await db.close();
}
