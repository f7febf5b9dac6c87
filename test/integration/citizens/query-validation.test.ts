/**
 * Malformed path and query parameters of the citizen routes (under
 * /v1/citizens and /v1/properties) are 400 with the problem body naming
 * where, never 500; and such a refusal discloses nothing: not who exists,
 * not what a search would have found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { oneAccount, sourceRecord, store } from '../linkage/people.js';

describe('citizen routes refuse malformed parameters', () => {
  let hub: TestHub;
  let adviser: string;
  let dpo: string;
  let orgId: number;
  let ref: string;
  const UPRN = 400001;

  const read = (url: string, key = adviser, headers: Record<string, string> = {}) =>
    hub.app.inject({ url, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry', ...headers } });
  const auditedFor = async (response: { headers: Record<string, unknown> }) =>
    Number((await hub.db.pool.query('SELECT count(*) FROM audit_log WHERE request_id = $1', [response.headers['x-request-id']])).rows[0].count);
  /** A 400 validation-failed problem naming `path`, with nothing of the citizen in it, and nothing recorded as read. */
  const refused = async (url: string, path: string, key = adviser, headers: Record<string, string> = {}) => {
    const response = await read(url, key, headers);
    expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
    const body = response.json() as Record<string, unknown>;
    expect(Object.keys(body).sort(), url).toEqual(['code', 'detail', 'errors', 'instance', 'requestId', 'status', 'title', 'type']);
    expect(body, url).toMatchObject({ code: 'validation-failed', errors: expect.arrayContaining([expect.objectContaining({ path })]) });
    // The path as sent is the caller's own (instance); nothing else names or places the citizen.
    const { instance: _path, ...rest } = body;
    for (const told of [ref, 'TESTA', 'EXAMPLE', 'ZZ9 4AA', String(UPRN)]) expect(JSON.stringify(rest), url).not.toContain(told);
    expect(await auditedFor(response), url).toBe(0);
    return response;
  };

  beforeAll(async () => {
    hub = await createTestHub();
    const record = sourceRecord({
      system: 'housing', ref: 'HV1', forenames: ['TESTA'], surname: 'EXAMPLE', dob: '1970-01-01', lines: ['1 TEST ROW', 'NORTHBY'], postcode: 'ZZ9 4AA',
      uprn: UPRN, phone: '07700900001', email: 'testa@example.org',
    });
    await store(hub.db.pool, [record]);
    ref = await oneAccount(hub.db.pool, [record]);
    const council = await createClient(hub.db.pool, { org: 'Validby Council Contact Centre', role: 'adviser' });
    adviser = council.key;
    orgId = council.client.orgId;
    dpo = await hub.keyFor('dpo', 'Validby Council Information Governance');
    const isa = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id: 'ISA-VALID', title: 'Contact centre', parties: { provider: { orgId }, recipients: [orgId] }, roles: null, purposes: ['contact-centre-enquiry'],
        categories: ['identity', 'contact', 'address'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111',
        dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(isa.statusCode, isa.body).toBe(201);
  });
  afterAll(async () => hub?.close());

  it('finds the citizen with well-formed criteria (what the refusals below would otherwise have answered)', async () => {
    for (const query of ['surname=EXAMPLE', 'forename=T', 'surname=EXAMPLE&dob=1970-01-01', `uprn=${UPRN}`]) {
      const found = await read(`/v1/citizens?${query}`);
      expect(found.json(), query).toMatchObject({ count: 1, citizens: [{ ref }] });
    }
    expect((await read(`/v1/properties/${UPRN}/occupants`)).json()).toMatchObject({ count: 1, citizens: [{ ref }] });
  });

  it('refuses a parameter the search does not take, naming it when it reads as a name: a misspelt criterion ignored would widen the search', async () => {
    const misspelt = await refused('/v1/citizens?surname=EXAMPLE&postcod=ZZ1+1ZZ', 'querystring.postcod');
    expect(misspelt.json()).toMatchObject({ errors: [{ path: 'querystring.postcod', message: 'is not a property this object takes' }] });
    await refused('/v1/citizens?surname=EXAMPLE&dateOfBirth=1999-01-01', 'querystring.dateOfBirth');
    // Alone, an unknown parameter was no criterion, yet passed for one.
    await refused('/v1/citizens?colour=red', 'querystring.colour');
    await refused('/v1/citizens?surname=EXAMPLE&__proto__=x', 'querystring');
    for (const name of ['constructor', 'hasOwnProperty']) await refused(`/v1/citizens?surname=EXAMPLE&${name}=x`, `querystring.${name}`);
    // Bracketed array syntax is no parameter of the route, and its name is not repeated.
    const bracketed = await refused('/v1/citizens?surname[]=EXAMPLE', 'querystring');
    expect(bracketed.body).not.toContain('surname[]');
  });

  it('refuses a search criterion of blanks only, which is no criterion (a blank forename was the prefix of everyone\'s)', async () => {
    for (const [name, blank] of [['forename', '+'], ['surname', '++'], ['postcode', '++'], ['phone', '+++++'], ['email', '+++'], ['nhsNumber', '+'.repeat(10)],
      ['nino', '+'.repeat(8)], ['cardNumber', '%09%09%09%09']] as const) {
      await refused(`/v1/citizens?${name}=${blank}`, `querystring.${name}`);
      await refused(`/v1/citizens?surname=EXAMPLE&${name === 'surname' ? 'forename' : name}=${blank}`, `querystring.${name === 'surname' ? 'forename' : name}`);
    }
  });

  it('refuses a parameter given twice, a value too long, and a date of birth or UPRN that is none', async () => {
    await refused('/v1/citizens?surname=EXAMPLE&surname=OTHER', 'querystring.surname');
    await refused('/v1/citizens?dob=1970-01-01&dob=1970-01-02', 'querystring.dob');
    await refused(`/v1/citizens?uprn=${UPRN}&uprn=${UPRN}`, 'querystring.uprn');
    await refused('/v1/citizens?surname=EXAMPLE&limit=1&limit=2', 'querystring.limit');
    await refused(`/v1/citizens?surname=${'E'.repeat(101)}`, 'querystring.surname');
    await refused(`/v1/citizens?email=${'e'.repeat(250)}%40example.org`, 'querystring.email');
    for (const dob of ['1970-1-1', '19700101', '1970-02-30', '1970-13-01', 'yesterday']) await refused(`/v1/citizens?dob=${dob}`, 'querystring.dob');
    for (const uprn of ['0', '1e5', '0x10', '-1', '1234567890123']) await refused(`/v1/citizens?uprn=${uprn}`, 'querystring.uprn');
    for (const [offset, limit] of [['-1', '1'], ['101', '1'], ['0', '0'], ['0', '51'], ['1.5', '1'], ['0', '99999999999999999999']]) {
      await refused(`/v1/citizens?surname=EXAMPLE&offset=${offset}&limit=${limit}`, Number(offset) === 0 ? 'querystring.limit' : 'querystring.offset');
    }
    await refused(`/v1/citizens/${ref}`, 'headers.x-break-glass-reason', adviser, { 'x-break-glass-reason': 'r'.repeat(501) });
  });

  it('refuses a malformed reference, UPRN or query alike whether the citizen exists or not', async () => {
    const missing = `C${'0'.repeat(9)}0`;
    for (const who of [ref, missing]) {
      await refused(`/v1/citizens/${who}/access-explanation?org=${orgId}&purpose=safeguarding&role=mayor`, 'querystring.role', dpo);
      await refused(`/v1/citizens/${who}/access-explanation?org=${orgId}&org=${orgId}&purpose=safeguarding`, 'querystring.org', dpo);
      await refused(`/v1/citizens/${who}/access-explanation?org=0x1&purpose=safeguarding`, 'querystring.org', dpo);
    }
    for (const long of [`${ref}${'0'.repeat(64)}`, 'C'.repeat(65)]) {
      await refused(`/v1/citizens/${long}`, 'params.ref');
      await refused(`/v1/citizens/${long}/subject-access`, 'params.ref', dpo);
      await refused(`/v1/citizens/${long}/consents`, 'params.ref', dpo);
    }
    for (const uprn of ['0', '1e5', `${UPRN}.0`, '%20400001', '1234567890123']) await refused(`/v1/properties/${uprn}/occupants`, 'params.uprn');
    for (const query of ['offset=-1', 'limit=0', 'limit=101', 'limit=1&limit=2', 'offset=1e2']) {
      await refused(`/v1/properties/${UPRN}/occupants?${query}`, `querystring.${query.split('=')[0]}`);
    }
  });

  it('names the reference whose check digit does not match in a steward\'s link or unlink, before looking for anyone', async () => {
    const steward = await hub.keyFor('steward', 'Validby Council Data Stewards');
    const mistyped = `${ref.slice(0, -1)}${(Number(ref.slice(-1)) + 1) % 10}`;
    const link = { method: 'POST' as const, url: `/v1/citizens/${mistyped}/links`, payload: { system: 'housing', sourceRef: 'HV1', reason: 'checked' } };
    const unlink = { method: 'DELETE' as const, url: `/v1/citizens/${mistyped}/links/housing/HV1` };
    for (const request of [link, unlink]) {
      const response = await hub.app.inject({ ...request, headers: { authorization: `Bearer ${steward}` } });
      expect(response.json(), request.url).toMatchObject({
        status: 400, code: 'bad-request', errors: [{ path: 'params.ref', message: 'is not a citizen reference (its check digit does not match)' }],
      });
    }
    for (const malformed of ['C123', `${ref}0`, 'c'.concat(ref.slice(1))]) {
      const response = await hub.app.inject({ ...link, url: `/v1/citizens/${malformed}/links`, headers: { authorization: `Bearer ${steward}` } });
      expect(response.json(), malformed).toMatchObject({ status: 400, code: 'validation-failed', errors: [expect.objectContaining({ path: 'params.ref' })] });
    }
  });

  it('never fails with a 500 on any of it', () => {
    expect(hub.logLines.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
