import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GazetteerRecord } from '../../../schemas/bs7666.js';
import { readGazetteerFile } from '../../../adapters/gazetteer/read.js';
import { generateCouncil } from '../../../fixtures/council/generate.js';
import { writeAbp, writeAbpSplit } from '../../../fixtures/council/write-abp.js';
import { writeDtf } from '../../../fixtures/council/write-dtf.js';

const COUNCIL = { seed: 11, addresses: 3_000 };
/** Fields per record type, framing included, from shared/reference/gazetteer-formats.md. */
const ABP_FIELDS: Record<string, number> = { 10: 9, 11: 24, 15: 13, 21: 22, 23: 12, 24: 26, 28: 29, 29: 17, 30: 10, 31: 11, 32: 12, 99: 5 };
const DTF_FIELDS: Record<string, number> = { 10: 9, 11: 20, 15: 9, 21: 23, 23: 11, 24: 30, 30: 10, 31: 11, 32: 12, 99: 5 };

let dir: string;
let abpText: string;
let dtfText: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'council-'));
  await writeAbp(generateCouncil(COUNCIL), path.join(dir, 'full.csv'));
  await writeDtf(generateCouncil(COUNCIL), path.join(dir, 'full.dtf.csv'));
  abpText = await readFile(path.join(dir, 'full.csv'), 'utf8');
  dtfText = await readFile(path.join(dir, 'full.dtf.csv'), 'utf8');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const rows = (text: string): string[][] => parse(text, { relax_column_count: true, record_delimiter: '\r\n' });

async function readBack(file: string): Promise<{ records: GazetteerRecord[]; rejects: number; trailer: number | null }> {
  const records: GazetteerRecord[] = [];
  let rejects = 0;
  let trailer: number | null = null;
  for await (const e of readGazetteerFile(file)) {
    if (e.kind === 'record') records.push(e.record);
    if (e.kind === 'reject') rejects++;
    if (e.kind === 'trailer') trailer = e.recordCount;
  }
  return { records, rejects, trailer };
}

/** What the address index would hold per LPI, taking each field from where its format keeps it. */
function addressIndex(records: GazetteerRecord[]): Map<string, string> {
  const streets = new Map<number, string>();
  const blpus = new Map<number, { postcode: string | null; cls: string | null; status: number; parent: number | null }>();
  const orgs = new Map<number, string>();
  const classes = new Map<number, string>();
  for (const r of records) {
    if (r.type === 15) streets.set(r.data.usrn, [r.data.description, r.data.locality, r.data.town].join('|'));
    if (r.type === 21) blpus.set(r.data.uprn, { postcode: r.data.postcodeLocator, cls: r.data.blpuClass, status: r.data.logicalStatus, parent: r.data.parentUprn });
    if (r.type === 31) orgs.set(r.data.uprn, r.data.organisation);
    if (r.type === 32) classes.set(r.data.uprn, r.data.code);
  }
  const index = new Map<string, string>();
  for (const r of records) {
    if (r.type !== 24) continue;
    const l = r.data;
    const b = blpus.get(l.uprn)!;
    const parts = [l.saoStartNumber, l.saoStartSuffix, l.saoEndNumber, l.saoEndSuffix, l.saoText, l.paoStartNumber, l.paoStartSuffix, l.paoEndNumber, l.paoEndSuffix, l.paoText];
    index.set(`${l.uprn}|${l.logicalStatus}|${parts.join('/')}`, [
      l.logicalStatus, b.status, b.parent, streets.get(l.usrn), l.postcode ?? b.postcode, orgs.get(l.uprn) ?? null, classes.get(l.uprn) ?? b.cls,
    ].join('|'));
  }
  return index;
}

