/**
 * The register's lists (organisations, sharing agreements, subscriptions)
 * page as the review queues do: `after` the last key seen, at most `limit`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createTestHub, type TestHub } from '../../support/app.js';

describe('paging the register lists', () => {
  let hub: TestHub;
  let dpo: string;
  let council: number;
  const auth = () => ({ authorization: `Bearer ${dpo}` });
  const get = (url: string) => hub.app.inject({ url, headers: auth() });
  const post = async (url: string, payload: object) => {
    const response = await hub.app.inject({ method: 'POST', url, headers: auth(), payload });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: number | string };
  };
  const agreement = (id: string) => ({
    id, title: 'Paging', parties: { provider: { orgId: council }, recipients: [council] }, roles: null, purposes: ['contact-centre-enquiry'],
    categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'LGA 1972 s.111', dpiaReference: null,
    startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'draft',
  });

  /** Every page of `url` (which has a query) at `limit` a page, going on after the last key of each, until a short page. */
  const pages = async <T>(url: string, limit: number, read: (body: unknown) => T[], keyOf: (item: T) => string | number) => {
    const all: T[][] = [];
    for (let after: string | number | null = null; ;) {
      const response = await get(`${url}&limit=${limit}${after === null ? '' : `&after=${encodeURIComponent(after)}`}`);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { next?: string | number };
      const page = read(body);
      expect(page.length).toBeLessThanOrEqual(limit);
      all.push(page);
      // `next` while a page is full, naming its last key; none on the short page that ends the list.
      if (page.length < limit) {
        expect(body.next).toBeUndefined();
        return all;
      }
      after = keyOf(page.at(-1)!);
      expect(body.next).toBe(after);
    }
  };
  const refused = async (url: string, path: string) => {
    const response = await get(url);
    expect(response.statusCode, url).toBe(400);
    expect(response.json(), url).toMatchObject({ code: 'validation-failed', errors: expect.arrayContaining([expect.objectContaining({ path })]) });
  };

  beforeAll(async () => {
    hub = await createTestHub();
    dpo = await hub.keyFor('dpo', 'Pageby Council Information Governance');
    council = Number((await hub.db.pool.query<{ id: string }>("SELECT id FROM organisation WHERE name = 'Pageby Council Information Governance'")).rows[0]!.id);
  });
  afterAll(async () => hub?.close());

  it('pages through the organisations in id order, each once', async () => {
    for (let i = 1; i <= 7; i++) await post('/v1/register/organisations', { name: `Pageby Partner ${i}`, kind: 'police' });
    const held = (await hub.db.pool.query<{ id: string }>('SELECT id FROM organisation ORDER BY id')).rows.map((r) => Number(r.id));
    expect(held.length).toBeGreaterThan(6);
    const got = await pages('/v1/register/organisations?', 3, (b) => (b as { organisations: { id: number }[] }).organisations, (o) => o.id);
    expect(got.length).toBe(Math.floor(held.length / 3) + 1);
    expect(got.flat().map((o) => o.id)).toEqual(held);
    // Without a limit: a page of up to 50, here every one.
    expect(((await get('/v1/register/organisations')).json() as { organisations: { id: number }[] }).organisations.map((o) => o.id)).toEqual(held);
  });

  it('pages through the current agreements in id order, each once, with the filters', async () => {
    const ids = ['ISA-P-05', 'ISA-P-01', 'ISA-P-07', 'ISA-P-03', 'ISA-P-02', 'ISA-P-06', 'ISA-P-04'];
    for (const id of ids) await post('/v1/register/agreements', agreement(id));
    // A second version is the same agreement: listed once, as its current version.
    const changed = await hub.app.inject({ method: 'PUT', url: '/v1/register/agreements/ISA-P-03', headers: auth(), payload: { version: 1, title: 'Paging again' } });
    expect(changed.statusCode).toBe(200);
    const read = (b: unknown) => (b as { agreements: { id: string; version: number }[] }).agreements;
    const got = await pages(`/v1/register/agreements?org=${council}`, 2, read, (a) => a.id);
    expect(got.flat().map((a) => a.id)).toEqual([...ids].sort());
    expect(got.flat().find((a) => a.id === 'ISA-P-03')).toMatchObject({ version: 2 });
    expect(got.map((page) => page.length)).toEqual([2, 2, 2, 1]);

    const active = await hub.app.inject({ method: 'POST', url: '/v1/register/agreements/ISA-P-06/status', headers: auth(), payload: { version: 1, status: 'active' } });
    expect(active.statusCode).toBe(200);
    expect(read((await get('/v1/register/agreements?status=draft&after=ISA-P-04&limit=2')).json()).map((a) => a.id)).toEqual(['ISA-P-05', 'ISA-P-07']);
    expect(read((await get('/v1/register/agreements?status=active&after=ISA-P-06')).json())).toEqual([]);
  });

  it('pages through the subscriptions in id order, each once, with the filters', async () => {
    const client = (await createClient(hub.db.pool, { org: 'Pageby Council Contact Centre', role: 'adviser' })).client;
    const made: number[] = [];
    for (let i = 1; i <= 7; i++) {
      made.push(Number((await post('/v1/subscriptions', { clientId: client.id, purpose: 'contact-centre-enquiry', url: `https://receiver.example.org/hook/${i}` })).id));
    }
    const read = (b: unknown) => (b as { subscriptions: { id: number }[] }).subscriptions;
    const got = await pages('/v1/subscriptions?', 3, read, (s) => s.id);
    expect(got.flat().map((s) => s.id)).toEqual(made);
    expect(got.map((page) => page.length)).toEqual([3, 3, 1]);

    const paused = await hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${made[1]}`, headers: auth(), payload: { active: false } });
    expect(paused.statusCode).toBe(200);
    expect(read((await get(`/v1/subscriptions?active=true&org=${client.orgId}&after=${made[0]}&limit=2`)).json()).map((s) => s.id)).toEqual([made[2], made[3]]);
  });

  it('refuses a limit out of range, a position that is none and a parameter it does not take, with the schema\'s 400', async () => {
    for (const list of ['/v1/register/organisations', '/v1/register/agreements', '/v1/subscriptions']) {
      for (const limit of ['0', '501', '99999999999999999999', '1.5', 'all', '1&limit=2']) await refused(`${list}?limit=${limit}`, 'querystring.limit');
    }
    for (const list of ['/v1/register/organisations', '/v1/subscriptions']) {
      for (const after of ['-1', 'abc', '1.5', '0x10', '99999999999999999999', '1&after=2']) await refused(`${list}?after=${after}`, 'querystring.after');
    }
    for (const after of ['-ISA', 'ISA P', 'ISA-P-01&after=ISA-P-02', 'x'.repeat(65)]) await refused(`/v1/register/agreements?after=${after}`, 'querystring.after');
    // A misspelt parameter ignored would give the first page again: a loop paging on it would never end.
    for (const list of ['/v1/register/organisations', '/v1/register/agreements', '/v1/subscriptions']) await refused(`${list}?afer=3`, 'querystring.afer');
    expect(hub.logLines.join('\n')).not.toMatch(/"level":50/);
  });
});
