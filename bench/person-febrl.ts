/**
 * Person linkage on FEBRL 4 (5,000 originals against 5,000 corrupted
 * duplicates, 5,000 true pairs): blocking pairs-completeness and reduction
 * ratio, then precision, recall and F1 of the links of a Fellegi-Sunter model
 * trained without labels (u from seeded random pairs, m by EM), with the
 * review band. Baselines in the same run: exact surname + date of birth, and
 * a mean Jaro-Winkler threshold over the same candidate pairs.
 *
 * Run: npx tsx bench/person-febrl.ts [--extra-nicknames PATH]
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  buildNicknameTable, candidatePairs, explainPair, jaroWinkler, pairsCompleteness, parseNicknameCsv, parseRelationshipCsv, prepare,
  reductionRatio, trainModel, TRAINING_BLOCKING_RULES, type PersonRecord, type PreparedPerson,
} from '../matching/person/index.js';
import { CURATED_NICKNAMES_URL } from '../matching/person-data/index.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FEBRL = path.resolve(ROOT, '../shared/data/febrl4');
const extraAt = process.argv.indexOf('--extra-nicknames');
const EXTRA = extraAt > 0 ? process.argv[extraAt + 1] : path.resolve(ROOT, '../shared/data/nicknames/names.csv');

if (!existsSync(FEBRL)) {
  console.error(`FEBRL 4 not found at ${FEBRL}`);
  process.exit(1);
}

const isoDate = (yyyymmdd: string): string | null =>
  /^\d{8}$/.test(yyyymmdd) ? `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}` : null;

function readFebrl(file: string): PersonRecord[] {
  const rows = parse(readFileSync(path.join(FEBRL, file), 'utf8'), { columns: true, trim: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows.map((r) => ({
    id: r.rec_id ?? '',
    forenames: r.given_name ? [r.given_name] : [],
    surname: r.surname ?? '',
    dob: isoDate(r.date_of_birth ?? ''),
    otherId: r.soc_sec_id || null,
    houseNumber: r.street_number || null,
    street: [r.street_number, r.address_1].filter(Boolean).join(' ') || null,
    town: r.suburb || null,
    postcode: r.postcode || null,
  }));
}

const personOf = (id: string): string => id.replace(/^rec-(\d+)-.*$/, '$1');
const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(2);

const t0 = performance.now();
const rawA = readFebrl('dataset4a.csv');
const rawB = readFebrl('dataset4b.csv');
const nicknames = buildNicknameTable(
  parseNicknameCsv(readFileSync(fileURLToPath(CURATED_NICKNAMES_URL), 'utf8')),
  EXTRA && existsSync(EXTRA) ? parseRelationshipCsv(readFileSync(EXTRA, 'utf8')) : [],
);
const tRead = seconds(t0);

const t1 = performance.now();
const a = rawA.map((r) => prepare(r, { nicknames }));
const b = rawB.map((r) => prepare(r, { nicknames }));
const tPrepare = seconds(t1);

const truth = new Set<string>();
const aByPerson = new Map(a.map((r) => [personOf(r.id), r.id]));
for (const r of b) {
  const left = aByPerson.get(personOf(r.id));
  if (left) truth.add(`${left}|${r.id}`);
}

const t2 = performance.now();
const blocking = candidatePairs(a, b);
const tBlock = seconds(t2);
const key = (l: PreparedPerson, r: PreparedPerson): string => `${l.id}|${r.id}`;
const candidateKeys = new Set(blocking.pairs.map((p) => key(a[p.left] as PreparedPerson, b[p.right] as PreparedPerson)));
const completeness = pairsCompleteness(candidateKeys, truth);
const reduction = reductionRatio(blocking.pairs.length, a.length * b.length);

const t3 = performance.now();
const model = trainModel(a, b, candidatePairs(a, b, TRAINING_BLOCKING_RULES).pairs, { seed: 20240601 });
const tTrain = seconds(t3);

const t4 = performance.now();
const scored = blocking.pairs.map((p) => {
  const l = a[p.left] as PreparedPerson;
  const r = b[p.right] as PreparedPerson;
  return { key: key(l, r), explanation: explainPair(model, l, r) };
});
const tScore = seconds(t4);

interface Quality { precision: number; recall: number; f1: number; links: number }
function quality(links: Iterable<string>): Quality {
  let tp = 0;
  let n = 0;
  for (const link of links) {
    n++;
    if (truth.has(link)) tp++;
  }
  const precision = n === 0 ? 0 : tp / n;
  const recall = tp / truth.size;
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), links: n };
}

const model_ = quality(scored.filter((s) => s.explanation.decision === 'link').map((s) => s.key));
const review = scored.filter((s) => s.explanation.decision === 'review');
const reviewTrue = review.filter((s) => truth.has(s.key)).length;

const exact = quality(
  blocking.pairs
    .filter((p) => {
      const l = a[p.left] as PreparedPerson;
      const r = b[p.right] as PreparedPerson;
      return l.surname !== null && l.surname === r.surname && l.dob !== null && l.dob === r.dob;
    })
    .map((p) => key(a[p.left] as PreparedPerson, b[p.right] as PreparedPerson)),
);

const meanJw = (l: PreparedPerson, r: PreparedPerson): number => {
  const fields: [string | null, string | null][] = [[l.forename, r.forename], [l.surname, r.surname], [l.dob, r.dob], [l.street, r.street], [l.town, r.town], [l.postcode, r.postcode], [l.otherId, r.otherId]];
  return fields.reduce((s, [x, y]) => s + (x === null || y === null ? 0 : jaroWinkler(x, y)), 0) / fields.length;
};
const jw = quality(blocking.pairs.filter((p) => meanJw(a[p.left] as PreparedPerson, b[p.right] as PreparedPerson) >= 0.9).map((p) => key(a[p.left] as PreparedPerson, b[p.right] as PreparedPerson)));

const f = (x: number): string => x.toFixed(4);
console.log(`\n## Person linkage, FEBRL 4 (${a.length} x ${b.length} records, ${truth.size} true pairs)\n`);
console.log('| blocking | value |\n|---|---|');
console.log(`| candidate pairs | ${blocking.pairs.length} |`);
console.log(`| pairs completeness | ${f(completeness)} |`);
console.log(`| reduction ratio | ${reduction.toFixed(6)} |`);
for (const [rule, count] of Object.entries(blocking.pairsByRule)) console.log(`| new pairs from "${rule}" | ${count} |`);
console.log('\n| method | links | precision | recall | F1 |\n|---|---|---|---|---|');
console.log(`| baseline: exact surname + dob | ${exact.links} | ${f(exact.precision)} | ${f(exact.recall)} | ${f(exact.f1)} |`);
console.log(`| baseline: mean Jaro-Winkler >= 0.9 | ${jw.links} | ${f(jw.precision)} | ${f(jw.recall)} | ${f(jw.f1)} |`);
console.log(`| Fellegi-Sunter, EM, TF (link >= ${model.thresholds.link.toFixed(2)}) | ${model_.links} | ${f(model_.precision)} | ${f(model_.recall)} | ${f(model_.f1)} |`);
console.log(`\nReview band (${model.thresholds.review.toFixed(2)} <= weight < ${model.thresholds.link.toFixed(2)}): ${review.length} pairs, ${reviewTrue} of them true.`);
console.log(`EM: ${model.training.emIterations} iterations, converged ${model.training.emConverged}, match share among candidates ${f(model.training.candidateMatchShare)}, prior ${model.prior.toExponential(3)}.`);
console.log('\n| field | levels: m / u |\n|---|---|');
for (const field of model.fields) {
  console.log(`| ${field.field} | ${field.levels.map((l, i) => `${l}: ${f(field.m[i] as number)} / ${f(field.u[i] as number)}`).join('; ')} |`);
}
console.log(`\nTiming (s): read ${tRead}, prepare ${tPrepare}, block ${tBlock}, train ${tTrain}, score ${tScore}, total ${seconds(t0)}.`);
