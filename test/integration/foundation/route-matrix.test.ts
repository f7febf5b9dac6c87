/**
 * Every /v1 route × every role: the route list is the API's own OpenAPI
 * document, so a route added without a row here fails this test. Each
 * request is valid for its route, so that what answers is the gate: a
 * role the route does not admit gets 403, one it admits gets past it (any
 * answer but 401 and 403: 404 for a citizen or item that does not exist, 409,
 * or the data). Citizen reads are decided by the policy engine, not by role
 * (test/integration/citizens/authorisation.test.ts): every role gets past
 * their gate. Without a key, every route is 401.
 * The gate comes before validation: the same request made invalid is 403
 * for a role not admitted (nothing about the route's schema is told to
 * it) and 400 for one admitted. A key of a council role (admin, dpo,
 * steward) whose organisation is a partner is 403 on every route its role
 * admits, valid request or not, but a partner's DPO on the routes that
 * confine it to its own organisation (`partner`).
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNCIL_ROLES, ROLES, type Role } from '../../../schemas/roles.js';
import authPlugin from '../../../src/server/plugins/auth.js';
import rateLimitPlugin from '../../../src/server/plugins/rate-limit.js';
import { createTestHub, type TestHub } from '../../support/app.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RouteCase {
  /** As the OpenAPI document writes it, e.g. /v1/citizens/{ref}. */
  route: string;
  method: Method;
  /** The roles the route admits; 'all' for every authenticated client. */
  roles: readonly Role[] | 'all';
  url: string;
  payload?: unknown;
  /** Headers a valid request needs besides the key (a purpose). */
  headers?: Record<string, string>;
  /** The request made invalid for the route's schema (path parameter, query or body); required when the route has any of them. */
  invalid?: { url?: string; payload?: unknown };
  /** The council roles admitted for a partner organisation too, confined to it (config.partnerOversight). */
  partner?: readonly Role[];
}

const AT = '2026-06-01T00:00:00Z';
/** Longer than any citizen reference a route takes. */
const LONG_REF = 'C'.repeat(65);
const PURPOSE = { 'x-purpose': 'contact-centre-enquiry' };
const DPO: Role[] = ['dpo'];
const DPO_ADMIN: Role[] = ['dpo', 'admin'];
const STEWARDS: Role[] = ['steward', 'admin'];
const AGREEMENT = {
  id: 'ISA-MATRIX', title: 'Matrix', parties: { provider: { orgId: 1 }, recipients: [1] }, roles: null, purposes: ['contact-centre-enquiry'],
  categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'LGA 1972 s.111', dpiaReference: null,
  startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'draft',
};

