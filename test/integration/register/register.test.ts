import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

interface Entry { action: string; purpose: string; citizenRef: string | null; agreements: { id: string; version: number }[]; detail?: { before: unknown; after: unknown } }

describe('data protection register', () => {
  let hub: RegisterHub;
  let dpo: string;
  let admin: string;
  let adviser: string;
  let org: number;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const send = (method: 'POST' | 'PUT' | 'GET', url: string, key: string, payload?: unknown) =>
    hub.app.inject({ method, url, headers: auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
  const agreement = {
    id: 'ISA-2026-004',
    title: 'Adult social care referrals',
    parties: { provider: { orgId: 0 }, recipients: [0] },
    roles: ['caseworker'],
    purposes: ['safeguarding'],
    categories: ['identity', 'social-care'],
    lawfulBasis: 'public-task',
    art9Condition: { condition: 'h', text: '9(2)(h) provision of social care' },
    legalGateway: 'Care Act 2014 s.6',
    dpiaReference: 'DPIA-2026-07',
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    reviewDate: null,
    status: 'active',
  };
  const log = async (): Promise<Entry[]> =>
    ((await send('GET', '/v1/audit/disclosures?purpose=register-maintenance', dpo)).json() as { entries: Entry[] }).entries;

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    const d = await hub.key('dpo', 'Northby Council');
    dpo = d.key;
    org = d.orgId;
    admin = (await hub.key('admin', 'Northby Council')).key;
    adviser = (await hub.key('adviser', 'Northby Council')).key;
    agreement.parties = { provider: { orgId: org }, recipients: [org] };
  });
  afterAll(async () => hub.close());

  it('lets only the DPO change the register and the admin read it', async () => {
    expect((await send('POST', '/v1/register/agreements', adviser, agreement)).statusCode).toBe(403);
    expect((await send('POST', '/v1/register/agreements', admin, agreement)).statusCode).toBe(403);
    const created = await send('POST', '/v1/register/agreements', dpo, agreement);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ ...agreement, version: 1, warnings: [] });
    expect((await send('GET', '/v1/register/agreements', admin)).json()).toEqual({ agreements: [{ ...agreement, version: 1, warnings: [] }] });
    expect((await send('GET', '/v1/register/agreements', adviser)).statusCode).toBe(403);
    expect((await send('POST', '/v1/register/agreements', dpo, agreement)).statusCode).toBe(409);
  });

  it('adds organisations once each, for the DPO only', async () => {
    const police = await send('POST', '/v1/register/organisations', dpo, { name: 'Northby Police', kind: 'police' });
    expect(police.statusCode).toBe(201);
    expect(police.json()).toMatchObject({ name: 'Northby Police', kind: 'police', id: expect.any(Number) });
    expect((await send('POST', '/v1/register/organisations', dpo, { name: 'Northby Police', kind: 'police' })).statusCode).toBe(409);
    expect((await send('POST', '/v1/register/organisations', admin, { name: 'Other', kind: 'nhs' })).statusCode).toBe(403);
    const list = (await send('GET', '/v1/register/organisations', admin)).json() as { organisations: { name: string }[] };
    expect(list.organisations.map((o) => o.name)).toContain('Northby Police');
    expect((await log()).map((e) => e.action)).toContain('register.organisation.create');
  });

  it('warns of special categories it cannot share without an Art. 9 condition, of an end or review date passed, and of a start to come', async () => {
    const created = await send('POST', '/v1/register/agreements', dpo, {
      ...agreement, id: 'ISA-W', categories: ['identity', 'social-care', 'health-disability'], art9Condition: null, reviewDate: '2026-01-31',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().warnings).toEqual([
      'social-care is a special category: not shared under this agreement until it names an Art. 9 condition',
      'health-disability is a special category: not shared under this agreement until it names an Art. 9 condition',
      'review was due on 2026-01-31',
    ]);
    const fixed = await send('PUT', '/v1/register/agreements/ISA-W', dpo, { version: 1, art9Condition: agreement.art9Condition, reviewDate: '2099-01-01', endDate: '2026-02-01' });
    expect(fixed.json()).toMatchObject({ version: 2, warnings: ['ended on 2026-02-01: it shares nothing, though its status is active'] });
    const versions = (await send('GET', '/v1/register/agreements/ISA-W/versions', admin)).json() as { versions: { warnings: string[] }[] };
    expect(versions.versions.map((v) => v.warnings.length)).toEqual([3, 1]);
    expect((await send('POST', '/v1/register/agreements/ISA-W/status', dpo, { version: 2, status: 'ended' })).json()).toMatchObject({ warnings: [] });
    const early = await send('POST', '/v1/register/agreements', dpo, { ...agreement, id: 'ISA-LATER', startDate: '2099-01-01', endDate: null });
    expect([early.statusCode, early.json().warnings]).toEqual([201, ['starts on 2099-01-01: it shares nothing until then, though its status is active']]);
  });

  it('refuses a purpose outside the vocabulary', async () => {
    const response = await send('POST', '/v1/register/agreements', dpo, { ...agreement, id: 'ISA-P', purposes: ['safeguardng'] });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toMatch(/unknown purpose safeguardng/);
    expect((await send('POST', '/v1/register/agreements', dpo, { ...agreement, id: 'ISA-P', purposes: ['housing-allocation'] })).statusCode).toBe(201);
  });

  it('refuses an agreement naming an organisation that does not exist', async () => {
    const response = await send('POST', '/v1/register/agreements', dpo, { ...agreement, id: 'ISA-X', parties: { provider: { orgId: org }, recipients: [99999] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toMatch(/99999/);
  });

  it('keeps an agreement without a DPIA reference as null, not as an empty string', async () => {
    const created = await send('POST', '/v1/register/agreements', dpo, { ...agreement, id: 'ISA-NO-DPIA', dpiaReference: null });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ dpiaReference: null });
    expect((await send('GET', '/v1/register/agreements/ISA-NO-DPIA', admin)).json()).toMatchObject({ dpiaReference: null });
    const v2 = await send('PUT', '/v1/register/agreements/ISA-NO-DPIA', dpo, { version: 1, dpiaReference: 'DPIA-2026-09' });
    const v3 = await send('PUT', '/v1/register/agreements/ISA-NO-DPIA', dpo, { version: 2, dpiaReference: null });
    expect([v2.json().dpiaReference, v3.json().dpiaReference]).toEqual(['DPIA-2026-09', null]);
  });

  it('keeps every version, refuses a change against a stale version, and audits each change', async () => {
    const v2 = await send('PUT', `/v1/register/agreements/${agreement.id}`, dpo, { version: 1, categories: ['identity', 'social-care', 'contact'] });
    expect(v2.statusCode).toBe(200);
    expect(v2.json()).toMatchObject({ version: 2, categories: ['identity', 'social-care', 'contact'], title: agreement.title });
    expect((await send('PUT', `/v1/register/agreements/${agreement.id}`, dpo, { version: 1, title: 'stale' })).statusCode).toBe(409);
    const ended = await send('POST', `/v1/register/agreements/${agreement.id}/status`, dpo, { version: 2, status: 'ended' });
    expect(ended.json()).toMatchObject({ version: 3, status: 'ended' });
    const versions = (await send('GET', `/v1/register/agreements/${agreement.id}/versions`, admin)).json() as { versions: { version: number; status: string }[] };
    expect(versions.versions.map((v) => [v.version, v.status])).toEqual([[1, 'active'], [2, 'active'], [3, 'ended']]);
    expect((await send('GET', `/v1/register/agreements/${agreement.id}?version=1`, admin)).json()).toMatchObject({ version: 1, categories: ['identity', 'social-care'] });

    const entries = (await log()).filter((e) => e.agreements[0]?.id === agreement.id);
    expect(entries.map((e) => [e.action, e.agreements[0]!.version])).toEqual([
      ['register.agreement.create', 1], ['register.agreement.update', 2], ['register.agreement.status', 3],
    ]);
    expect(entries[2]!.detail).toMatchObject({ before: { status: 'active', version: 2 }, after: { status: 'ended', version: 3 } });
  });

  it('records consents, objections and restrictions per citizen, with withdrawal and lifting audited', async () => {
    const consent = await send('POST', '/v1/citizens/C1/consents', dpo, {
      purpose: 'direct-service-delivery', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'telephone', evidence: 'CALL-778',
    });
    expect(consent.statusCode).toBe(201);
    const { id } = consent.json() as { id: string };
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, dpo, { at: '2026-06-10T12:00:00Z' })).json()).toMatchObject({ withdrawnAt: '2026-06-10T12:00:00.000Z' });
    const objection = await send('POST', '/v1/citizens/C1/objections', dpo, { purpose: 'statistics-research', recipientOrgId: null, from: '2026-06-01T00:00:00Z' });
    expect(objection.statusCode).toBe(201);
    const restriction = await send('POST', '/v1/citizens/C1/restrictions', dpo, { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' });
    const rid = (restriction.json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/restrictions/${rid}/lift`, dpo, {})).json()).toMatchObject({ liftedAt: '2026-06-15T10:00:00.000Z' });

    const consents = (await send('GET', '/v1/citizens/C1/consents', admin)).json() as { consents: { id: string; withdrawnAt: string }[] };
    expect(consents.consents).toEqual([expect.objectContaining({ id, withdrawnAt: '2026-06-10T12:00:00.000Z' })]);
    expect(((await send('GET', '/v1/citizens/C1/objections', dpo)).json() as { objections: unknown[] }).objections).toHaveLength(1);
    expect((await send('GET', '/v1/citizens/C1/restrictions', adviser)).statusCode).toBe(403);

    expect((await send('POST', '/v1/citizens/NOBODY/consents', dpo, { purpose: 'safeguarding', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'paper', evidence: 'x' })).statusCode).toBe(404);
    expect((await send('POST', `/v1/citizens/C1/consents/CON-9999999/withdraw`, dpo, {})).statusCode).toBe(404);

    const actions = (await log()).filter((e) => e.citizenRef === 'C1').map((e) => e.action);
    expect(actions).toEqual([
      'register.consent.create', 'register.consent.withdraw', 'register.objection.create', 'register.restriction.create', 'register.restriction.lift',
    ]);
  });

  it('redirects a register change for a merged reference to the survivor', async () => {
    hub.source.merged.set('C0', 'C1');
    const response = await send('POST', '/v1/citizens/C0/restrictions', dpo, { from: '2026-06-01T00:00:00Z', to: null, reason: 'x' });
    expect(response.statusCode).toBe(308);
    expect(response.headers.location).toBe('/v1/citizens/C1/restrictions');
  });

  it('the chain with register changes verifies', async () => {
    expect((await send('GET', '/v1/audit/verify', dpo)).json()).toMatchObject({ ok: true });
  });
});
