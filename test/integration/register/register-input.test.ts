import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/** Register input the database would refuse is a 400 naming the field, never a 500. */
describe('register input', () => {
  let hub: RegisterHub;
  let dpo: string;
  let org: number;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const send = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: unknown) =>
    hub.app.inject({ method, url, headers: auth(dpo), ...(payload === undefined ? {} : { payload: payload as object }) });
  const agreement = (id: string, over: Record<string, unknown> = {}) => ({
    id, title: 'Contact centre', parties: { provider: { orgId: org }, recipients: [org] }, roles: null, purposes: ['contact-centre-enquiry'],
    categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null,
    startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active', ...over,
  });
  const consent = { purpose: 'direct-service-delivery', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'telephone', evidence: 'CALL-1' };
  const refused = (response: { statusCode: number; json: () => unknown }, path: string) => {
    expect(response.statusCode).toBe(400);
    const body = response.json() as { code: string; errors?: { path: string }[]; detail: string };
    expect(body.code).toBe('validation-failed');
    expect([body.detail, ...(body.errors ?? []).map((e) => e.path)].join(' ')).toContain(path);
  };

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    const d = await hub.key('dpo', 'Northby Council');
    dpo = d.key;
    org = d.orgId;
  });
  afterAll(async () => hub.close());

  it("names the field and rule of a business rule's refusal as a schema's refusal does", async () => {
    const shaped = (response: { statusCode: number; json: () => unknown }, status: number, code: string, errors: { path: string; message: string | RegExp }[]) => {
      expect(response.statusCode).toBe(status);
      const body = response.json() as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'errors', 'instance', 'requestId', 'status', 'title', 'type']);
      expect(body).toMatchObject({ status, code, errors: errors.map((e) => ({ path: e.path, message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message) })) });
    };
    // The schema's own refusal, for comparison.
    shaped(await send('POST', '/v1/register/agreements', agreement('ISA-E0', { startDate: 'soon' })), 400, 'validation-failed', [{ path: 'body.startDate', message: /must match/ }]);

    shaped(await send('POST', '/v1/register/agreements', agreement('ISA-E1', { purposes: ['contact-centre-enquiry', 'safeguardng'] })), 400, 'validation-failed',
      [{ path: 'body.purposes.1', message: /^is not a known purpose; use one of: contact-centre-enquiry, / }]);
    shaped(await send('POST', '/v1/register/agreements', agreement('ISA-E1', { parties: { provider: { orgId: 99998 }, recipients: [org, 99999] } })), 400, 'validation-failed', [
      { path: 'body.parties.provider.orgId', message: 'no organisation with id 99998' }, { path: 'body.parties.recipients.1', message: 'no organisation with id 99999' },
    ]);
    shaped(await send('POST', '/v1/register/agreements', agreement('ISA-E1', { endDate: '2025-12-31' })), 400, 'validation-failed',
      [{ path: 'body.endDate', message: 'is before startDate (2026-01-01)' }]);
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-E1', { endDate: '2026-12-31' }))).statusCode).toBe(201);
    shaped(await send('PUT', '/v1/register/agreements/ISA-E1', { version: 1, startDate: '2027-01-01' }), 400, 'validation-failed',
      [{ path: 'body.startDate', message: 'is after endDate (2026-12-31)' }]);
    shaped(await send('PUT', '/v1/register/agreements/ISA-E1', { version: 1, purposes: ['statistics-researc'] }), 400, 'validation-failed',
      [{ path: 'body.purposes.0', message: /^is not a known purpose/ }]);

    shaped(await send('POST', '/v1/citizens/C1/consents', { ...consent, purpose: 'direct-service-deliver' }), 400, 'validation-failed', [{ path: 'body.purpose', message: /^is not a known purpose/ }]);
    shaped(await send('POST', '/v1/citizens/C1/objections', { purpose: 'statistic-research', recipientOrgId: null, from: '2026-06-01T00:00:00Z' }), 400, 'validation-failed',
      [{ path: 'body.purpose', message: /^is not a known purpose/ }]);
    shaped(await send('POST', '/v1/citizens/C1/consents', { ...consent, recipientOrgId: 99999 }), 400, 'validation-failed', [{ path: 'body.recipientOrgId', message: 'no organisation with id 99999' }]);
    shaped(await send('POST', '/v1/citizens/C1/consents', { ...consent, to: '2026-05-01T00:00:00Z' }), 400, 'validation-failed',
      [{ path: 'body.to', message: 'is before from (2026-06-01T00:00:00Z)' }]);
    shaped(await send('GET', `/v1/citizens/C1/access-explanation?org=${org}&purpose=safeguardng`), 400, 'purpose-required', [{ path: 'querystring.purpose', message: /^is not a known purpose/ }]);

    // A conflict names its field too, under the name the route's body gives it.
    const id = ((await send('POST', '/v1/citizens/C1/consents', consent)).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    shaped(await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-11T00:00:00Z' }), 409, 'conflict', [{ path: 'body.at', message: /^consent .* was withdrawn at / }]);
    shaped(await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: null }), 409, 'conflict', [{ path: 'body.withdrawnAt', message: /^consent .* was withdrawn at / }]);
  });

  it('refuses a property a register body does not take, naming it, so that a misspelt field is no silent no-op', async () => {
    const unknown = (response: { statusCode: number; json: () => unknown }, path: string) => {
      expect(response.statusCode).toBe(400);
      // A nullable field's refusal also says that it is not null either (anyOf).
      expect(response.json()).toMatchObject({ code: 'validation-failed', errors: expect.arrayContaining([{ path, message: 'is not a property this object takes' }]) });
    };
    unknown(await send('POST', '/v1/register/agreements', { ...agreement('ISA-U1'), category: ['identity'] }), 'body.category');
    unknown(await send('POST', '/v1/register/agreements', agreement('ISA-U1', { parties: { provider: { orgId: org, kind: 'council' }, recipients: [org] } })), 'body.parties.provider.kind');
    unknown(await send('POST', '/v1/register/agreements', agreement('ISA-U1', { parties: { provider: { orgId: org }, recipients: [org], recipient: [org] } })), 'body.parties.recipient');
    unknown(await send('POST', '/v1/register/agreements', agreement('ISA-U1', { art9Condition: { condition: 'h', text: 'care', note: 'x' } })), 'body.art9Condition.note');
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-U1'))).statusCode).toBe(201);
    unknown(await send('PUT', '/v1/register/agreements/ISA-U1', { version: 1, category: ['identity', 'contact'] }), 'body.category');
    unknown(await send('POST', '/v1/register/agreements/ISA-U1/status', { version: 1, status: 'suspended', reason: 'review' }), 'body.reason');
    expect(((await send('GET', '/v1/register/agreements/ISA-U1/versions')).json() as { versions: unknown[] }).versions).toHaveLength(1);

    const consentId = ((await send('POST', '/v1/citizens/C1/consents', consent)).json() as { id: string }).id;
    unknown(await send('PUT', `/v1/citizens/C1/consents/${consentId}`, { channel: 'paper', withdrawn: '2026-06-10T00:00:00Z' }), 'body.withdrawn');
    unknown(await send('POST', `/v1/citizens/C1/consents/${consentId}/withdraw`, { at: '2026-06-10T00:00:00Z', reason: 'asked' }), 'body.reason');
    unknown(await send('POST', '/v1/citizens/C1/consents', { ...consent, recipient: 3 }), 'body.recipient');
    const objectionId = ((await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' })).json() as { id: string }).id;
    unknown(await send('POST', `/v1/citizens/C1/objections/${objectionId}/withdraw`, { when: '2026-06-10T00:00:00Z' }), 'body.when');
    const restrictionId = ((await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' })).json() as { id: string }).id;
    unknown(await send('PUT', `/v1/citizens/C1/restrictions/${restrictionId}`, { reason: 'x', lifted: '2026-06-10T00:00:00Z' }), 'body.lifted');
    unknown(await send('POST', `/v1/citizens/C1/restrictions/${restrictionId}/lift`, { at: '2026-06-10T00:00:00Z', by: 'dpo' }), 'body.by');
    const records = (await send('GET', '/v1/citizens/C1/consents')).json() as { consents: { id: string; channel: string; withdrawnAt: string | null }[] };
    expect(records.consents.find((c) => c.id === consentId)).toMatchObject({ channel: 'telephone', withdrawnAt: null });

    // A property name that does not read as a field name is not repeated: it could be anything.
    const odd = await send('POST', '/v1/register/agreements', { ...agreement('ISA-U2'), 'TESSA TESTER 07700 900123': true });
    expect(odd.json()).toMatchObject({ status: 400, code: 'validation-failed', errors: [{ path: 'body', message: 'must NOT have additional properties' }] });
    expect(odd.body).not.toContain('TESSA');
  });

  it('takes every list of an agreement as a set of sensible size', async () => {
    const refused = (response: { statusCode: number; json: () => unknown }, path: string, message: RegExp) => {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation-failed', errors: expect.arrayContaining([{ path, message: expect.stringMatching(message) }]) });
    };
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-L1', { purposes: ['safeguarding', 'safeguarding'] })), 'body.purposes', /must NOT have duplicate items/);
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-L1', { categories: ['identity', 'contact', 'identity'] })), 'body.categories', /must NOT have duplicate items/);
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-L1', { roles: ['partner', 'partner'] })), 'body.roles', /must NOT have duplicate items/);
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-L1', { parties: { provider: { orgId: org }, recipients: [org, org] } })), 'body.parties.recipients', /must NOT have duplicate items/);
    const many = (n: number) => Array.from({ length: n }, (_, i) => `extra-purpose-${i}`);
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-L1', { purposes: many(51) })), 'body.purposes', /must NOT have more than 50 items/);
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-L1', { parties: { provider: { orgId: org }, recipients: Array.from({ length: 501 }, (_, i) => i + 1) } })),
      'body.parties.recipients', /must NOT have more than 500 items/);
    refused(await send('PUT', '/v1/register/agreements/ISA-D1', { version: 1, categories: ['identity', 'identity'] }), 'body.categories', /must NOT have duplicate items/);
  });

  it('refuses a date that is not on the calendar', async () => {
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-D1', { startDate: '2026-02-30' })), 'startDate');
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-D1', { endDate: '0000-01-01' })), 'endDate');
    refused(await send('POST', '/v1/citizens/C1/restrictions', { from: '0000-06-01T00:00:00Z', to: null, reason: 'accuracy contested' }), 'from');
    refused(await send('POST', '/v1/citizens/C1/consents', { ...consent, from: '2026-02-30T00:00:00Z' }), 'from');
    const created = await send('POST', '/v1/citizens/C1/consents', consent);
    expect(created.statusCode).toBe(201);
    refused(await send('POST', `/v1/citizens/C1/consents/${(created.json() as { id: string }).id}/withdraw`, { at: '0000-01-01T00:00:00Z' }), 'at');
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-D1', { startDate: '2028-02-29' }))).statusCode).toBe(201);
  });

  it('refuses an organisation id or version too large for its column', async () => {
    refused(await send('POST', '/v1/register/agreements', agreement('ISA-N1', { parties: { provider: { orgId: org }, recipients: [1e20] } })), 'recipients');
    refused(await send('GET', '/v1/register/agreements?org=100000000000000000000'), 'org');
    refused(await send('GET', '/v1/register/agreements/ISA-D1?version=3000000000'), 'version');
    refused(await send('GET', '/v1/citizens/C1/access-explanation?org=100000000000000000000&purpose=safeguarding'), 'org');
    refused(await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: 2 ** 63, from: '2026-06-01T00:00:00Z' }), 'recipientOrgId');
  });

  it('refuses a consent or objection for an organisation the register does not know', async () => {
    refused(await send('POST', '/v1/citizens/C1/consents', { ...consent, recipientOrgId: 99999 }), 'recipientOrgId');
    refused(await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: 99999, from: '2026-06-01T00:00:00Z' }), 'recipientOrgId');
    expect((await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: org, from: '2026-06-01T00:00:00Z' })).statusCode).toBe(201);
  });

  it('refuses a consent or restriction whose period ends before it starts', async () => {
    refused(await send('POST', '/v1/citizens/C1/consents', { ...consent, to: '2026-05-01T00:00:00Z' }), 'is before from');
    refused(await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: '2026-05-01T00:00:00Z', reason: 'accuracy contested' }), 'is before from');
    const restriction = await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' });
    expect(restriction.statusCode).toBe(201);
    refused(await send('PUT', `/v1/citizens/C1/restrictions/${(restriction.json() as { id: string }).id}`, { to: '2026-05-01T00:00:00Z' }), 'is before from');
    const created = await send('POST', '/v1/citizens/C1/consents', consent);
    refused(await send('PUT', `/v1/citizens/C1/consents/${(created.json() as { id: string }).id}`, { to: '2026-05-01T00:00:00Z' }), 'is before from');
  });

  it('refuses a withdrawal or lift dated before the record begins, naming the field', async () => {
    const early = (response: { statusCode: number; json: () => unknown }, path: string, rule: string) => {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation-failed', errors: [{ path, message: rule }] });
    };
    const rule = (table: string, ended: string, from = '2026-06-01T00:00:00.000Z') => `is before from (${from}): a ${table} cannot be ${ended} before it begins`;
    const id = ((await send('POST', '/v1/citizens/C1/consents', consent)).json() as { id: string }).id;
    early(await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-05-31T23:59:59Z' }), 'body.at', rule('consent', 'withdrawn'));
    early(await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: '2026-05-01T00:00:00Z', evidence: 'CALL-9' }), 'body.withdrawnAt', rule('consent', 'withdrawn'));
    const kept = (await send('GET', '/v1/citizens/C1/consents')).json() as { consents: { id: string; withdrawnAt: string | null; evidence: string }[] };
    expect(kept.consents.find((c) => c.id === id)).toMatchObject({ withdrawnAt: null, evidence: 'CALL-1' });
    // At its from: never in force, which is what withdrawing it before it began means.
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-01T00:00:00Z' })).statusCode).toBe(200);

    // Without a time, the withdrawal is now (the clock: 2026-06-15T10:00Z), before a consent given from July.
    const future = ((await send('POST', '/v1/citizens/C1/consents', { ...consent, from: '2026-07-01T00:00:00Z' })).json() as { id: string }).id;
    early(await send('POST', `/v1/citizens/C1/consents/${future}/withdraw`, {}), 'body.at', rule('consent', 'withdrawn', '2026-07-01T00:00:00.000Z'));
    // Compared to the microsecond, as stored.
    const precise = ((await send('POST', '/v1/citizens/C1/consents', { ...consent, from: '2026-06-01T00:00:00.000500Z' })).json() as { id: string }).id;
    early(await send('POST', `/v1/citizens/C1/consents/${precise}/withdraw`, { at: '2026-06-01T00:00:00.000400Z' }), 'body.at', rule('consent', 'withdrawn'));

    const objection = ((await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' })).json() as { id: string }).id;
    early(await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, { at: '2026-05-01T00:00:00Z' }), 'body.at', rule('objection', 'withdrawn'));

    const restriction = ((await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' })).json() as { id: string }).id;
    early(await send('POST', `/v1/citizens/C1/restrictions/${restriction}/lift`, { at: '2026-05-01T00:00:00Z' }), 'body.at', rule('restriction', 'lifted'));
    early(await send('PUT', `/v1/citizens/C1/restrictions/${restriction}`, { liftedAt: '2026-05-01T00:00:00Z' }), 'body.liftedAt', rule('restriction', 'lifted'));
    expect((await send('POST', `/v1/citizens/C1/restrictions/${restriction}/lift`, { at: '2026-06-02T00:00:00Z' })).statusCode).toBe(200);
  });

  it('never moves a recorded withdrawal or lift later', async () => {
    const id = ((await send('POST', '/v1/citizens/C1/consents', consent)).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    const again = await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'conflict' });
    expect((await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: '2026-06-12T00:00:00Z' })).statusCode).toBe(409);
    expect((await send('GET', '/v1/citizens/C1/consents')).json()).toMatchObject({ consents: expect.arrayContaining([expect.objectContaining({ id, withdrawnAt: '2026-06-10T00:00:00.000Z' })]) });
    // The same time again, or an earlier one, is fine.
    expect((await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: '2026-06-10T00:00:00.000Z', evidence: 'CALL-2' })).statusCode).toBe(200);
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-09T00:00:00Z' })).json()).toMatchObject({ withdrawnAt: '2026-06-09T00:00:00.000Z' });

    const objection = ((await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' })).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    expect((await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, {})).statusCode).toBe(409);

    const restriction = ((await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' })).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/restrictions/${restriction}/lift`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    expect((await send('POST', `/v1/citizens/C1/restrictions/${restriction}/lift`, {})).statusCode).toBe(409);
  });

  it('answers a change that waited for a concurrent one with 409, never 404', async () => {
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-CC'))).statusCode).toBe(201);
    const other = await hub.db.pool.connect();
    try {
      // Another change holds the current version, as updateAgreement does, while this one asks.
      await other.query('BEGIN');
      await other.query("SELECT 1 FROM sharing_agreement WHERE id = 'ISA-CC' AND current FOR UPDATE");
      const waiting = send('PUT', '/v1/register/agreements/ISA-CC', { version: 1, title: 'Second' });
      for (let i = 0; i < 100; i++) {
        const { rows } = await hub.db.pool.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'");
        if (rows.length) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await other.query("UPDATE sharing_agreement SET current = false WHERE id = 'ISA-CC' AND current");
      await other.query(`INSERT INTO sharing_agreement (id, version, current, title, provider_org_id, recipient_org_ids, roles, purposes, categories,
          lawful_basis, art9_condition, legal_gateway, dpia_reference, start_date, end_date, review_date, status)
        SELECT id, 2, true, 'First', provider_org_id, recipient_org_ids, roles, purposes, categories, lawful_basis, art9_condition, legal_gateway,
          dpia_reference, start_date, end_date, review_date, status FROM sharing_agreement WHERE id = 'ISA-CC' AND version = 1`);
      await other.query('COMMIT');
      const response = await waiting;
      expect(response.statusCode).toBe(409);
      expect(response.json().detail).toMatch(/at version 2, not 1/);
    } finally {
      other.release();
    }
    expect((await send('GET', '/v1/register/agreements/ISA-CC')).json()).toMatchObject({ version: 2, title: 'First' });
  });

  it("audits every read of a citizen's consents, objections and restrictions", async () => {
    for (const kind of ['consents', 'objections', 'restrictions']) expect((await send('GET', `/v1/citizens/C1/${kind}`)).statusCode).toBe(200);
    const { entries } = (await send('GET', '/v1/audit/disclosures?purpose=data-protection-oversight')).json() as { entries: { action: string; citizenRef: string; role: string }[] };
    expect(entries.filter((e) => e.action.endsWith('.read')).map((e) => [e.action, e.citizenRef, e.role])).toEqual(expect.arrayContaining([
      ['register.consents.read', 'C1', 'dpo'], ['register.objections.read', 'C1', 'dpo'], ['register.restrictions.read', 'C1', 'dpo'],
    ]));
  });

  it('lists the records of references merged into the citizen, which count for its reads', async () => {
    hub.source.add(person('C7', 'GOLF', { uprn: 100000007 }));
    const restriction = await send('POST', '/v1/citizens/C8/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' });
    expect(restriction.statusCode).toBe(404);
    hub.source.add(person('C8', 'GOLF', { uprn: 100000008 }));
    const id = ((await send('POST', '/v1/citizens/C8/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' })).json() as { id: string }).id;
    hub.source.people.delete('C8');
    hub.source.merged.set('C8', 'C7');
    const listed = (await send('GET', '/v1/citizens/C7/restrictions')).json() as { citizenRef: string; restrictions: { id: string; citizenRef: string }[] };
    expect(listed).toEqual({ citizenRef: 'C7', restrictions: [expect.objectContaining({ id, citizenRef: 'C8' })] });
    // As the explanation, which the same restriction decides.
    const explained = (await send('GET', `/v1/citizens/C7/access-explanation?org=${org}&purpose=contact-centre-enquiry`)).json() as { explanations: { summary: string }[] };
    expect(explained.explanations[0]!.summary).toContain(id);
  });

  it("changes a merged reference's record through the citizen it was merged into", async () => {
    const [restriction] = ((await send('GET', '/v1/citizens/C7/restrictions')).json() as { restrictions: { id: string }[] }).restrictions;
    const lifted = await send('POST', `/v1/citizens/C7/restrictions/${restriction!.id}/lift`, {});
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ citizenRef: 'C8', liftedAt: '2026-06-15T10:00:00.000Z' });
    // Not through a citizen it was not merged into.
    expect((await send('PUT', `/v1/citizens/C1/restrictions/${restriction!.id}`, { reason: 'x' })).statusCode).toBe(404);
  });

  it('writes and audits nothing for a change that changes nothing, and keeps what a change leaves out to the microsecond', async () => {
    const audited = async () => (await hub.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'register.%'")).rows[0]!.n;
    const stored = async (table: string, id: string) =>
      (await hub.db.pool.query(`SELECT row_to_json(t)::text AS row FROM (SELECT * FROM ${table} WHERE id = $1) t`, [id])).rows[0].row as string;
    const id = ((await send('POST', '/v1/citizens/C1/consents', { ...consent, to: '2026-09-01T00:00:00.000700Z' })).json() as { id: string }).id;
    const objection = ((await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' })).json() as { id: string }).id;
    const restriction = ((await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' })).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-10T00:00:00.000500Z' })).statusCode).toBe(200);
    expect((await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    expect((await send('POST', `/v1/citizens/C1/restrictions/${restriction}/lift`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    const before = [await audited(), await stored('consent', id), await stored('objection', objection), await stored('restriction', restriction)];

    for (const [url, payload] of [
      [`/v1/citizens/C1/consents/${id}`, { evidence: 'CALL-1', channel: 'telephone' }],
      [`/v1/citizens/C1/consents/${id}`, { to: '2026-09-01T00:00:00.000700Z', withdrawnAt: '2026-06-10T00:00:00.000500Z' }],
      [`/v1/citizens/C1/consents/${id}`, {}],
      [`/v1/citizens/C1/restrictions/${restriction}`, { reason: 'accuracy contested', to: null }],
    ] as const) {
      const response = await send('PUT', url, payload);
      expect(response.statusCode).toBe(200);
    }
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-10T00:00:00.000500Z' })).json()).toMatchObject({ withdrawnAt: '2026-06-10T00:00:00.000Z' });
    expect((await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    expect((await send('POST', `/v1/citizens/C1/restrictions/${restriction}/lift`, { at: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    expect([await audited(), await stored('consent', id), await stored('objection', objection), await stored('restriction', restriction)]).toEqual(before);

    // A real change is written and audited; the times it does not name stay as stored, not cut to the millisecond.
    expect((await send('PUT', `/v1/citizens/C1/consents/${id}`, { evidence: 'CALL-2' })).json()).toMatchObject({ evidence: 'CALL-2' });
    expect(await audited()).toBe((before[0] as number) + 1);
    const row = JSON.parse(await stored('consent', id)) as { valid_to: string; withdrawn_at: string };
    expect([row.valid_to, row.withdrawn_at]).toEqual([expect.stringContaining('00:00:00.0007'), expect.stringContaining('00:00:00.0005')]);
  });

  it('never clears a recorded withdrawal or lift, nor moves it later, through PUT', async () => {
    const conflict = (response: { statusCode: number; json: () => unknown }, field: string) => {
      expect(response.statusCode).toBe(409);
      const body = response.json() as { code: string; detail: string };
      expect(body.code).toBe('conflict');
      expect(body.detail).toContain(field);
    };
    const id = ((await send('POST', '/v1/citizens/C1/consents', consent)).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/consents/${id}/withdraw`, { at: '2026-06-10T00:00:00.000500Z' })).statusCode).toBe(200);
    conflict(await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: null }), 'withdrawnAt');
    conflict(await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: null, evidence: 'CALL-3' }), 'withdrawnAt');
    // Later by less than a millisecond is later still.
    conflict(await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: '2026-06-10T00:00:00.000900Z' }), 'withdrawnAt');
    const consents = (await send('GET', '/v1/citizens/C1/consents')).json() as { consents: { id: string; evidence: string; withdrawnAt: string | null }[] };
    expect(consents.consents.find((c) => c.id === id)).toMatchObject({ evidence: 'CALL-1', withdrawnAt: '2026-06-10T00:00:00.000Z' });
    // Changing the rest, or the withdrawal to the same or an earlier time, is fine.
    expect((await send('PUT', `/v1/citizens/C1/consents/${id}`, { evidence: 'CALL-3' })).statusCode).toBe(200);
    expect((await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: '2026-06-09T00:00:00Z' })).json()).toMatchObject({ withdrawnAt: '2026-06-09T00:00:00.000Z' });
    expect((await send('PUT', `/v1/citizens/C1/consents/${id}`, { withdrawnAt: '2026-06-09T00:00:00Z' })).statusCode).toBe(200);

    const restriction = ((await send('POST', '/v1/citizens/C1/restrictions', { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' })).json() as { id: string }).id;
    expect((await send('PUT', `/v1/citizens/C1/restrictions/${restriction}`, { liftedAt: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);
    conflict(await send('PUT', `/v1/citizens/C1/restrictions/${restriction}`, { liftedAt: null }), 'liftedAt');
    conflict(await send('PUT', `/v1/citizens/C1/restrictions/${restriction}`, { liftedAt: '2026-06-11T00:00:00Z' }), 'liftedAt');
    const restrictions = (await send('GET', '/v1/citizens/C1/restrictions')).json() as { restrictions: { id: string; liftedAt: string | null }[] };
    expect(restrictions.restrictions.find((r) => r.id === restriction)).toMatchObject({ liftedAt: '2026-06-10T00:00:00.000Z' });
    expect((await send('PUT', `/v1/citizens/C1/restrictions/${restriction}`, { reason: 'accuracy still contested' })).statusCode).toBe(200);
    expect((await send('PUT', `/v1/citizens/C1/restrictions/${restriction}`, { liftedAt: '2026-06-10T00:00:00Z' })).statusCode).toBe(200);

    // An objection is withdrawn only through its route, which refuses a later time the same way.
    const objection = ((await send('POST', '/v1/citizens/C1/objections', { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' })).json() as { id: string }).id;
    expect((await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, { at: '2026-06-10T00:00:00.000500Z' })).statusCode).toBe(200);
    conflict(await send('POST', `/v1/citizens/C1/objections/${objection}/withdraw`, { at: '2026-06-10T00:00:00.000900Z' }), 'withdrawnAt');
  });
});
