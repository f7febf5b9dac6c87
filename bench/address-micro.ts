/**
 * Address matcher micro benchmark: a seeded synthetic gazetteer held in a
 * MemoryCandidateSource (streets repeated across localities, suffixes, flats
 * in blocks with parent shells, named houses, ranges) and messy inputs made
 * from it (case, abbreviations, dropped locality or town, postcode missing,
 * unspaced, with O for 0 or wrong in the sector, typos in the street, FLAT
 * dropped, commas dropped, addresses not in the gazetteer). Prints matches/s
 * on one core (candidate retrieval from memory included) and precision of
 * `matched`, recall and review rate on this synthetic set.
 *
 * Run: npx tsx bench/address-micro.ts [--addresses 100000] [--inputs 20000] [--seed 7] [--show-review N]
 */
import type { IndexedAddress } from '../schemas/bs7666.js';
import { builtinParser, matchAddress, MemoryCandidateSource, type MatchStatus } from '../matching/address/index.js';
import { seededRandom } from '../matching/person/random.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const ADDRESSES = arg('addresses', 100_000);
const INPUTS = arg('inputs', 20_000);
const random = seededRandom(arg('seed', 7));
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
const chance = (p: number): boolean => random() < p;

const NAMES = [
  'MILL', 'CHURCH', 'STATION', 'PARK', 'VICTORIA', 'KINGS', 'QUEENS', 'HIGH', 'SCHOOL', 'MEADOW', 'BROOK', 'ASH', 'BIRCH',
  'CEDAR', 'WILLOW', 'HAWTHORN', 'ROSE', 'ST JOHNS', 'ST MARYS', 'ALBERT', 'NELSON', 'BRIDGE', 'CASTLE', 'ABBEY', 'ORCHARD',
  'FOREST', 'HEATH', 'MANOR', 'GROVE', 'LONDON', 'NEWTON', 'WESTFIELD', 'EASTBOURNE', 'NORFOLK', 'YORK', 'WINDSOR', 'BEECH',
  'LARCH', 'HOLLY', 'IVY', 'LAUREL', 'MAPLE', 'POPLAR', 'SYCAMORE', 'CHESTNUT', 'ACORN', 'FERN', 'HEATHER', 'PRIMROSE', 'TUDOR',
];
const TYPES = ['ROAD', 'LANE', 'STREET', 'AVENUE', 'CLOSE', 'CRESCENT', 'DRIVE', 'GARDENS', 'WAY', 'PLACE'];
const ABBREVIATED: Record<string, string> = { ROAD: 'Rd', LANE: 'Ln', STREET: 'St', AVENUE: 'Ave', CLOSE: 'Cl', CRESCENT: 'Cres', DRIVE: 'Dr', GARDENS: 'Gdns' };
const HOUSE_NAMES = ['ROSE COTTAGE', 'THE OLD RECTORY', 'WILLOW HOUSE', 'THE LODGE', 'IVY COTTAGE', 'HILLSIDE', 'THE COACH HOUSE', 'OAKLANDS'];
const BLOCK_NAMES = ['RIVERSIDE COURT', 'MILL HOUSE', 'KINGFISHER HOUSE', 'THE MALTINGS', 'VICTORIA COURT', 'PARK VIEW'];
const TOWN_STEMS = ['EXAMPLE', 'SAMPLE', 'TEST', 'MOCK', 'DUMMY', 'FAKE', 'PSEUDO', 'PROXY'];
const TOWN_ENDS = ['TON', 'BURY', 'FORD', 'HAM', 'PORT', 'LEY', 'WICK', 'STOW'];
const TOWNS = TOWN_ENDS.flatMap((end) => TOWN_STEMS.map((stem) => stem + end));
const LOCALITY_PARTS = ['NORTH', 'SOUTH', 'EAST', 'WEST', 'UPPER', 'LOWER', 'GREAT', 'LITTLE'];
const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

interface Truth { row: IndexedAddress }

