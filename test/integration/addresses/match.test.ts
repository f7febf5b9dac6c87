import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUprn } from '../../../adapters/mapping/checks.js';
import { INVALID_POSTCODE_REASON, PO_BOX_REASON, POSTCODE_ONLY_REASON } from '../../../matching/address/index.js';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { matchSourceRecords, rematchAfterGazetteerChange } from '../../../src/addresses/records.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { sourceRecord, store } from '../linkage/people.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES, tinyAbp } from '../../support/tiny-council.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';

describe('address matching API and review queue', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-match-'));
  let hub: TestHub;
  let adviser: string;
  let steward: string;
  let source: string;
  const get = (url: string, key = adviser) => hub.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
  const match = async (query: string) => (await get(`/v1/addresses/match?${query}`)).json();
  const writeTo = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    hub = await createTestHub();
    adviser = await hub.keyFor('adviser');
    steward = await hub.keyFor('steward', 'Data Team');
    source = await hub.keyFor('source-system', 'Revenues System', ['revenues']);
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(hub.db.url, [file]);
  });
  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('matches clean and messy addresses with an explanation and candidates', async () => {
    expect(await match('text=2+Mill+Lane,+Northby&postcode=ZZ1+1AB')).toMatchObject({ uprn: 100001, status: 'matched', decidedBy: 'matcher', explanation: { evidence: 'address' } });
    expect(await match('text=2a+mill+ln+northby+zz11ab')).toMatchObject({ uprn: 100002, status: 'matched' });
    expect(await match('text=Flat+1,+Riverside+Ct,+5+High+St&postcode=ZZ1+2BD')).toMatchObject({ uprn: 100011, status: 'matched' });
    const result = await match('text=2+Mill+Lane&postcode=ZZ1+1AB');
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(result.candidates[0].address).toContain('MILL LANE');
  });

  it('uses a council-tax cross reference as deterministic evidence', async () => {
    expect(await match('text=2+Mill+Ln&crossReference=CTR0100001')).toMatchObject({ uprn: 100001, status: 'matched', explanation: { evidence: 'cross-reference' } });
  });

  it('never guesses between 2 and 2A', async () => {
    const result = await match('text=2+Mill+Lane+Northby');
    expect(result.uprn === 100001 || result.status !== 'matched').toBe(true);
    const ambiguous = await match('text=Mill+Lane+Northby');
    expect(ambiguous.status).not.toBe('matched');
  });

  it('leaves a PO box unmatched, saying so, however it is written, unless a street address comes with it', async () => {
    // 2 MILL LANE is a house under ZZ1 1AB: a box numbered 2 there is not it.
    for (const query of ['text=PO+Box+2&postcode=ZZ1+1AB', 'text=Post+Office+Box+2,+ZZ1+1AB', 'text=P.O.+BOX+2,+EXAMPLETON,+ZZ1+1AB', 'text=pobox2+zz11ab', 'text=Box+2,+Northby&postcode=ZZ1+1AB']) {
      const result = await match(query);
      expect([query, result.status, result.uprn, result.candidates]).toEqual([query, 'unmatched', null, []]);
      expect(result.explanation).toMatchObject({ reasons: [PO_BOX_REASON], parsed: { poBox: '2' } });
    }
    expect(await match('text=PO+Box+9,+2+Mill+Lane,+Northby&postcode=ZZ1+1AB')).toMatchObject({ uprn: 100001, status: 'matched' });
  });

  it('leaves a source record at a PO box unmatched, with no review item', async () => {
    const [id] = await store(hub.db.pool, [sourceRecord({ system: 'housing', ref: 'HBOX1', forenames: ['POLLY'], surname: 'BOXALL', lines: ['PO BOX 2', 'EXAMPLETON'], postcode: 'ZZ1 1AB' })]);
    const counts = await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), [id!]);
    expect(counts).toMatchObject({ matched: 0, review: 0, unmatched: 1 });
    const stored = await hub.db.pool.query<{ uprn: number | null; status: string; explanation: { reasons: string[] } }>(
      'SELECT uprn, status, explanation FROM address_match WHERE source_record_id = $1', [id]);
    expect(stored.rows.map((r) => [r.uprn, r.status, r.explanation.reasons])).toEqual([[null, 'unmatched', [PO_BOX_REASON]]]);
    expect((await hub.db.pool.query(`SELECT 1 FROM address_review WHERE text LIKE '%BOX%'`)).rowCount).toBe(0);
  });

  it('leaves a postcode alone unmatched, and says when the postcode given is not one', async () => {
    expect(await match('text=ZZ1+1AB')).toMatchObject({ status: 'unmatched', uprn: null, explanation: { reasons: [POSTCODE_ONLY_REASON] } });
    const invalid = await match(`text=2+Mill+Lane,+Northby&postcode=${encodeURIComponent('ZZ4 1PO')}`);
    expect(invalid).toMatchObject({ status: 'matched', uprn: 100001 });
    expect(invalid.explanation.reasons).toContain(INVALID_POSTCODE_REASON);
  });

  it('sends a range over a number and its suffix to review when the gazetteer has both', async () => {
    const result = await match('text=2-2a+mill+lane+northby');
    expect(result.status).toBe('review');
    expect(result.candidates.slice(0, 2).map((c: { uprn: number }) => c.uprn).sort()).toEqual([100001, 100002]);
    expect(result.explanation.reasons).toContain('house number suffix differs');
  });

  it("matches a record on the home it has now, not on an ended one listed before it", async () => {
    const mover = sourceRecord({ system: 'housing', ref: 'HMOVE1', forenames: ['MAUD'], surname: 'MOVEWELL', lines: ['2 MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' });
    const moved = { ...mover.addresses[0]!, lines: ['FLAT 1, RIVERSIDE CT', '5 HIGH ST'], postcode: 'ZZ1 2BD', from: '2026-03-01' };
    const [id] = await store(hub.db.pool, [{ ...mover, addresses: [{ ...mover.addresses[0]!, to: '2026-02-28' }, moved] }]);
    await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), [id!]);
    const stored = await hub.db.pool.query<{ uprn: number; status: string }>('SELECT uprn, status FROM address_match WHERE source_record_id = $1', [id]);
    expect(stored.rows).toEqual([{ uprn: 100011, status: 'matched' }]);
  });

  it('sends uncertain source addresses to review, and reuses a steward decision for the same input', async () => {
    const account = (ref: string) => ({ ACCOUNT_REF: ref, LIABLE_PARTY_1: 'MS ANN EXAMPLE', DOB_1: '01/01/1980', ADDR_1: 'MILL LANE', ADDR_2: 'NORTHBY', POSTCODE: '', ACCOUNT_STATUS: 'LIVE' });
    await hub.app.inject({ method: 'POST', url: '/v1/sources/revenues/records', headers: { authorization: `Bearer ${source}` }, payload: { records: [account('CT1'), account('CT2')] } });
    const ids = (await hub.db.pool.query<{ id: number }>('SELECT id FROM source_record WHERE current ORDER BY id')).rows.map((r) => r.id);
    const matcher = new AddressMatcher(hub.db.pool);
    const counts = await matchSourceRecords(hub.db.pool, matcher, ids);
    expect(counts.review).toBe(2);
    const queue = (await get('/v1/review/addresses', steward)).json() as { items: { id: number; occurrences: number; text: string }[] };
    expect(queue.items).toHaveLength(1);
    expect(queue.items[0]!.occurrences).toBe(2);
    expect((await get('/v1/review/addresses', adviser)).statusCode).toBe(403);
    const decide = (body: unknown) => hub.app.inject({ method: 'POST', url: `/v1/review/addresses/${queue.items[0]!.id}`, headers: { authorization: `Bearer ${steward}` }, payload: body as object });
    expect((await decide({ uprn: 424242 })).statusCode).toBe(400);
    const decided = await decide({ uprn: 100004 });
    expect(decided.json()).toMatchObject({ uprn: 100004, updatedRecords: 2 });
    expect((await decide({ uprn: 100004 })).statusCode).toBe(409);
    const again = await match('text=MILL+LANE,+NORTHBY');
    expect(again).toMatchObject({ uprn: 100004, status: 'matched', decidedBy: 'steward' });
  });

  it('matches again, after a FULL supply, the records matched to a property it no longer holds', async () => {
    const [id] = await store(hub.db.pool, [sourceRecord({ system: 'housing', ref: 'HFULL1', forenames: ['IDA'], surname: 'FULLER', lines: ['2A MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' })]);
    await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), [id!]);
    const matchOf = async () => (await hub.db.pool.query<{ uprn: number | null; status: string }>('SELECT uprn, status FROM address_match WHERE source_record_id = $1', [id])).rows[0];
    expect(await matchOf()).toEqual({ uprn: 100002, status: 'matched' });

    const without = path.join(dir, 'AddressBasePremium_FULL_2026-01-02_001.csv');
    writeFileSync(without, abpFile([...abpStreetRows(), ...PROPERTIES.filter((p) => p.uprn !== 100002).flatMap((p) => abpPropertyRows(p))]));
    const summary = await importGazetteer(hub.db.url, [without]);
    expect(summary.touched).toMatchObject({ deleted: 1 });
    const touched = await hub.db.pool.query('SELECT uprn, change FROM gazetteer_touched WHERE import_id = $1', [summary.importId]);
    expect(touched.rows).toEqual([{ uprn: 100002, change: 'deleted' }]);

    const rematched = await rematchAfterGazetteerChange(hub.db.pool, new AddressMatcher(hub.db.pool));
    expect(rematched.records).toBeGreaterThanOrEqual(1);
    expect((await matchOf())!.uprn).not.toBe(100002);

    const whole = path.join(dir, 'AddressBasePremium_FULL_2026-01-03_001.csv');
    writeFileSync(whole, tinyAbp());
    await importGazetteer(hub.db.url, [whole]);
  });

  it('matches afresh an input whose steward decision names a property the gazetteer no longer holds', async () => {
    const decidedRecords = async () => (await hub.db.pool.query<{ uprn: number | null; decided_by: string; explanation: { reasons: string[] } }>(
      `SELECT m.uprn, m.decided_by, m.explanation FROM address_match m JOIN source_record s ON s.id = m.source_record_id
        WHERE s.system = 'revenues' AND s.source_ref IN ('CT1-1', 'CT2-1') AND s.current`)).rows;
    expect((await decidedRecords()).map((r) => [r.uprn, r.decided_by])).toEqual([[100004, 'steward'], [100004, 'steward']]);
    const without = path.join(dir, 'AddressBasePremium_FULL_2026-01-04_001.csv');
    writeFileSync(without, abpFile([...abpStreetRows(), ...PROPERTIES.filter((p) => p.uprn !== 100004).flatMap((p) => abpPropertyRows(p))]));
    await importGazetteer(hub.db.url, [without]);
    await rematchAfterGazetteerChange(hub.db.pool, new AddressMatcher(hub.db.pool));
    for (const r of await decidedRecords()) {
      expect(r.uprn).not.toBe(100004);
      expect(r.decided_by).toBe('matcher');
      expect(r.explanation.reasons[0]).toBe('a steward decided UPRN 100004 for this input, which the gazetteer no longer holds');
    }
    expect(await match('text=MILL+LANE,+NORTHBY')).toMatchObject({ decidedBy: 'matcher' });

    // The property back in the gazetteer: the decision holds again.
    const whole = path.join(dir, 'AddressBasePremium_FULL_2026-01-05_001.csv');
    writeFileSync(whole, tinyAbp());
    await importGazetteer(hub.db.url, [whole]);
    expect(await match('text=MILL+LANE,+NORTHBY')).toMatchObject({ uprn: 100004, decidedBy: 'steward' });
  });

  it('follows a steward decision to the successor of the property it named, once that is retired', async () => {
    const successor = { uprn: 100031, usrn: 7002, postcode: 'ZZ1 1AD', pao: { number: 12 }, classification: 'RD04' };
    const rose = PROPERTIES.find((p) => p.uprn === 100004)!;
    const body = [
      abpPropertyRows({ ...rose, status: 8 }, 'U')[0]!,
      ...abpPropertyRows(successor),
      fields(ABP[30], 30, { UPRN: 100004, SUCC_KEY: '100004S1', START_DATE: '2026-01-06', SUCCESSOR: 100031 }, 'I'),
    ];
    await importGazetteer(hub.db.url, [writeTo('AddressBasePremium_COU_2026-01-06_001.csv', abpFile(body, 'C', { processDate: '2026-01-06' }))]);
    await rematchAfterGazetteerChange(hub.db.pool, new AddressMatcher(hub.db.pool));
    expect(await match('text=MILL+LANE,+NORTHBY')).toMatchObject({ uprn: 100031, decidedBy: 'steward', explanation: { successorOf: 100004 } });
    const records = (await hub.db.pool.query<{ uprn: number; decided_by: string }>(
      `SELECT m.uprn, m.decided_by FROM address_match m JOIN source_record s ON s.id = m.source_record_id
        WHERE s.system = 'revenues' AND s.source_ref IN ('CT1-1', 'CT2-1') AND s.current`)).rows;
    expect(records).toEqual([{ uprn: 100031, decided_by: 'steward' }, { uprn: 100031, decided_by: 'steward' }]);
    await importGazetteer(hub.db.url, [writeTo('AddressBasePremium_FULL_2026-01-07_001.csv', abpFile([...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))], 'F', { processDate: '2026-01-07' }))]);
  });

  it('leaves pending, for the re-match after it, the properties an import touches while a re-match runs', async () => {
    const [id] = await store(hub.db.pool, [sourceRecord({ system: 'housing', ref: 'HRACE1', forenames: ['ADA'], surname: 'RACE', lines: ['2A MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' })]);
    await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), [id!]);
    const full = (keep: (p: (typeof PROPERTIES)[number]) => boolean) => [...abpStreetRows(), ...PROPERTIES.filter(keep).flatMap((p) => abpPropertyRows(p))];
    const first = await importGazetteer(hub.db.url, [writeTo('AddressBasePremium_FULL_2026-01-08_001.csv', abpFile(full((p) => p.uprn !== 100002), 'F', { processDate: '2026-01-08' }))]);
    const updated = PROPERTIES.find((p) => p.uprn !== 100002)!;
    let second: number | undefined;
    // A change-only supply is imported while the re-match of the first runs, between reading what to re-match and marking it done.
    class ImportMeanwhile extends AddressMatcher {
      override async match(input: Parameters<AddressMatcher['match']>[0]) {
        second ??= (await importGazetteer(hub.db.url, [writeTo('AddressBasePremium_COU_2026-01-09_001.csv', abpFile(abpPropertyRows(updated, 'U'), 'C', { processDate: '2026-01-09' }))])).importId;
        return super.match(input);
      }
    }
    await rematchAfterGazetteerChange(hub.db.pool, new ImportMeanwhile(hub.db.pool));
    const pending = async () => (await hub.db.pool.query<{ import: number; uprn: number; pending: boolean }>(
      'SELECT import_id::int AS import, uprn::int, rematched_at IS NULL AS pending FROM gazetteer_touched WHERE import_id = ANY($1::bigint[]) ORDER BY import_id, uprn',
      [[first.importId, second]])).rows;
    expect(second).toBeDefined();
    const rows = await pending();
    expect(rows.filter((r) => r.import === first.importId)).toContainEqual({ import: first.importId, uprn: 100002, pending: false });
    expect(rows.filter((r) => r.import === first.importId && r.pending)).toEqual([]);
    expect(rows.filter((r) => r.import === second)).toEqual([{ import: second, uprn: updated.uprn, pending: true }]);
    await rematchAfterGazetteerChange(hub.db.pool, new AddressMatcher(hub.db.pool));
    expect((await pending()).filter((r) => r.pending)).toEqual([]);
    await importGazetteer(hub.db.url, [writeTo('AddressBasePremium_FULL_2026-01-10_001.csv', abpFile(full(() => true), 'F', { processDate: '2026-01-10' }))]);
  });

  it('validates the query', async () => {
    expect((await get('/v1/addresses/match')).statusCode).toBe(400);
    expect((await get('/v1/addresses/match?text=x&uprn=0')).statusCode).toBe(400);
  });

  it('refuses blank text as it refuses empty text', async () => {
    for (const text of ['', '%20', '%20%20%20', '%09', '%C2%A0']) {
      const refused = await get(`/v1/addresses/match?text=${text}`);
      expect([text, refused.statusCode]).toEqual([text, 400]);
      expect(refused.json().errors[0].path).toBe('querystring.text');
    }
    expect((await get('/v1/addresses/match?text=%202%20Mill%20Lane%20')).statusCode).toBe(200);
  });

  it('takes UPRN text by one rule, in its documented pattern and in source extracts alike: 1 to 12 digits, zeros counted', async () => {
    const doc = (await hub.app.inject('/docs/json')).json();
    const params = [
      ...doc.paths['/v1/addresses/match'].get.parameters.filter((p: { name: string }) => p.name === 'uprn'),
      ...doc.paths['/v1/addresses/{uprn}'].get.parameters.filter((p: { name: string }) => p.name === 'uprn'),
    ];
    expect(params).toHaveLength(2);
    const cases = ['1', '100001', '000000100001', '999999999999', '0', '000000000000', '0000000100001', '000120260003311', '1234567890123', '12a', ''];
    for (const { schema } of params) {
      const pattern = new RegExp(schema.pattern);
      for (const text of cases) {
        // The pattern alone says it: nothing it admits is refused by another keyword.
        const admitted = pattern.test(text);
        expect([text, admitted && text.length <= schema.maxLength]).toEqual([text, admitted]);
        expect([text, admitted]).toEqual([text, checkUprn(text).rule === null]);
      }
    }
    for (const text of cases.filter((c) => c !== '')) {
      const status = (await get(`/v1/addresses/match?text=2+Mill+Lane&uprn=${text}`)).statusCode;
      expect([text, status]).toEqual([text, checkUprn(text).rule === null ? 200 : 400]);
    }
    expect(await match('text=2+Mill+Lane&uprn=000000100001')).toMatchObject({ uprn: 100001, explanation: { evidence: 'uprn' } });
  });
});
