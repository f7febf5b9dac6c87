/**
 * Pushed JSON taken in as sent: every digit of a number, no field given twice
 * resolved silently, each record's raw payload its text as received; dates
 * of birth after today warned of, as in a file; a single value given as a
 * list or object rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

describe('pushed JSON', () => {
  let hub: TestHub;
  let source: string;
  let steward: string;
  beforeAll(async () => {
    hub = await createTestHub();
    source = await hub.keyFor('source-system', 'Council Systems', ['smartcard', 'social-care', 'housing']);
    steward = await hub.keyFor('steward', 'Data Team');
  });
  afterAll(async () => {
    await hub.close();
  });

  const push = (system: string, text: string, contentType = 'application/json') =>
    hub.app.inject({ method: 'POST', url: `/v1/sources/${system}/records`, headers: { authorization: `Bearer ${source}`, 'content-type': contentType }, payload: text });

  const stored = async (system: string, ref: string) =>
    (await hub.db.pool.query<{ version: number; raw: string; record: { sourceRef: string; dateOfBirth: string | null; warnings: { field: string; rule: string }[] } }>(
      'SELECT version, raw, record FROM source_record WHERE system = $1 AND source_ref = $2 ORDER BY version', [system, ref],
    )).rows;

  const rejectsOf = async (system: string, intakeId: number) =>
    ((await hub.app.inject({ url: `/v1/sources/${system}/rejects?intake=${intakeId}`, headers: { authorization: `Bearer ${steward}` } })).json() as {
      rejects: { position: { index: number }; field: string; rule: string; reason: string }[];
    }).rejects;

  it('keeps every digit of a reference sent as a number too long for a double: two cards are two records', async () => {
    const card = (number: string) => `{"CARD_NUMBER": ${number}, "FIRST_NAME":"A", "LAST_NAME":"BIGNUM", "DATE_OF_BIRTH":"01/01/1950"}`;
    for (const number of ['6338000012345678901', '6338000012345678902']) {
      const response = await push('smartcard', card(number));
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ read: 1, accepted: 1, rejected: 0 });
    }
    for (const number of ['6338000012345678901', '6338000012345678902']) {
      const versions = await stored('smartcard', number);
      expect(versions.map((v) => v.version)).toEqual([1]);
      expect(versions[0]!.raw).toBe(card(number));
    }
    expect(await stored('smartcard', '6338000012345679000')).toEqual([]);
  });

  it('stores each record of a batch as its text was sent, and rejects a record giving a field twice, naming it, taking in the rest', async () => {
    const first = '{ "CARD_NUMBER": "633800000001",  "FIRST_NAME": "A", "LAST_NAME": "EXACT", "X": 12345678901234567890 }';
    const twice = '{"CARD_NUMBER": "633800000002", "FIRST_NAME": "A", "LAST_NAME": "ONE", "LAST_NAME": "TWO"}';
    const third = '{"CARD_NUMBER":"633800000003","FIRST_NAME":"A","LAST_NAME":"THIRD"}';
    const response = await push('smartcard', `{"records": [\n  ${first},\n  ${twice},\n  ${third}\n]}`);
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 3, accepted: 2, rejected: 1 });
    expect((await stored('smartcard', '633800000001'))[0]!.raw).toBe(first);
    expect((await stored('smartcard', '633800000003'))[0]!.raw).toBe(third);
    expect(await stored('smartcard', '633800000002')).toEqual([]);
    const [reject, ...more] = await rejectsOf('smartcard', body.intakeId);
    expect(more).toEqual([]);
    expect(reject).toMatchObject({ position: { index: 1 }, field: 'LAST_NAME', rule: 'duplicate-field' });
    expect(reject!.reason).not.toMatch(/ONE|TWO/);
  });

  it('refuses a batch giving "records" twice, since one of its batches would be lost', async () => {
    const response = await push('smartcard', '{"records": [{"CARD_NUMBER":"633800000011","FIRST_NAME":"A","LAST_NAME":"LOST"}], "records": []}');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'bad-request', detail: expect.stringContaining('"records" more than once') });
    expect(await stored('smartcard', '633800000011')).toEqual([]);
  });

  it('warns of a pushed date of birth in the future and does not use it, as a file does, in JSON and in XML', async () => {
    const json = await push('social-care', '[{"clientId":"QFD1","name":{"given":"A","family":"FDONE"},"birthDate":"2090-01-01"}]');
    expect(json.json()).toMatchObject({ accepted: 1, rejected: 0 });
    const [client] = await stored('social-care', 'QFD1');
    expect(client!.record.dateOfBirth).toBeNull();
    expect(client!.record.warnings).toContainEqual(expect.objectContaining({ field: 'birthDate', rule: 'dob-in-the-future' }));

    const xml = '<Tenancies><Tenancy ref="QFDH1"><Tenant><Forename>A</Forename><Surname>FDTWO</Surname><DateOfBirth>2090-05-06</DateOfBirth></Tenant></Tenancy></Tenancies>';
    expect((await push('housing', xml, 'application/xml')).json()).toMatchObject({ accepted: 1, rejected: 0 });
    const [tenant] = await stored('housing', 'QFDH1-1');
    expect(tenant!.record.dateOfBirth).toBeNull();
    expect(tenant!.record.warnings).toContainEqual(expect.objectContaining({ field: 'Tenant[1].DateOfBirth', rule: 'dob-in-the-future' }));
  });

  it('rejects a reference given as a list or an object, naming the field, instead of storing its first or calling it missing', async () => {
    const response = await push('social-care', JSON.stringify([
      { clientId: ['QLA', 'QLB'], name: { given: 'A', family: 'LISTED' } },
      { clientId: { x: 1 }, name: { given: 'A', family: 'OBJECT' } },
      { clientId: 'QLC', name: { given: 'A', family: 'SINGLE' } },
    ]));
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 3, accepted: 1, rejected: 2 });
    expect(await stored('social-care', 'QLA')).toEqual([]);
    expect((await rejectsOf('social-care', body.intakeId)).map((r) => [r.position.index, r.field, r.rule])).toEqual([
      [0, 'clientId', 'not-a-single-value'],
      [1, 'clientId', 'not-a-single-value'],
    ]);
    // Paged: a full page names where the next starts, which holds the rest.
    const page = async (query: string) => (await hub.app.inject({ url: `/v1/sources/social-care/rejects?intake=${body.intakeId}&${query}`, headers: { authorization: `Bearer ${steward}` } }))
      .json() as { rejects: { id: number; position: { index: number } }[]; next?: number };
    const first = await page('limit=1');
    expect(first.next).toBe(first.rejects[0]!.id);
    const rest = await page(`after=${first.next}&limit=1`);
    expect(rest.rejects.map((r) => r.position.index)).toEqual([1]);
    expect((await page(`after=${rest.next}&limit=1`))).toEqual({ rejects: [] });
  });
});
