/**
 * Every /v1 route × every role: the route list is the API's own OpenAPI
 * document, so a route added without a row here fails this test. Each
 * request is valid for its route, so that what answers is the gate: a
 * role the route does not admit gets 403, one it admits gets past it (any
 * answer but 401 and 403: 404 for a citizen or item that does not exist, 409,
 * or the data). Citizen reads are decided by the policy engine, not by role
 * (test/integration/citizens/authorisation.test.ts): every role gets past
 * their gate. Without a key, every route is 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../schemas/roles.js';
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
}

const AT = '2026-06-01T00:00:00Z';
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
  { method: 'GET', route: '/v1/addresses', roles: 'all', url: '/v1/addresses?q=mill' },
  { method: 'GET', route: '/v1/addresses/{uprn}', roles: 'all', url: '/v1/addresses/100001' },
  { method: 'GET', route: '/v1/streets/{usrn}', roles: 'all', url: '/v1/streets/7001' },
  { method: 'GET', route: '/v1/addresses/match', roles: 'all', url: '/v1/addresses/match?text=2+MILL+LANE' },
  { method: 'GET', route: '/v1/review/addresses', roles: STEWARDS, url: '/v1/review/addresses' },
  { method: 'POST', route: '/v1/review/addresses/{id}', roles: STEWARDS, url: '/v1/review/addresses/999999', payload: { noMatch: true } },
  { method: 'GET', route: '/v1/review/people', roles: STEWARDS, url: '/v1/review/people' },
  { method: 'POST', route: '/v1/review/people/{id}', roles: STEWARDS, url: '/v1/review/people/999999', payload: { decision: 'distinct', reason: 'checked' } },
  { method: 'POST', route: '/v1/citizens/{ref}/links', roles: STEWARDS, url: '/v1/citizens/C0000000999/links', payload: { system: 'housing', sourceRef: 'H1', reason: 'checked' } },
  { method: 'DELETE', route: '/v1/citizens/{ref}/links/{system}/{sourceRef}', roles: STEWARDS, url: '/v1/citizens/C0000000999/links/housing/H1' },
  { method: 'GET', route: '/v1/citizens', roles: 'all', url: '/v1/citizens?surname=NOBODY', headers: PURPOSE },
  { method: 'GET', route: '/v1/citizens/{ref}', roles: 'all', url: '/v1/citizens/NOBODY', headers: PURPOSE },
  { method: 'GET', route: '/v1/properties/{uprn}/occupants', roles: 'all', url: '/v1/properties/100001/occupants', headers: PURPOSE },
  { method: 'GET', route: '/v1/citizens/{ref}/access-explanation', roles: DPO, url: '/v1/citizens/NOBODY/access-explanation?org=1&purpose=safeguarding' },
  { method: 'GET', route: '/v1/citizens/{ref}/subject-access', roles: DPO, url: '/v1/citizens/NOBODY/subject-access' },
  { method: 'GET', route: '/v1/citizens/{ref}/consents', roles: DPO_ADMIN, url: '/v1/citizens/NOBODY/consents' },
  { method: 'GET', route: '/v1/citizens/{ref}/objections', roles: DPO_ADMIN, url: '/v1/citizens/NOBODY/objections' },
  { method: 'GET', route: '/v1/citizens/{ref}/restrictions', roles: DPO_ADMIN, url: '/v1/citizens/NOBODY/restrictions' },
  {
    method: 'POST', route: '/v1/citizens/{ref}/consents', roles: DPO, url: '/v1/citizens/NOBODY/consents',
    payload: { purpose: 'safeguarding', recipientOrgId: null, from: AT, to: null, channel: 'paper', evidence: 'form' },
  },
  { method: 'PUT', route: '/v1/citizens/{ref}/consents/{id}', roles: DPO, url: '/v1/citizens/NOBODY/consents/X1', payload: { channel: 'paper' } },
  { method: 'POST', route: '/v1/citizens/{ref}/consents/{id}/withdraw', roles: DPO, url: '/v1/citizens/NOBODY/consents/X1/withdraw', payload: { at: AT } },
  { method: 'POST', route: '/v1/citizens/{ref}/objections', roles: DPO, url: '/v1/citizens/NOBODY/objections', payload: { purpose: 'statistics-research', recipientOrgId: null, from: AT } },
  { method: 'POST', route: '/v1/citizens/{ref}/objections/{id}/withdraw', roles: DPO, url: '/v1/citizens/NOBODY/objections/X1/withdraw', payload: { at: AT } },
  { method: 'POST', route: '/v1/citizens/{ref}/restrictions', roles: DPO, url: '/v1/citizens/NOBODY/restrictions', payload: { from: AT, to: null, reason: 'contested' } },
  { method: 'PUT', route: '/v1/citizens/{ref}/restrictions/{id}', roles: DPO, url: '/v1/citizens/NOBODY/restrictions/X1', payload: { reason: 'contested' } },
  { method: 'POST', route: '/v1/citizens/{ref}/restrictions/{id}/lift', roles: DPO, url: '/v1/citizens/NOBODY/restrictions/X1/lift', payload: { at: AT } },
  { method: 'POST', route: '/v1/register/organisations', roles: DPO, url: '/v1/register/organisations', payload: { name: 'Matrix Police', kind: 'police' } },
  { method: 'GET', route: '/v1/register/organisations', roles: DPO_ADMIN, url: '/v1/register/organisations' },
  { method: 'POST', route: '/v1/register/agreements', roles: DPO, url: '/v1/register/agreements', payload: AGREEMENT },
  { method: 'GET', route: '/v1/register/agreements', roles: DPO_ADMIN, url: '/v1/register/agreements' },
  { method: 'GET', route: '/v1/register/agreements/{id}', roles: DPO_ADMIN, url: '/v1/register/agreements/ISA-NONE' },
  { method: 'GET', route: '/v1/register/agreements/{id}/versions', roles: DPO_ADMIN, url: '/v1/register/agreements/ISA-NONE/versions' },
  { method: 'PUT', route: '/v1/register/agreements/{id}', roles: DPO, url: '/v1/register/agreements/ISA-NONE', payload: { version: 1, title: 'renamed' } },
  { method: 'POST', route: '/v1/register/agreements/{id}/status', roles: DPO, url: '/v1/register/agreements/ISA-NONE/status', payload: { version: 1, status: 'suspended' } },
  { method: 'GET', route: '/v1/audit/verify', roles: DPO_ADMIN, url: '/v1/audit/verify?limit=10' },
  { method: 'GET', route: '/v1/audit/disclosures', roles: DPO, url: '/v1/audit/disclosures?limit=1' },
  { method: 'POST', route: '/v1/sources/{system}/records', roles: ['source-system'], url: '/v1/sources/revenues/records', payload: { records: [] } },
  { method: 'DELETE', route: '/v1/sources/{system}/records/{ref}', roles: ['source-system'], url: '/v1/sources/revenues/records/CT999999' },
  { method: 'GET', route: '/v1/intakes/{id}', roles: ['admin', 'steward', 'source-system'], url: '/v1/intakes/999999' },
  { method: 'GET', route: '/v1/sources/{system}/rejects', roles: ['admin', 'steward', 'source-system'], url: '/v1/sources/revenues/rejects' },
  // The client to subscribe is the adviser's, known once the keys are made (beforeAll).
  { method: 'POST', route: '/v1/subscriptions', roles: DPO, url: '/v1/subscriptions', payload: { clientId: 0, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' } },
  { method: 'GET', route: '/v1/subscriptions', roles: DPO_ADMIN, url: '/v1/subscriptions' },
  { method: 'GET', route: '/v1/subscriptions/{id}', roles: DPO_ADMIN, url: '/v1/subscriptions/999999' },
  { method: 'PATCH', route: '/v1/subscriptions/{id}', roles: DPO_ADMIN, url: '/v1/subscriptions/999999', payload: { active: false } },
  { method: 'DELETE', route: '/v1/subscriptions/{id}', roles: DPO_ADMIN, url: '/v1/subscriptions/999999' },
  { method: 'POST', route: '/v1/subscriptions/{id}/secret', roles: DPO_ADMIN, url: '/v1/subscriptions/999999/secret' },
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

  it('lists every route of the API document', async () => {
    const doc = (await hub.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(new Set(CASES.map((c) => `${c.method} ${c.route}`))).toEqual(new Set(documented));
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
});
