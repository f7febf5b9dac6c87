/** Pushed records read as a file's are: dates of birth after today warned of; a single value given as a list or object rejected. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

describe('pushed records', () => {
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
  });
});
