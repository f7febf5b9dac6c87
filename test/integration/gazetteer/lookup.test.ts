import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { tinyAbp } from '../../support/tiny-council.js';

interface Result { uprn: number; line: string; status: string; current: boolean; bs7666: Record<string, string | null> }

describe('address lookup API', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-lookup-'));
  let hub: TestHub;
  let key: string;
  const get = (url: string) => hub.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
  const search = async (query: string) => ((await get(`/v1/addresses?${query}`)).json() as { results: Result[] }).results;

  beforeAll(async () => {
    hub = await createTestHub();
    key = await hub.keyFor('adviser');
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(hub.db.url, [file]);
  });
  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds addresses as the user types, every word a prefix, with BS 7666 parts and a postal line', async () => {
    const results = await search('q=2+mill+la');
    // Prefix matches first; similar addresses only fill up the rest of the list.
    expect(results.map((r) => r.uprn).slice(0, 2)).toEqual([100001, 100002]);
    expect((await search('q=2+mill+la&limit=2')).map((r) => r.uprn)).toEqual([100001, 100002]);
    expect(results[0]).toMatchObject({
      line: '2 MILL LANE, NORTHBY, EXAMPLETON, ZZ1 1AB',
      status: 'approved',
      current: true,
      bs7666: { sao: null, pao: '2', street: 'MILL LANE', locality: 'NORTHBY', town: 'EXAMPLETON', postcode: 'ZZ1 1AB' },
    });
    expect((await search('q=flat+1+riverside'))[0]).toMatchObject({ uprn: 100011, line: 'FLAT 1, RIVERSIDE COURT, 5 HIGH STREET, EXAMPLETON, ZZ1 2BD' });
    expect((await search('q=12+mill+road'))[0]).toMatchObject({ uprn: 100003, bs7666: { pao: '12-14' } });
    // The index finds words beginning MILL; the whole typed prefix is then checked on each address.
    expect((await search('q=millers')).map((r) => r.uprn)).toEqual([100001]);
    expect((await search('q=m+la&limit=20')).map((r) => r.uprn).sort()).toEqual([100001, 100002, 100004]);
  });

  it('ranks current addresses before historic ones and finds a property by its old name', async () => {
    const results = await search('q=mill+lane&limit=10');
    expect(results.every((r, i) => i === 0 || !r.current || results[i - 1]!.current)).toBe(true);
    expect((await search('q=millers+cottage'))[0]).toMatchObject({ uprn: 100001, status: 'historic', current: false });
  });

  it('filters by postcode, alone or with text, and falls back to similarity for a misspelling', async () => {
    expect((await search('postcode=zz12bd')).map((r) => r.uprn).sort()).toEqual([100010, 100011, 100012]);
    expect((await search('q=flat+2&postcode=ZZ1+2BD'))[0]?.uprn).toBe(100012);
    expect((await search('q=rose+cotage'))[0]?.uprn).toBe(100004);
  });

  it('refuses a search with nothing to search for, and bad limits', async () => {
    expect((await get('/v1/addresses')).statusCode).toBe(400);
    expect((await get('/v1/addresses?q=mill&limit=1000')).statusCode).toBe(400);
  });

  it('shows one property with every address, classification, parent, children and cross references', async () => {
    const block = (await get('/v1/addresses/100010')).json();
    expect(block.children.map((c: Result) => c.uprn)).toEqual([100011, 100012]);
    expect(block.classifications[0].code).toBe('PP');
    const flat = (await get('/v1/addresses/100011')).json();
    expect(flat.parent.uprn).toBe(100010);
    const house = (await get('/v1/addresses/100001')).json();
    expect(house.addresses.map((a: Result) => a.status)).toEqual(['approved', 'historic']);
    expect(house.crossReferences).toEqual([{ crossReference: 'CTR0100001', source: '7666VC', startDate: '2020-01-01', endDate: null }]);
    expect(house.coordinates).toMatchObject({ x: 400001, y: 300000 });
    expect((await get('/v1/addresses/999999')).statusCode).toBe(404);
    expect((await get('/v1/addresses/abc')).statusCode).toBe(400);
    expect((await get('/v1/addresses/1234567890123')).statusCode).toBe(400);
    expect((await get('/v1/addresses/000000100001')).json()).toMatchObject({ uprn: 100001 });
    for (const notDigits of ['0x186A1', '1e5', '%20100001', '100001.0', '0', '-1', '0000000000000100001']) {
      const refused = await get(`/v1/addresses/${notDigits}`);
      expect(refused.statusCode, notDigits).toBe(400);
      expect(refused.json().errors[0].path).toBe('params.uprn');
    }
  });

  it('shows a street with its descriptor and addresses', async () => {
    const street = (await get('/v1/streets/7001')).json();
    expect(street.descriptors[0]).toMatchObject({ description: 'MILL LANE', locality: 'NORTHBY', town: 'EXAMPLETON' });
    expect(street.addressCount).toBe(3);
    expect(street.addresses.map((a: Result) => a.uprn)).toEqual([100004, 100001, 100002]);
    expect((await get('/v1/streets/99')).statusCode).toBe(404);
    expect((await get('/v1/streets/7.001e3')).statusCode).toBe(400);
  });

  it('requires a key', async () => {
    expect((await hub.app.inject({ url: '/v1/addresses?q=mill' })).statusCode).toBe(401);
  });
});
