import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCouncil } from '../../../fixtures/council/generate.js';
import { writeAbp, writeAbpSplit } from '../../../fixtures/council/write-abp.js';
import { writeDtf } from '../../../fixtures/council/write-dtf.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const council = { seed: 11, addresses: 2000 };

describe('the same generated council in every supported format', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-formats-'));
  const index = async () =>
    (await db.pool.query(`SELECT * FROM gazetteer.address_index ORDER BY lpi_key`)).rows.map(({ search_vector: _v, ...row }) => row);

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();

    rmSync(dir, { recursive: true, force: true });
  });

  it('gives identical address indexes from AddressBase Premium (mixed and split) and DTF 7.3', async () => {
    const abp = path.join(dir, 'AddressBasePremium_FULL_2024-06-30_001.csv');
    await writeAbp(generateCouncil(council), abp);
    const abpSummary = await importGazetteer(db.url, [abp]);
    const fromAbp = await index();
    expect(fromAbp.length).toBeGreaterThan(council.addresses);
    expect(abpSummary.rejects).toEqual([]);

    const { files } = await writeAbpSplit(path.join(dir, 'split'), generateCouncil(council));
    const splitSummary = await importGazetteer(db.url, files);
    expect(splitSummary.formats).toEqual(['abp-split']);
    expect(await index()).toEqual(fromAbp);

    const dtf = path.join(dir, 'council-dtf.csv');
    await writeDtf(generateCouncil(council), dtf);
    const dtfSummary = await importGazetteer(db.url, [dtf]);
    expect(dtfSummary.formats).toEqual(['dtf']);
    expect(await index()).toEqual(fromAbp);
  });
});
