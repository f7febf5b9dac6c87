/**
 * A subscriber URL is where the hub POSTs personal data from inside the
 * council's network: never to an address no receiver can have (link-local,
 * where cloud metadata services answer; unspecified; multicast), whether
 * written as a literal or reached by a name, at subscribing and at sending.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createCitizen, MODEL } from '../../../src/linkage/accounts.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { policyOptions } from '../../../src/policy/options.js';
import { deliver } from '../../../src/publish/deliver.js';
import { DELIVER_QUEUE, publishPending } from '../../../src/publish/fanout.js';
import type { Resolve } from '../../../src/publish/receiver-address.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { MemorySource, person } from '../citizens/support.js';

describe('subscriber URLs never reach link-local, unspecified or multicast addresses', () => {
  let hub: TestHub;
  let queue: Queue;
  let dpo: string;
  const ids = { client: 0, org: 0 };
  const source = new MemorySource();
  const auth = () => ({ authorization: `Bearer ${dpo}` });
  const subscribe = (url: string) => hub.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth(), payload: { clientId: ids.client, purpose: 'contact-centre-enquiry', url } });

  beforeAll(async () => {
    hub = await createTestHub();
    queue = await startQueue(hub.db.url, { jobs: [{ name: DELIVER_QUEUE, handler: async () => undefined }], workers: false, log: () => undefined });
    dpo = await hub.keyFor('dpo', 'Southby Council Information Governance');
    const client = (await createClient(hub.db.pool, { org: 'Southby Council Contact Centre', role: 'adviser' })).client;
    ids.client = client.id;
    ids.org = client.orgId;
  });
  afterAll(async () => {
    await queue?.stop(2000);
    await hub?.close();
  });

  /**
   * A delivery waiting for the only live subscription, whose URL is then set
   * to `url` in the table, as a row stored before URLs were checked (or one
   * the API would not take) has it: a new citizen named `surname` published.
   */
  async function deliveryTo(url: string, surname: string): Promise<string> {
    await hub.db.pool.query('UPDATE publish_subscription SET active = false');
    const id = ((await subscribe('https://receiver.example.org/hook')).json() as { id: number }).id;
    const db = await hub.db.pool.connect();
    try {
      await db.query('BEGIN');
      const citizen = await createCitizen(db, MODEL);
      source.add(person((await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [citizen])).rows[0]!.ref, surname));
      await db.query('COMMIT');
    } finally {
      db.release();
    }
    await publishPending({ pool: hub.db.pool, boss: queue.boss, source, options: policyOptions(), clock: () => new Date() });
    await hub.db.pool.query('UPDATE publish_subscription SET url = $2 WHERE id = $1', [id, url]);
    return (await hub.db.pool.query<{ id: string }>('SELECT id FROM publish_delivery WHERE subscription_id = $1', [id])).rows[0]!.id;
  }

  const FORBIDDEN = [
    'https://169.254.169.254/latest/meta-data', 'https://2852039166/', 'https://0251.0376.0251.0376/', 'https://[::ffff:169.254.169.254]/',
    'https://[fe80::1]/hook', 'https://0.0.0.0/hook', 'https://[::]/hook', 'https://224.0.0.1/hook', 'https://255.255.255.255/hook',
  ];

  it('refuses them when subscribing and when the URL is changed, naming the url', async () => {
    for (const url of FORBIDDEN) {
      const refused = await subscribe(url);
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json(), url).toMatchObject({ code: 'validation-failed', detail: expect.stringMatching(/^url /) as unknown });
    }
    const made = await subscribe('https://receiver.example.org/hook');
    expect(made.statusCode).toBe(201);
    const id = (made.json() as { id: number }).id;
    const patched = await hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${id}`, headers: auth(), payload: { url: FORBIDDEN[0] } });
    expect(patched.statusCode).toBe(400);
    expect((await hub.app.inject({ url: `/v1/subscriptions/${id}`, headers: auth() })).json()).toMatchObject({ url: 'https://receiver.example.org/hook' });
  });

  it('still takes receivers on the council network and on this machine', async () => {
    for (const url of ['https://10.20.30.40/hook', 'https://192.168.1.10/hook', 'https://housing.northby.gov.uk/hook', 'http://localhost:8080/hook', 'https://[::1]/hook']) {
      expect((await subscribe(url)).statusCode, url).toBe(201);
    }
  });

  it('does not send to such an address when a stored URL has one', async () => {
    const agreement = {
      id: 'ISA-RA-1', title: 'ISA-RA-1', parties: { provider: { orgId: ids.org }, recipients: [ids.org] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2020-01-01', endDate: null, reviewDate: null, status: 'active',
    };
    expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(), payload: agreement })).statusCode).toBe(201);
    // As a row stored before URLs were checked would have it.
    const delivery = await deliveryTo('https://169.254.169.254/hook', 'ECHO');
    const options = { pool: hub.db.pool, timeoutMs: 10_000, clock: () => new Date(), policy: policyOptions(), source };
    const started = Date.now();
    await expect(deliver(options, delivery, { retryCount: 0, retryLimit: 8 })).rejects.toThrow(/receiver's address is not allowed/);
    expect(Date.now() - started).toBeLessThan(2000);
    const row = (await hub.db.pool.query<{ status: string; last_error: string }>('SELECT status, last_error FROM publish_delivery WHERE id = $1', [delivery])).rows[0]!;
    expect(row).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/receiver's address is not allowed/) as unknown });
    expect(row.last_error).not.toContain('169.254');
  });

  it('connects only to the addresses it checked: a name answering a forbidden address among others is refused, an allowed one reached', async () => {
    let received = 0;
    const server = http.createServer((req, res) => {
      received++;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      // Resolvers standing in for a DNS server that answers differently from one lookup to the next.
      const answering = (...addresses: string[]): Resolve => (_host, _options, callback) => callback(null, addresses.map((address) => ({ address, family: 4 })));
      // Plain http to this test's receiver (the API takes http only to localhost): the name still goes through the lookup.
      const delivery = await deliveryTo(`http://receiver.rebinding.test:${port}/hook`, 'GOLF');
      const options = (resolve: Resolve) => ({ pool: hub.db.pool, timeoutMs: 5_000, clock: () => new Date(), policy: policyOptions(), source, resolve });

      for (const resolve of [answering('169.254.169.254'), answering('127.0.0.1', '169.254.169.254')]) {
        await expect(deliver(options(resolve), delivery, { retryCount: 0, retryLimit: 8 })).rejects.toThrow(/receiver's address is not allowed/);
      }
      expect(received).toBe(0);
      await expect(deliver(options(answering('127.0.0.1')), delivery, { retryCount: 0, retryLimit: 8 })).resolves.toBe('delivered');
      expect(received).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
