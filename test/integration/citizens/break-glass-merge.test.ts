/**
 * A break-glass grant opens the one citizen its reason was given for. When
 * that account is then merged into another, the grant is not carried to the
 * survivor: the survivor holds records the reason was never written about,
 * so a read of it (or of the old reference, which leads to it) needs a
 * reason of its own. On the real linkage tables, merged as linkage merges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createClient } from '../../../src/auth/clients.js';
import { mergeCitizens } from '../../../src/linkage/accounts.js';
import { inTransaction } from '../../../src/linkage/context.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { oneAccount, sourceRecord, store } from '../linkage/people.js';

describe('a break-glass grant and a merge of its citizen', () => {
  let hub: TestHub;
  let police: { key: string; clientId: number };
  let mergedRef = '';
  let survivorRef = '';
  let mergedId = 0;
  let survivorId = 0;
  const read = (ref: string, reason?: string) => hub.app.inject({
    url: `/v1/citizens/${ref}`,
    headers: { authorization: `Bearer ${police.key}`, 'x-purpose': 'emergency', ...(reason ? { 'x-break-glass-reason': reason } : {}) },
  });
  const grants = async () => (await hub.db.pool.query<{ citizen_ref: string | null }>(
    'SELECT citizen_ref FROM break_glass_grant WHERE client_id = $1 ORDER BY id', [police.clientId])).rows.map((r) => r.citizen_ref);
  const idOf = async (ref: string) => Number((await hub.db.pool.query<{ id: string }>('SELECT id FROM citizen WHERE ref = $1', [ref])).rows[0]!.id);

  beforeAll(async () => {
    hub = await createTestHub();
    const dpo = await createClient(hub.db.pool, { org: 'Northby Council Information Governance', role: 'dpo' });
    const made = await createClient(hub.db.pool, { org: 'Northby Police', orgKind: 'police', role: 'adviser' });
    police = { key: made.key, clientId: made.client.id };
    const agreement = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo.key}` },
      payload: {
        id: 'ISA-BGM', title: 'Break-glass', parties: { provider: { orgId: dpo.client.orgId }, recipients: [made.client.orgId] }, roles: null,
        purposes: ['emergency'], categories: ['identity', 'contact', 'address'], lawfulBasis: 'vital-interests', art9Condition: null,
        legalGateway: 'UK GDPR Art. 6(1)(d) vital interests', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(agreement.statusCode, agreement.body).toBe(201);
    const person = { forenames: ['FREYA'], surname: 'LATIMER', dob: '1944-07-07', lines: ['8 MILL LANE', 'NORTHBY'], postcode: 'ZZ9 9FL', uprn: 600008 };
    const brought: SourceRecord = sourceRecord({ ...person, system: 'housing', ref: 'HFL1' });
    const kept: SourceRecord = sourceRecord({ ...person, system: 'revenues', ref: 'RFL1' });
    for (const record of [brought, kept]) await store(hub.db.pool, [record]);
    survivorRef = await oneAccount(hub.db.pool, [kept]);
    mergedRef = await oneAccount(hub.db.pool, [brought]);
    [survivorId, mergedId] = [await idOf(survivorRef), await idOf(mergedRef)];
  }, 120_000);
  afterAll(async () => hub?.close());

  it('is not carried to the survivor: reading it, or the old reference, needs a reason again', async () => {
    expect((await read(mergedRef, 'resident fell, neighbour called')).statusCode).toBe(200);
    expect((await read(mergedRef)).statusCode).toBe(200);
    expect((await read(survivorRef)).statusCode).toBe(400);

    await inTransaction(hub.db.pool, (db) => mergeCitizens(db, mergedId, survivorId, { clientId: null, reason: 'same person' }, survivorId));

    const survivor = await read(survivorRef);
    expect(survivor.json()).toMatchObject({ status: 400, code: 'purpose-required' });
    const old = await read(mergedRef);
    expect(old.json()).toMatchObject({ status: 400, code: 'purpose-required' });
    // The grant still names the account it was given for, and no other grant was made.
    expect(await grants()).toEqual([mergedRef]);

    // A reason given for the survivor opens it, as a grant of its own.
    expect((await read(survivorRef, 'welfare check after the fall')).statusCode).toBe(200);
    expect(await grants()).toEqual([mergedRef, survivorRef]);
  });
});