const CASES: RouteCase[] = [
  { method: 'GET', route: '/v1/me', roles: 'all', url: '/v1/me' },
  { method: 'GET', route: '/v1/addresses', roles: 'all', url: '/v1/addresses?q=mill', invalid: { url: '/v1/addresses?q=mill&limit=0' } },
  { method: 'GET', route: '/v1/addresses/{uprn}', roles: 'all', url: '/v1/addresses/100001', invalid: { url: '/v1/addresses/0x10' } },
  { method: 'GET', route: '/v1/streets/{usrn}', roles: 'all', url: '/v1/streets/7001', invalid: { url: '/v1/streets/7001?limit=0' } },
  { method: 'GET', route: '/v1/addresses/match', roles: 'all', url: '/v1/addresses/match?text=2+MILL+LANE', invalid: { url: '/v1/addresses/match?postcode=AB1' } },
  { method: 'GET', route: '/v1/review/addresses', roles: STEWARDS, url: '/v1/review/addresses', invalid: { url: '/v1/review/addresses?limit=0' } },
  { method: 'POST', route: '/v1/review/addresses/{id}', roles: STEWARDS, url: '/v1/review/addresses/999999', payload: { noMatch: true }, invalid: { payload: { noMatch: false } } },
  { method: 'PUT', route: '/v1/review/addresses/{id}', roles: STEWARDS, url: '/v1/review/addresses/999999', payload: { noMatch: true }, invalid: { payload: { uprn: 100001, confirm: 'yes' } } },
  { method: 'GET', route: '/v1/review/people', roles: STEWARDS, url: '/v1/review/people', invalid: { url: '/v1/review/people?after=-1' } },
  { method: 'GET', route: '/v1/review/closed-accounts', roles: [...STEWARDS, 'dpo'], url: '/v1/review/closed-accounts', invalid: { url: '/v1/review/closed-accounts?after=X1' } },
  {
    method: 'POST', route: '/v1/review/people/{id}', roles: STEWARDS, url: '/v1/review/people/999999', payload: { decision: 'distinct', reason: 'checked' },
    invalid: { payload: { decision: 'maybe' } },
  },
  {
    method: 'POST', route: '/v1/citizens/{ref}/links', roles: STEWARDS, url: '/v1/citizens/C0000000999/links', payload: { system: 'housing', sourceRef: 'H1', reason: 'checked' },
    invalid: { url: '/v1/citizens/NOT-A-REF/links' },
  },
  {
    method: 'DELETE', route: '/v1/citizens/{ref}/links/{system}/{sourceRef}', roles: STEWARDS, url: '/v1/citizens/C0000000999/links/housing/H1',
    invalid: { url: '/v1/citizens/C0000000999/links/HOUSING/H1' },
  },
  { method: 'GET', route: '/v1/citizens', roles: 'all', url: '/v1/citizens?surname=NOBODY', headers: PURPOSE, invalid: { url: '/v1/citizens?surname=NOBODY&dob=1990-1-5' } },
  { method: 'GET', route: '/v1/citizens/{ref}', roles: 'all', url: '/v1/citizens/NOBODY', headers: PURPOSE, invalid: { url: `/v1/citizens/${LONG_REF}` } },
  { method: 'GET', route: '/v1/properties/{uprn}/occupants', roles: 'all', url: '/v1/properties/100001/occupants', headers: PURPOSE, invalid: { url: '/v1/properties/1e3/occupants' } },
  {
    method: 'GET', route: '/v1/citizens/{ref}/access-explanation', roles: DPO, url: '/v1/citizens/NOBODY/access-explanation?org=1&purpose=safeguarding',
    invalid: { url: '/v1/citizens/NOBODY/access-explanation?org=1&purpose=safeguarding&role=mayor' },
  },
  { method: 'GET', route: '/v1/citizens/{ref}/subject-access', roles: DPO, url: '/v1/citizens/NOBODY/subject-access', invalid: { url: `/v1/citizens/${LONG_REF}/subject-access` } },
  { method: 'GET', route: '/v1/citizens/{ref}/consents', roles: DPO_ADMIN, url: '/v1/citizens/NOBODY/consents', invalid: { url: `/v1/citizens/${LONG_REF}/consents` } },
  { method: 'GET', route: '/v1/citizens/{ref}/objections', roles: DPO_ADMIN, url: '/v1/citizens/NOBODY/objections', invalid: { url: `/v1/citizens/${LONG_REF}/objections` } },
  { method: 'GET', route: '/v1/citizens/{ref}/restrictions', roles: DPO_ADMIN, url: '/v1/citizens/NOBODY/restrictions', invalid: { url: `/v1/citizens/${LONG_REF}/restrictions` } },
  {
    method: 'POST', route: '/v1/citizens/{ref}/consents', roles: DPO, url: '/v1/citizens/NOBODY/consents',
    payload: { purpose: 'safeguarding', recipientOrgId: null, from: AT, to: null, channel: 'paper', evidence: 'form' },
    invalid: { payload: { purpose: 'safeguarding', recipientOrgId: null, from: AT, to: null, channel: 'pigeon', evidence: 'form' } },
  },
  { method: 'PUT', route: '/v1/citizens/{ref}/consents/{id}', roles: DPO, url: '/v1/citizens/NOBODY/consents/X1', payload: { channel: 'paper' }, invalid: { payload: { channel: 'pigeon' } } },
  { method: 'POST', route: '/v1/citizens/{ref}/consents/{id}/withdraw', roles: DPO, url: '/v1/citizens/NOBODY/consents/X1/withdraw', payload: { at: AT }, invalid: { payload: { at: 'yesterday' } } },
  {
    method: 'POST', route: '/v1/citizens/{ref}/objections', roles: DPO, url: '/v1/citizens/NOBODY/objections', payload: { purpose: 'statistics-research', recipientOrgId: null, from: AT },
    invalid: { payload: { purpose: 'statistics-research', recipientOrgId: null } },
  },
  { method: 'POST', route: '/v1/citizens/{ref}/objections/{id}/withdraw', roles: DPO, url: '/v1/citizens/NOBODY/objections/X1/withdraw', payload: { at: AT }, invalid: { payload: { at: 'yesterday' } } },
  {
    method: 'POST', route: '/v1/citizens/{ref}/restrictions', roles: DPO, url: '/v1/citizens/NOBODY/restrictions', payload: { from: AT, to: null, reason: 'contested' },
    invalid: { payload: { from: AT, to: null, reason: '' } },
  },
  { method: 'PUT', route: '/v1/citizens/{ref}/restrictions/{id}', roles: DPO, url: '/v1/citizens/NOBODY/restrictions/X1', payload: { reason: 'contested' }, invalid: { payload: { reason: '' } } },
  { method: 'POST', route: '/v1/citizens/{ref}/restrictions/{id}/lift', roles: DPO, url: '/v1/citizens/NOBODY/restrictions/X1/lift', payload: { at: AT }, invalid: { payload: { at: 'yesterday' } } },
  {
    method: 'POST', route: '/v1/register/organisations', roles: DPO, url: '/v1/register/organisations', payload: { name: 'Matrix Police', kind: 'police' },
    invalid: { payload: { name: 'Matrix Police', kind: 'gang' } },
  },
  { method: 'GET', route: '/v1/register/organisations', roles: DPO_ADMIN, url: '/v1/register/organisations?limit=10', invalid: { url: '/v1/register/organisations?after=-1' } },
  { method: 'GET', route: '/v1/register/systems', roles: DPO_ADMIN, url: '/v1/register/systems' },
  { method: 'POST', route: '/v1/register/agreements', roles: DPO, url: '/v1/register/agreements', payload: AGREEMENT, invalid: { payload: { ...AGREEMENT, categories: [] } } },
  { method: 'GET', route: '/v1/register/agreements', roles: DPO_ADMIN, url: '/v1/register/agreements?after=ISA-A&limit=10', invalid: { url: '/v1/register/agreements?after=-ISA' } },
  { method: 'GET', route: '/v1/register/agreements/{id}', roles: DPO_ADMIN, url: '/v1/register/agreements/ISA-NONE', invalid: { url: '/v1/register/agreements/ISA-NONE?version=0' } },
  { method: 'GET', route: '/v1/register/agreements/{id}/versions', roles: DPO_ADMIN, url: '/v1/register/agreements/ISA-NONE/versions', invalid: { url: '/v1/register/agreements/-ISA/versions' } },
  { method: 'PUT', route: '/v1/register/agreements/{id}', roles: DPO, url: '/v1/register/agreements/ISA-NONE', payload: { version: 1, title: 'renamed' }, invalid: { payload: { title: 'renamed' } } },
  {
    method: 'POST', route: '/v1/register/agreements/{id}/status', roles: DPO, url: '/v1/register/agreements/ISA-NONE/status', payload: { version: 1, status: 'suspended' },
    invalid: { payload: { version: 1, status: 'forgotten' } },
  },
  { method: 'GET', route: '/v1/audit/verify', roles: DPO_ADMIN, url: '/v1/audit/verify?limit=10', invalid: { url: '/v1/audit/verify?chainHash=xyz' } },
  { method: 'GET', route: '/v1/audit/disclosures', roles: DPO, partner: DPO, url: '/v1/audit/disclosures?limit=1', invalid: { url: '/v1/audit/disclosures?action=Citizen+Read' } },
  {
    method: 'POST', route: '/v1/audit/reviews', roles: DPO, url: '/v1/audit/reviews', payload: { seqs: [999999], outcome: 'justified', note: 'checked' },
    invalid: { payload: { seqs: [], outcome: 'justified', note: 'checked' } },
  },
  {
    method: 'POST', route: '/v1/sources/{system}/records', roles: ['source-system'], url: '/v1/sources/revenues/records', payload: { records: [] },
    invalid: { payload: ['not a record'] },
  },
  {
    method: 'DELETE', route: '/v1/sources/{system}/records/{ref}', roles: ['source-system'], url: '/v1/sources/revenues/records/CT999999',
    invalid: { url: '/v1/sources/revenues/records/CT999999?party=0' },
  },
  { method: 'GET', route: '/v1/intakes/{id}', roles: ['admin', 'steward', 'source-system'], url: '/v1/intakes/999999', invalid: { url: '/v1/intakes/0' } },
  {
    method: 'GET', route: '/v1/sources/{system}/rejects', roles: ['admin', 'steward', 'source-system'], url: '/v1/sources/revenues/rejects',
    invalid: { url: '/v1/sources/revenues/rejects?intake=first' },
  },
  // The client to subscribe is the adviser's, known once the keys are made (beforeAll).
  {
    method: 'POST', route: '/v1/subscriptions', roles: DPO, url: '/v1/subscriptions', payload: { clientId: 0, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' },
    invalid: { payload: { clientId: 1, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook', secret: 'mine' } },
  },
  { method: 'GET', route: '/v1/subscriptions', roles: DPO_ADMIN, url: '/v1/subscriptions?after=1&limit=10', invalid: { url: '/v1/subscriptions?limit=501' } },
  { method: 'GET', route: '/v1/subscriptions/{id}', roles: DPO_ADMIN, url: '/v1/subscriptions/999999', invalid: { url: '/v1/subscriptions/abc' } },
  { method: 'PATCH', route: '/v1/subscriptions/{id}', roles: DPO_ADMIN, url: '/v1/subscriptions/999999', payload: { active: false }, invalid: { payload: { colour: 'red' } } },
  { method: 'DELETE', route: '/v1/subscriptions/{id}', roles: DPO_ADMIN, url: '/v1/subscriptions/999999', invalid: { url: '/v1/subscriptions/0' } },
  { method: 'POST', route: '/v1/subscriptions/{id}/secret', roles: DPO_ADMIN, url: '/v1/subscriptions/999999/secret', invalid: { url: '/v1/subscriptions/-1/secret' } },
];

describe('every /v1 route × every role', () => {
  let hub: TestHub;
  const keys = new Map<Role, string>();
  beforeAll(async () => {
    hub = await createTestHub();
    // A source-system client may push to (and withdraw from) revenues only: the route's system check passes, so the role gate decides.
    for (const role of ROLES) keys.set(role, await hub.keyFor(role, 'Matrix Council', role === 'source-system' ? ['revenues'] : []));
    const adviser = (await hub.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${keys.get('adviser')}` } })).json() as { clientId: number };
    (CASES.find((c) => c.route === '/v1/subscriptions' && c.method === 'POST')!.payload as { clientId: number }).clientId = adviser.clientId;
  });
  afterAll(async () => hub?.close());

  const send = (c: RouteCase, key: string | null) => hub.app.inject({
    method: c.method, url: c.url,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...c.headers },
    ...(c.payload !== undefined ? { payload: c.payload as object } : {}),
  });

  interface Operation { parameters?: { in: string }[]; requestBody?: unknown }
  const operations = async () => {
    const doc = (await hub.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, Operation>> };
    return Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ name: `${m.toUpperCase()} ${path}`, op })));
  };

  it('lists every route of the API document', async () => {
    expect(new Set(CASES.map((c) => `${c.method} ${c.route}`))).toEqual(new Set((await operations()).map((o) => o.name)));
  });

  it('has an invalid request for every route that validates a path parameter, query or body', async () => {
    const validating = (await operations())
      .filter(({ op }) => op.requestBody !== undefined || (op.parameters ?? []).some((p) => p.in === 'path' || p.in === 'query'))
      .map((o) => o.name);
    expect(new Set(CASES.filter((c) => c.invalid).map((c) => `${c.method} ${c.route}`))).toEqual(new Set(validating));
  });

  it.each(CASES.map((c) => [`${c.method} ${c.route}`, c] as const))('%s', async (_name, c) => {
    expect((await send(c, null)).statusCode, 'without a key').toBe(401);
    for (const role of ROLES) {
      const response = await send(c, keys.get(role)!);
      const admitted = c.roles === 'all' || c.roles.includes(role);
      if (admitted) expect([401, 403, 400], `${role}: ${response.body}`).not.toContain(response.statusCode);
      else expect(response.statusCode, `${role}: ${response.body}`).toBe(403);
    }
  });

  const invalidCases = CASES.filter((c) => c.invalid).map((c) => [`${c.method} ${c.route}`, { ...c, ...c.invalid }] as const);
  it.each(invalidCases)('%s, invalid: 403 before 400', async (_name, c) => {
    expect((await send(c, null)).statusCode, 'without a key').toBe(401);
    for (const role of ROLES) {
      const response = await send(c, keys.get(role)!);
      const admitted = c.roles === 'all' || c.roles.includes(role);
      expect(response.json(), `${role}: ${response.body}`).toMatchObject(admitted ? { status: 400, code: 'validation-failed' } : { status: 403, code: 'forbidden' });
    }
  });

  it('refuses to start with a /v1 route that admits partner organisations for a role that may not be theirs', async () => {
    const app = Fastify();
    await app.register(rateLimitPlugin, { rateLimitPerMinute: 100 });
    await app.register(authPlugin, { pool: hub.db.appPool });
    await expect(app.register(async (r) => {
      r.get('/v1/open', { config: { roles: ['adviser'], partnerOversight: true } }, async () => 'open');
    })).rejects.toThrow('GET /v1/open: config.partnerOversight needs config.roles to name one of dpo');
    await app.close();
  });

  it('refuses to start with a /v1 route that does not say which roles it admits', async () => {
    const app = Fastify();
    await app.register(rateLimitPlugin, { rateLimitPerMinute: 100 });
    await app.register(authPlugin, { pool: hub.db.appPool });
    await expect(app.register(async (routes) => {
      routes.get('/v1/open', async () => 'open');
    })).rejects.toThrow("GET /v1/open: a /v1 route needs config.roles, the roles it admits ('any' for every authenticated client)");
    await app.close();
  });

  it.each(CASES.filter((c) => c.roles !== 'all' && c.roles.some((r) => COUNCIL_ROLES.includes(r))).map((c) => [`${c.method} ${c.route}`, c] as const))(
    '%s: a council role of a partner organisation is refused, before validation, unless the route confines it to its organisation',
    async (_name, c) => {
      // Keys made while the organisation was a council's, and the organisation registered as a partner since (or keys made before the rule).
      const partnerKeys = await Promise.all(COUNCIL_ROLES.map(async (role) => [role, await hub.keyFor(role, `Matrix Partner ${c.method} ${c.route}`)] as const));
      await hub.db.pool.query("UPDATE organisation SET kind = 'police' WHERE name = $1", [`Matrix Partner ${c.method} ${c.route}`]);
      for (const [role, key] of partnerKeys) {
        if (c.roles === 'all' || !c.roles.includes(role)) continue;
        if (c.partner?.includes(role)) {
          const response = await send(c, key);
          expect([401, 403, 400], `${role}: ${response.body}`).not.toContain(response.statusCode);
          expect((await send({ ...c, ...c.invalid }, key)).json(), role).toMatchObject({ status: 400, code: 'validation-failed' });
          continue;
        }
        for (const request of [c, { ...c, ...c.invalid }]) {
          const response = await send(request, key);
          expect(response.json(), `${role}: ${response.body}`).toMatchObject({ status: 403, code: 'council-organisation-required' });
        }
      }
    },
  );

  const denialOf = async (response: { headers: Record<string, unknown> }) =>
    (await hub.db.pool.query('SELECT action, citizen_ref, decision FROM audit_log WHERE request_id = $1', [response.headers['x-request-id']])).rows;
  const adviser = () => ({ authorization: `Bearer ${keys.get('adviser')}` });

  it('records a refusal about a citizen before the path parameter is validated, under the reference as sent', async () => {
    const response = await hub.app.inject({ method: 'POST', url: '/v1/citizens/not-a-ref/links', headers: adviser(), payload: { system: 'housing' } });
    expect(response.statusCode).toBe(403);
    expect(await denialOf(response)).toEqual([{ action: 'linkage.link', citizen_ref: 'not-a-ref', decision: 'deny' }]);
  });

  it('records a refusal about a reference holding NUL, which no text column takes, with U+FFFD in its place', async () => {
    const response = await hub.app.inject({ url: '/v1/citizens/C%001/subject-access', headers: adviser() });
    expect(response.json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await denialOf(response)).toEqual([{ action: 'citizen.subject-access', citizen_ref: 'C\uFFFD1', decision: 'deny' }]);
  });
});
