/**
 * On the real citizen source and route: the view tells which entitlements
 * are in force on the day of the read. An award whose last day has passed,
 * or whose record its system closed, reads `ended` (an adviser must not take
 * it as proof nobody need give again); one still to begin reads `future`;
 * involvements of a closed record or past their last day read closed; and a
 * council-tax disability reduction is the account's, not evidence about the
 * person.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createClient } from '../../../src/auth/clients.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { policyOptions } from '../../../src/policy/options.js';
import authPlugin from '../../../src/server/plugins/auth.js';
import errorsPlugin from '../../../src/server/plugins/errors.js';
import rateLimitPlugin from '../../../src/server/plugins/rate-limit.js';
import citizenRoutes from '../../../src/server/routes/citizens.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { oneAccount, sourceRecord, store } from '../linkage/people.js';

const evidence = { verified: true, verifiedOn: '2020-04-01', method: 'assessment' };
const PAST = '2001-03-31';
const FUTURE = '2999-04-01';

describe('entitlements and involvements in force on the day of the read', () => {
  let hub: TestHub;
  let key = '';
  let ref = '';
  const ivy = { forenames: ['IVY'], surname: 'CALLOWAY', dob: '1948-02-02', lines: ['4 SLOE ROW', 'NORTHBY'], postcode: 'ZZ9 9IC', uprn: 600101 };
  const revenues: SourceRecord = {
    ...sourceRecord({ ...ivy, system: 'revenues', ref: 'RIC1' }),
    entitlements: [
      { kind: 'disability-reduction', code: 'DIS', from: '2020-04-01', to: null, evidence },
      { kind: 'single-person-discount', code: 'SPD', from: '2000-04-01', to: PAST, evidence },
      { kind: 'council-tax-reduction', code: 'CTR', from: FUTURE, to: null, evidence },
      { kind: 'older-person-concession', code: 'OAP', from: '2020-04-01', to: '2026-07-31', evidence },
    ],
    involvements: [
      { service: 'council tax', reference: 'CT-OLD', role: 'liable party', status: 'open', from: '1999-04-01', to: PAST },
      { service: 'council tax', reference: 'CT-NOW', role: 'liable party', status: 'open', from: '2020-04-01', to: null },
    ],
  };
  const smartcard: SourceRecord = {
    ...sourceRecord({ ...ivy, system: 'smartcard', ref: 'SCIC1' }),
    entitlements: [{ kind: 'blue-badge', code: 'BB', from: '2022-05-01', to: null, evidence }],
    involvements: [{ service: 'concessionary travel', reference: 'CARD-1', role: 'cardholder', status: 'open', from: '2022-05-01', to: null }],
  };

  const view = async (): Promise<CitizenView> => {
    const response = await hub.app.inject({ url: `/v1/citizens/${ref}`, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as CitizenView;
  };
  const entitlement = (v: CitizenView, kind: string) => v.entitlements!.find((e) => e.entitlement.kind === kind)!;
  const involvement = (v: CitizenView, reference: string) => v.involvements!.find((i) => i.involvement.reference === reference)!.involvement;

  beforeAll(async () => {
    hub = await createTestHub();
    const dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const made = await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
    key = made.key;
    const created = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id: 'ISA-IF-1', title: 'Contact centre', parties: { provider: { orgId: made.client.orgId }, recipients: [made.client.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity', 'revenues', 'concessions', 'health-disability', 'service-involvement'],
        lawfulBasis: 'public-task', art9Condition: { condition: 'h', text: 'health or social care' }, legalGateway: 'Local Government Act 1972 s.111',
        dpiaReference: 'DPIA-IF', startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    await store(hub.db.pool, [revenues]);
    await store(hub.db.pool, [smartcard]);
    ref = await oneAccount(hub.db.pool, [revenues, smartcard]);
  }, 120_000);
  afterAll(async () => hub.close());

  it('reads an award past its last day as ended, one to come as future, and the rest as current', async () => {
    const seen = await view();
    expect(entitlement(seen, 'single-person-discount').status).toBe('ended');
    expect(entitlement(seen, 'council-tax-reduction').status).toBe('future');
    expect(entitlement(seen, 'blue-badge').status).toBe('current');
    expect(entitlement(seen, 'blue-badge').holder).toBe('person');
    // The evidence stays what the source said: it was verified, and the status says it no longer holds.
    expect(entitlement(seen, 'single-person-discount').source.verified).toBe(true);
  });

  it("gives a council-tax disability reduction to the account, not to the person as evidence of a disability", async () => {
    const reduction = entitlement(await view(), 'disability-reduction');
    expect(reduction).toMatchObject({ holder: 'account', status: 'current', category: 'health-disability' });
  });

  it('reads an involvement past its last day as closed, whatever its source last said', async () => {
    const seen = await view();
    expect(involvement(seen, 'CT-OLD').status).toBe('closed');
    expect(involvement(seen, 'CT-NOW').status).toBe('open');
  });

  it("reads the day at the route's clock in London: past 23:00 UTC in summer, the day after an award's last day has begun", async () => {
    const clock = { now: new Date('2026-07-31T22:59:00Z') };
    const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } } }).withTypeProvider<TypeBoxTypeProvider>();
    await app.register(errorsPlugin);
    await app.register(rateLimitPlugin, { rateLimitPerMinute: 100_000 });
    await app.register(authPlugin, { pool: hub.db.pool });
    await app.register(citizenRoutes, { pool: hub.db.pool, source: new LinkedCitizenSource(hub.db.pool), clock: () => clock.now, policy: policyOptions() });
    try {
      const status = async () => {
        const response = await app.inject({ url: `/v1/citizens/${ref}`, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
        expect(response.statusCode, response.body).toBe(200);
        return entitlement(response.json() as CitizenView, 'older-person-concession').status;
      };
      expect(await status()).toBe('current');
      clock.now = new Date('2026-07-31T23:00:00Z');
      expect(await status()).toBe('ended');
    } finally {
      await app.close();
    }
  });

  it('ends every entitlement and involvement of a record its system closed', async () => {
    expect(entitlement(await view(), 'blue-badge').status).toBe('current');
    await store(hub.db.pool, [{ ...smartcard, closed: true }]);
    const seen = await view();
    expect(entitlement(seen, 'blue-badge').status).toBe('ended');
    expect(involvement(seen, 'CARD-1').status).toBe('closed');
    expect(entitlement(seen, 'disability-reduction').status).toBe('current');
  });
});
