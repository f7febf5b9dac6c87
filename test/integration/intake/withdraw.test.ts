/**
 * A source system that pushes says a record is gone: DELETE
 * /v1/sources/{system}/records/{ref} closes it as a full extract lacking it
 * would (a closing version, raw_format withdrawn-by-source, under an intake of
 * its own), the pipeline follows, and a push opens it again. A row's reference
 * closes every party of it, a party's reference one; an ambiguous one is
 * refused; a withdrawal older than the record changes nothing, nor does one
 * repeated.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { linkageForWorker, loadPrepareTables } from '../../../src/linkage/context.js';
import { citizensAt } from '../../../src/linkage/golden.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createLogger } from '../../../src/logging.js';
import { runPipelineHere } from '../../../src/pipeline/jobs.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { tinyAbp } from '../../support/tiny-council.js';
import { population, store } from '../linkage/people.js';

const account = (over: Record<string, string> = {}) => ({
  ACCOUNT_REF: 'CT000901',
  LIABLE_PARTY_1: 'MR ALAN TESTER',
  LIABLE_PARTY_2: 'MRS BETH TESTER',
  DOB_1: '01/01/1970',
  DOB_2: '02/02/1972',
  NINO_1: '',
  NINO_2: '',
  PROPERTY_REF: 'CTR0009001',
  ADDR_1: '2 MILL LANE',
  ADDR_2: 'NORTHBY',
  ADDR_3: '',
  ADDR_4: '',
  POSTCODE: 'ZZ1 1AB',
  PHONE: '',
  EMAIL: '',
  DISCOUNT_CODES: '',
  DISCOUNT_VERIFIED_DATE: '',
  ACCOUNT_STATUS: 'LIVE',
  LAST_UPDATED: '01/06/2026 10:00:00',
  ...over,
});

const card = {
  CARD_NUMBER: 'SC0000771', TITLE: 'MS', FIRST_NAME: 'CARA', LAST_NAME: 'EXAMPLE', DATE_OF_BIRTH: '03/03/1980', ADDRESS: '5 HIGH STREET, NORTHBY',
  POSTCODE: 'ZZ1 2BD', CONCESSION: 'NONE', CONCESSION_EVIDENCE: '', ISSUED: '01/01/2026', EXPIRES: '01/01/2031', EMAIL: '', MOBILE: '',
};

interface Answer { intakeId: number; form: string; changed: boolean; closed: string[]; alreadyClosed: string[]; stale: string[] }
interface Version { version: number; current: boolean; closed: boolean; raw_format: string; source_updated_at: Date | null; involvements: { status: string }[] }

describe('withdrawing a pushed record', () => {
  let hub: TestHub;
  let source: string;
  let housing: string;
  let steward: string;
  const accepted: number[] = [];
  let pipeline: Parameters<typeof runPipelineHere>[0];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-withdraw-'));

  beforeAll(async () => {
    hub = await createTestHub({}, { onAccepted: async (ids) => void accepted.push(...ids) });
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(hub.db.url, [file]);
    // A person model, so that the pipeline links: trained on people other systems hold, so that the pushed accounts own revenues.
    await store(hub.db.pool, population(11, 150).filter((r) => r.system !== 'revenues'));
    await trainFromDatabase(hub.db.pool, await loadPrepareTables(), { seed: 5 });
    pipeline = { pool: hub.db.pool, logger: createLogger('silent'), matcher: new AddressMatcher(hub.db.pool), linkage: linkageForWorker(hub.db.pool, null) };
    source = await hub.keyFor('source-system', 'Revenues System', ['revenues', 'smartcard']);
    housing = await hub.keyFor('source-system', 'Housing System', ['housing']);
    steward = await hub.keyFor('steward', 'Data Team');
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the pipeline for what the last requests handed to it, as the queue would. */
  const settle = async () => runPipelineHere(pipeline, accepted.splice(0));
  const push = async (payload: unknown, system = 'revenues') => {
    const response = await hub.app.inject({
      method: 'POST', url: `/v1/sources/${system}/records`, headers: { authorization: `Bearer ${source}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload),
    });
    expect(response.statusCode, response.body).toBe(202);
    await settle();
    return response.json() as { intakeId: number; accepted: number; stale: number; unchanged: number };
  };
  const withdraw = async (ref: string, query = '', key = source, system = 'revenues') => {
    const response = await hub.app.inject({
      method: 'DELETE', url: `/v1/sources/${system}/records/${encodeURIComponent(ref)}${query}`, headers: { authorization: `Bearer ${key}` },
    });
    if (response.statusCode === 200) await settle();
    return response;
  };
  const versions = async (ref: string, system = 'revenues') => (await hub.db.pool.query<Version>(
    `SELECT version, current, closed, raw_format, source_updated_at, record->'involvements' AS involvements
       FROM source_record WHERE system = $1 AND source_ref = $2 ORDER BY version`, [system, ref])).rows;
  const currentOf = async (ref: string, system = 'revenues') => (await versions(ref, system)).find((v) => v.current)!;
  const occupants = async () => (await citizensAt(hub.db.pool, [100001], null)).map((c) => c.name).sort();
  const intake = async (id: number) => (await hub.app.inject({ url: `/v1/intakes/${id}`, headers: { authorization: `Bearer ${steward}` } })).json() as Record<string, unknown>;

  it('closes the party who left a joint account, who is then no occupant, and a push opens the record again', async () => {
    await push(account());
    expect(await occupants()).toEqual(['ALAN TESTER', 'BETH TESTER']);

    const response = await withdraw('CT000901-2');
    expect(response.statusCode, response.body).toBe(200);
    const answer = response.json() as Answer;
    expect(answer).toEqual({ intakeId: expect.any(Number), form: 'party', changed: true, closed: ['CT000901-2'], alreadyClosed: [], stale: [] });
    expect(await currentOf('CT000901-2')).toMatchObject({ version: 2, closed: true, raw_format: 'withdrawn-by-source' });
    expect((await currentOf('CT000901-2')).involvements.every((i) => i.status === 'closed')).toBe(true);
    expect(await currentOf('CT000901-1')).toMatchObject({ version: 1, closed: false });
    expect(await intake(answer.intakeId)).toMatchObject({ channel: 'push', status: 'done', read: 1, accepted: 1, unchanged: 0, closed: 1, fullExtract: false });
    expect(await occupants()).toEqual(['ALAN TESTER']);

    // The same content pushed again: the party is back.
    expect(await push(account())).toMatchObject({ accepted: 1 });
    expect((await versions('CT000901-2')).map((v) => [v.version, v.current, v.closed])).toEqual([[1, false, false], [2, false, true], [3, true, false]]);
    expect(await occupants()).toEqual(['ALAN TESTER', 'BETH TESTER']);
  });

  it('closes every party of a row by its reference; repeated, it changes nothing', async () => {
    const first = (await withdraw('CT000901')).json() as Answer;
    expect(first).toMatchObject({ form: 'row', changed: true, closed: ['CT000901-1', 'CT000901-2'], alreadyClosed: [], stale: [] });
    expect(await occupants()).toEqual([]);
    const again = await withdraw('CT000901');
    expect(again.statusCode).toBe(200);
    const second = again.json() as Answer;
    expect(second).toMatchObject({ form: 'row', changed: false, closed: [], alreadyClosed: ['CT000901-1', 'CT000901-2'], stale: [] });
    expect(second.intakeId).not.toBe(first.intakeId);
    expect(await intake(second.intakeId)).toMatchObject({ read: 2, accepted: 0, unchanged: 2, closed: 0 });
    expect((await versions('CT000901-1')).map((v) => [v.version, v.current, v.closed])).toEqual([[1, false, false], [2, true, true]]);
    // A party's reference of a closed party: nothing either.
    expect((await withdraw('CT000901-2')).json()).toMatchObject({ form: 'party', changed: false, alreadyClosed: ['CT000901-2'] });
  });

  it('leaves a record open when the withdrawal is older than its last update, and keeps a later one\'s time on the closing version', async () => {
    await push(account({ ACCOUNT_REF: 'CT000902', LIABLE_PARTY_2: '', DOB_2: '', ADDR_1: '5 HIGH STREET', POSTCODE: 'ZZ1 2BD' }));
    const stale = await withdraw('CT000902', '?updatedAt=2026-05-31T12:00:00Z');
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toMatchObject({ form: 'row', changed: false, closed: [], stale: ['CT000902-1'] });
    expect(await versions('CT000902-1')).toHaveLength(1);
    expect(await currentOf('CT000902-1')).toMatchObject({ closed: false });

    // Withdrawn on 2 June: a version of 1 June pushed late stays history; one of 3 June opens the record.
    const later = (await withdraw('CT000902', '?updatedAt=2026-06-02T09:00:00%2B01:00')).json() as Answer;
    expect(later).toMatchObject({ changed: true, closed: ['CT000902-1'] });
    expect(await currentOf('CT000902-1')).toMatchObject({ version: 2, closed: true, source_updated_at: new Date('2026-06-02T08:00:00Z') });
    expect(await push(account({ ACCOUNT_REF: 'CT000902', LIABLE_PARTY_2: '', DOB_2: '', ADDR_1: '5 HIGH STREET', POSTCODE: 'ZZ1 2BD' }))).toMatchObject({ accepted: 1, stale: 1 });
    expect(await currentOf('CT000902-1')).toMatchObject({ version: 2, closed: true });
    await push(account({ ACCOUNT_REF: 'CT000902', LIABLE_PARTY_2: '', DOB_2: '', ADDR_1: '5 HIGH STREET', POSTCODE: 'ZZ1 2BD', LAST_UPDATED: '03/06/2026 08:00:00' }));
    expect(await currentOf('CT000902-1')).toMatchObject({ version: 4, closed: false });
    // A date alone is midnight UTC, as the mappings read one.
    expect((await withdraw('CT000902', '?updatedAt=2026-06-03')).json()).toMatchObject({ changed: false, stale: ['CT000902-1'] });
    expect((await withdraw('CT000902', '?updatedAt=2026-06-03T08:00:00')).json()).toMatchObject({ changed: true, closed: ['CT000902-1'] });
    expect((await withdraw('CT000902', '?updatedAt=yesterday')).statusCode).toBe(400);
    expect((await withdraw('CT000902', '?updatedAt=2026-02-31')).statusCode).toBe(400);
  });

  it('answers 404 for a reference it does not hold, and refuses one naming both a row and a party of another row', async () => {
    for (const [ref, query] of [['CT999999', ''], ['CT999999-1', ''], ['CT000901', '?party=3'], ['CT00090', '']] as const) {
      const response = await withdraw(ref, query);
      expect(response.statusCode, ref).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not-found' });
    }
    // Row CT000903 has party CT000903-1; row CT000903-1 has parties CT000903-1-1 and -2.
    await push({ records: [account({ ACCOUNT_REF: 'CT000903', LIABLE_PARTY_2: '' }), account({ ACCOUNT_REF: 'CT000903-1' })] });
    const ambiguous = await withdraw('CT000903-1');
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json()).toMatchObject({ code: 'conflict', detail: expect.stringMatching(/party=N/) });
    expect((await withdraw('CT000903-1', '?party=2')).json()).toMatchObject({ form: 'party', closed: ['CT000903-1-2'] });
    expect((await withdraw('CT000903', '?party=1')).json()).toMatchObject({ form: 'party', closed: ['CT000903-1'] });
    expect(await currentOf('CT000903-1-1')).toMatchObject({ closed: false });
    // A party's suffixed reference with party=N names party N of a row of that name: there is none.
    expect((await withdraw('CT000903-1-1', '?party=1')).statusCode).toBe(404);
  });

  it('reads a system without parties by the record\'s own reference', async () => {
    await push(card, 'smartcard');
    expect((await withdraw('SC0000771', '?party=1', source, 'smartcard')).statusCode).toBe(400);
    expect((await withdraw('SC0000771-1', '', source, 'smartcard')).statusCode).toBe(404);
    const response = await withdraw('SC0000771', '', source, 'smartcard');
    expect(response.json()).toMatchObject({ form: 'record', changed: true, closed: ['SC0000771'] });
    expect(await currentOf('SC0000771', 'smartcard')).toMatchObject({ version: 2, closed: true, raw_format: 'withdrawn-by-source' });
  });

  it('keeps no update time on the closing version of a record without one, so that the record pushed again opens again', async () => {
    const other = { ...card, CARD_NUMBER: 'SC0000772', FIRST_NAME: 'CORA' };
    await push(other, 'smartcard');
    expect((await withdraw('SC0000772', '?updatedAt=2026-06-02T09:00:00Z', source, 'smartcard')).json()).toMatchObject({ changed: true });
    expect(await currentOf('SC0000772', 'smartcard')).toMatchObject({ version: 2, closed: true, source_updated_at: null });
    expect(await push(other, 'smartcard')).toMatchObject({ accepted: 1, stale: 0 });
    expect(await currentOf('SC0000772', 'smartcard')).toMatchObject({ version: 3, closed: false });
  });

  it('closes the version a push stored while the withdrawal waited for the record', async () => {
    const other = { ...card, CARD_NUMBER: 'SC0000773', FIRST_NAME: 'CLEO' };
    await push(other, 'smartcard');
    const pushing = await hub.db.pool.connect();
    try {
      // A push holding the record's versions, as store.ts locks them to replace the current one.
      await pushing.query('BEGIN');
      const old = (await pushing.query<{ id: string }>(
        "SELECT id FROM source_record WHERE system = 'smartcard' AND source_ref = 'SC0000773' ORDER BY version FOR UPDATE")).rows.at(-1)!.id;
      const withdrawn = withdraw('SC0000773', '', source, 'smartcard');
      await expect.poll(async () => (await hub.db.pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%' AND pid <> pg_backend_pid()")).rowCount).toBe(1);
      await pushing.query('UPDATE source_record SET current = false WHERE id = $1', [old]);
      await pushing.query(`INSERT INTO source_record (system, source_ref, version, current, content_hash, record, raw, raw_format, intake_id, position, source_updated_at, closed, asserted_since)
        SELECT system, source_ref, version + 1, true, content_hash, record, raw, raw_format, intake_id, position, source_updated_at, closed, asserted_since FROM source_record WHERE id = $1`, [old]);
      await pushing.query('COMMIT');
      const response = await withdrawn;
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ changed: true, closed: ['SC0000773'], alreadyClosed: [], stale: [] });
    } finally {
      pushing.release();
    }
    expect((await versions('SC0000773', 'smartcard')).map((v) => [v.version, v.current, v.closed])).toEqual([[1, false, false], [2, false, false], [3, true, true]]);
  });

  it('lets only a source-system client for that system withdraw', async () => {
    expect((await withdraw('CT000902', '', steward)).statusCode).toBe(403);
    expect((await withdraw('CT000902', '', housing)).statusCode).toBe(403);
    expect((await withdraw('CT000902', '', source, 'social-care')).statusCode).toBe(403);
    const anonymous = await hub.app.inject({ method: 'DELETE', url: '/v1/sources/revenues/records/CT000902' });
    expect(anonymous.statusCode).toBe(401);
    expect(await currentOf('CT000902-1')).toMatchObject({ version: 5, closed: true });
  });
});