function buildGazetteer(): IndexedAddress[] {
  const rows: IndexedAddress[] = [];
  let uprn = 100_000_000;
  let usrn = 7_000_000;
  const base = { language: 'ENG', logicalStatus: 1 as const, blpuStatus: 1 as const, parentUprn: null, saoStartNumber: null, saoStartSuffix: null, saoEndNumber: null, saoEndSuffix: null, saoText: null, paoStartNumber: null, paoStartSuffix: null, paoEndNumber: null, paoEndSuffix: null, paoText: null, organisation: null, classification: 'RD04' };
  let t = 0;
  while (rows.length < ADDRESSES) {
    const town = TOWNS[t % TOWNS.length] as string;
    const cycle = Math.floor(t / TOWNS.length);
    t++;
    for (let l = 0; l < 6 && rows.length < ADDRESSES; l++) {
      const locality = `${LOCALITY_PARTS[l] as string} ${town}${cycle > 0 ? ` ${cycle}` : ''}`;
      const outward = `${['ZZ', 'ZY', 'ZX'][Math.floor(t / 99) % 3] as string}${(t % 99) + 1}`;
      const streetsHere = 20 + Math.floor(random() * 40);
      const used = new Set<string>();
      for (let s = 0; s < streetsHere && rows.length < ADDRESSES; s++) {
        let street = `${pick(NAMES)} ${pick(TYPES)}`;
        while (used.has(street)) street = `${pick(NAMES)} ${pick(TYPES)}`;
        used.add(street);
        usrn++;
        const sector = (s + l * 3) % 10;
        const houseNames = [...HOUSE_NAMES];
        let unitIndex = 0;
        let inUnit = 0;
        const postcode = () => {
          if (inUnit++ >= 15) {
            unitIndex++;
            inUnit = 1;
          }
          const u = (unitIndex + s * 37) % (UNIT_LETTERS.length * UNIT_LETTERS.length);
          return `${outward} ${sector}${UNIT_LETTERS[Math.floor(u / UNIT_LETTERS.length)]}${UNIT_LETTERS[u % UNIT_LETTERS.length]}`;
        };
        const common = { usrn, street, locality, town };
        const houses = 10 + Math.floor(random() * 80);
        for (let n = 1; n <= houses; n++) {
          const pc = postcode();
          if (chance(0.05)) {
            // A block: parent shell and its flats.
            const parent = ++uprn;
            const paoText = chance(0.5) ? pick(BLOCK_NAMES) : null;
            rows.push({ ...base, ...common, uprn: parent, lpiKey: `${parent}L`, postcode: pc, paoStartNumber: n, paoText, classification: 'PP' });
            const flats = 3 + Math.floor(random() * 10);
            for (let f = 1; f <= flats; f++) {
              const id = ++uprn;
              rows.push({ ...base, ...common, uprn: id, lpiKey: `${id}L`, postcode: pc, parentUprn: parent, saoText: 'FLAT', saoStartNumber: f, paoStartNumber: n, paoText, classification: 'RD06' });
            }
          } else {
            const id = ++uprn;
            rows.push({ ...base, ...common, uprn: id, lpiKey: `${id}L`, postcode: pc, paoStartNumber: n });
          }
          if (chance(0.04)) {
            const id = ++uprn;
            rows.push({ ...base, ...common, uprn: id, lpiKey: `${id}L`, postcode: pc, paoStartNumber: n, paoStartSuffix: 'A' });
          }
          if (chance(0.02) && houseNames.length > 0) {
            const id = ++uprn;
            rows.push({ ...base, ...common, uprn: id, lpiKey: `${id}L`, postcode: pc, paoText: houseNames.splice(Math.floor(random() * houseNames.length), 1)[0] as string });
          }
        }
      }
    }
  }
  return rows;
}

const titleCase = (s: string) => s.toLowerCase().replace(/\b[a-z]/g, (c) => c.toUpperCase());