describe('AddressBase Premium writer', () => {
  it('writes CRLF lines, header first, trailer last with the right RECORD_COUNT, field counts per the reference', () => {
    expect(abpText.endsWith('\r\n')).toBe(true);
    expect(abpText.replaceAll('\r\n', '').includes('\n')).toBe(false);
    const all = rows(abpText);
    expect(all[0]![0]).toBe('10');
    expect(all[0]![8]).toBe('F');
    expect(all[1]![0]).toBe('29');
    const last = all.at(-1)!;
    expect(last[0]).toBe('99');
    expect(Number(last[2])).toBe(all.length - 2);
    for (const r of all) expect([r[0], r.length]).toEqual([r[0], ABP_FIELDS[r[0]!]]);
    const orders = all.slice(2, -1).map((r) => Number(r[2]));
    expect(orders).toEqual(orders.map((_, i) => i + 1));
  });

  it('quotes text, doubles embedded quotes, leaves numbers, dates and nulls bare', () => {
    const lines = abpText.split('\r\n');
    const blpu = lines.find((l) => l.startsWith('21,'))!;
    expect(blpu).toMatch(/^21,"I",\d+,\d{12},1,2,\d{4}-\d{2}-\d{2},,\d+(\.\d+)?,/);
    const quoted = lines.find((l) => l.startsWith('31,') && l.includes('""'))!;
    expect(quoted).toMatch(/,"THE ""[A-Z]+"" [A-Z]+",/);
    const parsedOrgs = rows(abpText).filter((r) => r[0] === '31').map((r) => r[5]!);
    expect(parsedOrgs.some((o) => /^THE "[A-Z]+" [A-Z]+$/.test(o))).toBe(true);
    expect(parsedOrgs.some((o) => /^[A-Z']+, [A-Z']+ & CO$/.test(o))).toBe(true);
    const house = rows(abpText).find((r) => r[0] === '24' && r[20] === 'THE "OLD" FORGE');
    expect(house).toBeDefined();
  });

  it('reads back through the hub reader without a reject and with the trailer count', async () => {
    const { records, rejects, trailer } = await readBack(path.join(dir, 'full.csv'));
    expect(rejects).toBe(0);
    expect(trailer).toBe(rows(abpText).length - 2);
    expect(records.length).toBe([...generateCouncil(COUNCIL)].length);
  });

  it('splits into one file per record type with a header row, FULL in the names', async () => {
    const split = path.join(dir, 'split');
    const summary = await writeAbpSplit(split, generateCouncil(COUNCIL));
    const names = await readdir(split);
    expect(names).toContain('AddressBasePremium_FULL_2024-06-30_ID24_LPI_Records.csv');
    let dataRows = 0;
    for (const name of names) {
      const fileRows = rows(await readFile(path.join(split, name), 'utf8'));
      expect(fileRows[0]![0]).toBe('RECORD_IDENTIFIER');
      expect(new Set(fileRows.slice(1).map((r) => r[0])).size).toBe(1);
      for (const r of fileRows) expect(r.length).toBe(fileRows[0]!.length);
      if (!/ID(10|99)_/.test(name)) dataRows += fileRows.length - 1;
    }
    expect(dataRows).toBe(summary.recordCount);
    const lpis = await readBack(path.join(split, 'AddressBasePremium_FULL_2024-06-30_ID24_LPI_Records.csv'));
    expect(lpis.rejects).toBe(0);
    expect(lpis.records.length).toBe(summary.byType['24']);
  });
});

describe('DTF 7.3 writer', () => {
  it('writes field counts per the reference, postcode and post town on the LPI, class and organisation on the BLPU', () => {
    const all = rows(dtfText);
    expect(all[0]![7]).toBe('7.3');
    for (const r of all) expect([r[0], r.length]).toEqual([r[0], DTF_FIELDS[r[0]!]]);
    expect(all.some((r) => r[0] === '28')).toBe(false);
    expect(Number(all.at(-1)![2])).toBe(all.length - 2);
    for (const r of all.filter((x) => x[0] === '24')) {
      expect(r[24]).toMatch(/^[A-Z]{2}\d+ \d[A-Z]{2}$/);
      expect(r[25]).not.toBe('');
    }
    expect(all.some((r) => r[0] === '21' && r[7] === 'PP')).toBe(true);
    expect(all.some((r) => r[0] === '21' && r[17]!.includes(','))).toBe(true);
  });

  it('loads to the same address index as the AddressBase file', async () => {
    const abp = await readBack(path.join(dir, 'full.csv'));
    const dtf = await readBack(path.join(dir, 'full.dtf.csv'));
    expect(dtf.rejects).toBe(0);
    const a = addressIndex(abp.records);
    const d = addressIndex(dtf.records);
    expect(a.size).toBeGreaterThan(3_000);
    expect(d).toEqual(a);
  });
});

describe('writers', () => {
  it('write byte-identical files for the same seed and size', async () => {
    await writeAbp(generateCouncil(COUNCIL), path.join(dir, 'again.csv'));
    expect(await readFile(path.join(dir, 'again.csv'), 'utf8')).toBe(abpText);
  });
});
