/**
 * An account closed because its records went to more than one person while it
 * held register records (docs/person-linkage.md, Emptied accounts) is
 * announced to subscribers as citizen.closed, and announced as created again
 * when a steward gives it a record back: real linkage, real register, real
 * steward routes, the real fan-out into deliveries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedEvent } from '../../../schemas/subscriptions.js';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { createClient } from '../../../src/auth/clients.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { loadPrepareTables, openLinkage } from '../../../src/linkage/context.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createLogger } from '../../../src/logging.js';
import { pipelineJobs } from '../../../src/pipeline/jobs.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { policyOptions } from '../../../src/policy/options.js';
import { deliver } from '../../../src/publish/deliver.js';
import type { PublishContext } from '../../../src/publish/fanout.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { deliveredSince, refOfRecord } from './deliveries.js';
import { population, sourceRecord, store } from '../linkage/people.js';

describe('a closed account is announced to subscribers', () => {
  let hub: TestHub;
  let queue: Queue;
  let publish: PublishContext;
  let dpo: string;
  let steward: string;
  let subscription = 0;
  let server: http.Server;
  const received: string[] = [];

  const as = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    hub.app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
  const refOf = (sourceRef: string) => refOfRecord(hub.db.pool, sourceRef);
  /** The events published to the subscription since the last call. */
  const published = deliveredSince(() => ({ publish, pool: hub.db.pool, subscription }));
  /** Attempts the delivery of an event as the queue would: its row afterwards, and whether the receiver got it. */
  const attempt = async (event: PublishedEvent) => {
    const before = received.length;
    await deliver({ ...publish, timeoutMs: 2000, policy: publish.options }, event.id, { retryCount: 0, retryLimit: 8 });
    const row = (await hub.db.pool.query<{ status: string; attempts: number; last_error: string | null }>(
      'SELECT status, attempts, last_error FROM publish_delivery WHERE id = $1', [event.id])).rows[0]!;
    return { ...row, sent: received.slice(before).map((b) => (JSON.parse(b) as PublishedEvent).type) };
  };

  beforeAll(async () => {
    hub = await createTestHub();
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await store(hub.db.pool, population(17, 100));
    const person = { forenames: ['PERPETUA'], surname: 'WINTERBOTTOM', dob: '1952-11-30', lines: ['2 SEDGE LANE', 'NORTHBY'], postcode: 'ZZ9 9WB' };
    await store(hub.db.pool, [
      sourceRecord({ ...person, system: 'housing', ref: 'HWB1' }), sourceRecord({ ...person, system: 'revenues', ref: 'RWB2' }),
      sourceRecord({ system: 'revenues', ref: 'RWB3', forenames: ['OSWIN'], surname: 'WINTERBOTTOM', dob: '1950-01-02', lines: ['4 SEDGE LANE', 'NORTHBY'], postcode: 'ZZ9 9WC' }),
    ]);
    const tables = await loadPrepareTables();
    await trainFromDatabase(hub.db.pool, tables, { seed: 5 });
    await linkAll(await openLinkage(hub.db.pool, { tables }));

    const adviser = await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
    dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    steward = await hub.keyFor('steward', 'Northby Council Data Quality');
    const isa = await as(dpo, 'POST', '/v1/register/agreements', {
      id: 'ISA-CLOSE', title: 'Contact centre', parties: { provider: { orgId: adviser.client.orgId }, recipients: [adviser.client.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
    });
    expect(isa.statusCode).toBe(201);
    const subscribed = await as(dpo, 'POST', '/v1/subscriptions', { clientId: adviser.client.id, purpose: 'contact-centre-enquiry', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events` });
    expect(subscribed.statusCode).toBe(201);
    subscription = (subscribed.json() as { id: number; eventTypes: string[] }).id;
    expect((subscribed.json() as { eventTypes: string[] }).eventTypes).toContain('citizen.closed');

    queue = await startQueue(hub.db.url, { jobs: pipelineJobs({ pool: hub.db.pool, logger: createLogger('silent'), matcher: new AddressMatcher(hub.db.pool), linkage: async () => null }), workers: false, log: () => undefined });
    publish = { pool: hub.db.appPool, boss: queue.boss, source: new LinkedCitizenSource(hub.db.appPool), options: policyOptions(), clock: () => new Date() };
    // The accounts the first run created, announced before the test starts.
    await published();
  }, 120_000);
  afterAll(async () => {
    await queue?.stop(5000);
    await new Promise((resolve) => server?.close(resolve));
    await hub?.close();
  });

  it('sends citizen.closed, with nothing of the person, for an account closed for its register records, lists it for stewards; created when it is given a record again', async () => {
    const perpetua = await refOf('HWB1');
    const oswin = await refOf('RWB3');
    expect(await refOf('RWB2')).toBe(perpetua);
    const consent = await as(dpo, 'POST', `/v1/citizens/${perpetua}/consents`, {
      purpose: 'contact-centre-enquiry', recipientOrgId: null, from: '2026-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'form 7',
    });
    expect(consent.statusCode).toBe(201);
    expect((await as(steward, 'DELETE', `/v1/citizens/${perpetua}/links/housing/HWB1`)).statusCode).toBe(200);
    const split = await published();
    expect(split.map((e) => [e.type, e.citizenRef])).toEqual(expect.arrayContaining([['citizen.split', perpetua], ['citizen.created', await refOf('HWB1')]]));

    expect((await as(steward, 'POST', `/v1/citizens/${oswin}/links`, { system: 'revenues', sourceRef: 'RWB2' })).statusCode).toBe(200);
    const closing = await published();
    // Oswin's account gained a record; Perpetua's old account lost its last one and is closed: its update is not sent, its closing is.
    expect(closing.map((e) => [e.type, e.citizenRef]).sort()).toEqual([['citizen.closed', perpetua], ['citizen.updated', oswin]]);
    const closed = closing.find((e) => e.type === 'citizen.closed')!;
    expect(closed.citizen.ref).toBe(perpetua);
    expect(Object.keys(closed.citizen).sort()).toEqual(['ref', 'withheld']);
    expect(JSON.stringify(closed.citizen)).not.toMatch(/PERPETUA|WINTERBOTTOM|SEDGE/);
    // A closed account is the event's own state, not an account gone since: the closing is delivered.
    expect(await attempt(closed)).toEqual({ status: 'delivered', attempts: 1, last_error: null, sent: ['citizen.closed'] });
    // Stewards and the DPO find it to settle whose its consent is.
    const listed = await as(steward, 'GET', '/v1/review/closed-accounts');
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as { accounts: unknown[] }).accounts).toEqual([
      { citizenRef: perpetua, closedAt: expect.any(String), lastRecordWentTo: oswin, open: { consents: 1, objections: 0, restrictions: 0 } },
    ]);
    expect((await as(dpo, 'GET', `/v1/review/closed-accounts?after=${perpetua}`)).json()).toEqual({ accounts: [] });
    const audited = await hub.db.pool.query<{ citizen_ref: string }>("SELECT citizen_ref FROM audit_log WHERE action = 'linkage.closed.read'");
    expect(audited.rows.map((r) => r.citizen_ref)).toEqual([perpetua]);
    // A full page names where the next starts; the short one above, none.
    expect((await as(dpo, 'GET', '/v1/review/closed-accounts?limit=1')).json()).toMatchObject({ accounts: [{ citizenRef: perpetua }], next: perpetua });

    expect((await as(steward, 'POST', `/v1/citizens/${perpetua}/links`, { system: 'revenues', sourceRef: 'RWB2' })).statusCode).toBe(200);
    const reopened = await published();
    expect(reopened.map((e) => [e.type, e.citizenRef]).sort()).toEqual([['citizen.created', perpetua], ['citizen.updated', oswin]]);
    expect(reopened.find((e) => e.citizenRef === perpetua)!.citizen.identity?.name.value.surname).toBe('WINTERBOTTOM');
    expect(await attempt(reopened.find((e) => e.citizenRef === perpetua)!)).toEqual({ status: 'delivered', attempts: 1, last_error: null, sent: ['citizen.created'] });
    expect((await as(steward, 'GET', '/v1/review/closed-accounts')).json()).toEqual({ accounts: [] });
  });
});