function typo(word: string): string {
  if (word.length < 5) return word;
  const i = 1 + Math.floor(random() * (word.length - 3));
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

function messyInput(row: IndexedAddress): { text: string; postcode: string | null } {
  const parts: string[] = [];
  if (row.saoStartNumber !== null) {
    const r = random();
    parts.push(r < 0.3 ? `${row.saoStartNumber}` : r < 0.4 ? `Apartment ${row.saoStartNumber}` : `Flat ${row.saoStartNumber}`);
  }
  if (row.paoText && row.paoStartNumber !== null) parts.push(row.paoText);
  const typeAt = row.street.lastIndexOf(' ');
  let name = row.street.slice(0, typeAt);
  let type = row.street.slice(typeAt + 1);
  if (chance(0.05)) name = name.split(' ').map((w, i, all) => (i === all.length - 1 ? typo(w) : w)).join(' ');
  if (chance(0.4)) type = ABBREVIATED[type] ?? type;
  const number = row.paoStartNumber !== null ? `${row.paoStartNumber}${row.paoStartSuffix ?? ''} ` : '';
  if (row.paoText && row.paoStartNumber === null) parts.push(row.paoText);
  parts.push(`${number}${name} ${type}`);
  if (chance(0.5) && row.locality) parts.push(row.locality);
  if (chance(0.8) && row.town) parts.push(row.town);
  let postcode: string | null = row.postcode;
  if (postcode && chance(0.03)) postcode = `${postcode.slice(0, -2)}${postcode.endsWith('AA') ? 'AB' : 'AA'}`;
  if (postcode && chance(0.2)) postcode = postcode.replace(' ', '');
  if (postcode && chance(0.03)) postcode = postcode.replace(/0/g, 'O');
  const where = random();
  let text = parts.join(chance(0.3) ? ' ' : ', ');
  if (postcode && where < 0.25) {
    text = `${text} ${postcode}`;
    postcode = null;
  } else if (where > 0.85) {
    postcode = null;
  }
  text = chance(0.5) ? titleCase(text) : chance(0.5) ? text.toLowerCase() : text;
  return { text, postcode };
}

const t0 = performance.now();
const rows = buildGazetteer();
const t1 = performance.now();
const source = new MemoryCandidateSource({ rows });
const parser = builtinParser(source.vocabulary);
const t2 = performance.now();

const inputs: { text: string; postcode: string | null; truth: number | null }[] = [];
for (let i = 0; i < INPUTS; i++) {
  if (chance(0.02)) {
    inputs.push({ text: `${900 + Math.floor(random() * 90)} ${pick(NAMES)} ${pick(TYPES)}, ${pick(TOWNS)}`, postcode: null, truth: null });
    continue;
  }
  const row = pick(rows) as Truth['row'];
  inputs.push({ ...messyInput(row), truth: row.uprn });
}

// Warm up, then time.
for (const input of inputs.slice(0, 500)) await matchAddress(input, source, { parser });
const counts: Record<MatchStatus, number> = { matched: 0, review: 0, unmatched: 0 };
let correct = 0;
let wrongMatched = 0;
let reviewHasTruth = 0;
const wrongExamples: string[] = [];
const SHOW_REVIEW = arg('show-review', 0);
const reviewExamples: string[] = [];
const t3 = performance.now();
for (const input of inputs) {
  const r = await matchAddress(input, source, { parser });
  counts[r.status]++;
  if (r.status === 'matched') {
    if (r.uprn === input.truth) correct++;
    else {
      wrongMatched++;
      if (wrongExamples.length < 5) wrongExamples.push(`${input.text} | ${input.postcode ?? '-'} → ${r.candidates[0]?.address}`);
    }
  } else if (r.status === 'review') {
    const hasTruth = r.candidates.some((c) => c.uprn === input.truth);
    if (hasTruth) reviewHasTruth++;
    if (reviewExamples.length < SHOW_REVIEW && (!hasTruth || reviewExamples.length < SHOW_REVIEW / 2)) {
      reviewExamples.push(`${input.text} | ${input.postcode ?? '-'} → ${r.candidates[0]?.address} (${r.score}): ${r.explanation.reasons.join('; ')}`);
    }
  } else if (input.truth !== null && reviewExamples.length < SHOW_REVIEW) {
    reviewExamples.push(`(unmatched) ${input.text} | ${input.postcode ?? '-'}: ${r.explanation.reasons.join('; ')}`);
  }
}
const t4 = performance.now();
const withTruth = inputs.filter((i) => i.truth !== null).length;
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(2)}%`;

console.log(`gazetteer: ${rows.length} LPIs generated in ${((t1 - t0) / 1000).toFixed(1)} s, indexed in ${((t2 - t1) / 1000).toFixed(1)} s`);
console.log(`inputs: ${inputs.length} (${inputs.length - withTruth} not in the gazetteer)`);
console.log(`speed: ${Math.round(inputs.length / ((t4 - t3) / 1000))} matches/s on one core`);
console.log(`matched ${counts.matched} (precision ${pct(correct, counts.matched)}), review ${counts.review} (${pct(counts.review, inputs.length)}; truth among candidates in ${reviewHasTruth}), unmatched ${counts.unmatched}`);
console.log(`recall of matched: ${pct(correct, withTruth)}; wrong matches ${wrongMatched}`);
for (const w of wrongExamples) console.log(`  wrong: ${w}`);
for (const w of reviewExamples) console.log(`  review: ${w}`);
