/**
 * A delivery waits (a queue, retries with backoff, a dead letter sent
 * again): the register can change meanwhile. Each attempt sends only what
 * the policy as it stands still permits, as a read at that moment would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createCitizen, MODEL } from '../../../src/linkage/accounts.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { policyOptions } from '../../../src/policy/options.js';
import { deliver, type DeliverOptions } from '../../../src/publish/deliver.js';
import { DELIVER_QUEUE, publishPending } from '../../../src/publish/fanout.js';
import { GONE_PAUSE_ERROR } from '../../../src/publish/subscriptions.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { MemorySource, person } from '../citizens/support.js';

describe('a delivery is sent only while the policy still permits what it carries', () => {
  let hub: TestHub;
  let queue: Queue;
  let server: http.Server;
  let url = '';
  let dpo: string;
  const received: string[] = [];
  /** What the receiver answers. */
  let answer = 204;
  const source = new MemorySource();
  const ids = { client: 0, org: 0, cce: 0, dsd: 0 };
  const auth = () => ({ authorization: `Bearer ${dpo}` });
  const options = (): DeliverOptions => ({ pool: hub.db.pool, timeoutMs: 2000, clock: () => new Date(), policy: policyOptions(), source });

  beforeAll(async () => {
    hub = await createTestHub();
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    queue = await startQueue(hub.db.url, { jobs: [{ name: DELIVER_QUEUE, handler: async () => undefined }], workers: false, log: () => undefined });
    dpo = await hub.keyFor('dpo', 'Eastby Council Information Governance');
    const client = (await createClient(hub.db.pool, { org: 'Eastby Council Contact Centre', role: 'adviser' })).client;
    ids.client = client.id;
    ids.org = client.orgId;
    const agreement = (id: string, over: Record<string, unknown>) => ({
      id, title: id, parties: { provider: { orgId: ids.org }, recipients: [ids.org] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2020-01-01', endDate: null, reviewDate: null, status: 'active',
      ...over,
    });
    const agreements = [
      agreement('ISA-DP-1', {}),
      agreement('ISA-DP-2', { purposes: ['direct-service-delivery'], categories: ['identity'], lawfulBasis: 'consent' }),
      // The adviser's role may use fraud prevention only by this agreement, which shares no identity.
      agreement('ISA-DP-3', { purposes: ['fraud-prevention'], roles: ['adviser'], categories: ['revenues'] }),
    ];
    for (const body of agreements) {
      expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(), payload: body })).statusCode).toBe(201);
    }
    for (const purpose of ['contact-centre-enquiry', 'direct-service-delivery'] as const) {
      const made = await hub.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth(), payload: { clientId: ids.client, purpose, url: `${url}/hook` } });
      expect(made.statusCode).toBe(201);
      ids[purpose === 'contact-centre-enquiry' ? 'cce' : 'dsd'] = (made.json() as { id: number }).id;
    }
  });
  afterAll(async () => {
    await queue?.stop(2000);
    await new Promise((resolve) => server?.close(resolve));
    await hub?.close();
  });

  /** A new citizen (with consent to direct service delivery when asked), published: its deliveries by subscription. */
  async function published(consent = false): Promise<{ ref: string; cce?: string; dsd?: string }> {
    const db = await hub.db.pool.connect();
    let ref: string;
    try {
      await db.query('BEGIN');
      const id = await createCitizen(db, MODEL);
      ref = (await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
      await db.query('COMMIT');
    } finally {
      db.release();
    }
    source.add(person(ref, 'DELTA'));
    if (consent) {
      const given = await hub.app.inject({
        method: 'POST', url: `/v1/citizens/${ref}/consents`, headers: auth(),
        payload: { purpose: 'direct-service-delivery', recipientOrgId: ids.org, from: '2020-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'FORM-1' },
      });
      expect(given.statusCode).toBe(201);
    }
    await publishPending({ pool: hub.db.pool, boss: queue.boss, source, options: policyOptions(), clock: () => new Date() });
    const rows = (await hub.db.pool.query<{ id: string; subscription_id: string }>('SELECT id, subscription_id FROM publish_delivery WHERE citizen_ref = $1', [ref])).rows;
    const of = (sub: number) => rows.find((r) => Number(r.subscription_id) === sub)?.id;
    return { ref, cce: of(ids.cce), dsd: of(ids.dsd) };
  }

  /** Attempts the delivery as a retry would; says whether the receiver got anything, and the row after. */
  async function attempt(deliveryId: string) {
    const before = received.length;
    const result = await deliver(options(), deliveryId, { retryCount: 1, retryLimit: 8 });
    const row = (await hub.db.pool.query<{ status: string; has_body: boolean; last_error: string | null }>(
      'SELECT status, body IS NOT NULL AS has_body, last_error FROM publish_delivery WHERE id = $1', [deliveryId])).rows[0]!;
    return { result, sent: received.length - before, ...row };
  }

  const cancelled = { result: 'cancelled', sent: 0, status: 'cancelled', has_body: false };

  it('sends a delivery the policy still permits', async () => {
    const { cce } = await published();
    expect(await attempt(cce!)).toMatchObject({ result: 'delivered', sent: 1, status: 'delivered', has_body: false });
  });

  it('makes a dead letter at once of a delivery its receiver answers 410 Gone, and pauses the subscription, audited, until the DPO resumes it', async () => {
    const { cce } = await published();
    const { cce: waiting } = await published();
    const subscription = async () => (await hub.app.inject({ url: `/v1/subscriptions/${ids.cce}`, headers: auth() })).json() as { active: boolean };
    const resume = () => hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${ids.cce}`, headers: auth(), payload: { active: true } });
    // The later tests of this file use the subscription: resumed whatever this one finds.
    onTestFinished(async () => void (await resume()));
    answer = 410;
    try {
      expect(await attempt(cce!)).toMatchObject({
        result: 'gone', sent: 1, status: 'dead', has_body: false, last_error: 'receiver answered 410 (gone): not retried; the subscription is paused',
      });
      // The other delivery waiting for that receiver is a dead letter too, left for redeliver, and is not sent.
      expect(await attempt(waiting!)).toMatchObject({ result: 'skipped', sent: 0, status: 'dead', has_body: false, last_error: GONE_PAUSE_ERROR });
    } finally {
      answer = 204;
    }
    expect((await hub.db.pool.query<{ attempts: number }>('SELECT attempts FROM publish_delivery WHERE id = $1', [cce])).rows[0]!.attempts).toBe(1);
    expect(await subscription()).toMatchObject({ active: false, deliveries: { pending: 0 } });
    const audit = (await hub.db.pool.query<{ client_id: string; org_id: string; role: string; detail: { before: { active: boolean }; after: { active: boolean }; reason: string } }>(
      "SELECT client_id, org_id, role, detail FROM audit_log WHERE action = 'subscription.pause' AND (detail->'after'->>'id')::bigint = $1", [ids.cce])).rows;
    expect(audit).toHaveLength(1);
    expect({ ...audit[0], client_id: Number(audit[0]!.client_id), org_id: Number(audit[0]!.org_id) })
      .toMatchObject({ client_id: 0, org_id: 0, role: 'admin', detail: { before: { active: true }, after: { active: false } } });
    expect(audit[0]!.detail.reason).toContain('410');
    // Paused, the subscription gets no new deliveries.
    expect((await published()).cce).toBeUndefined();
    const resumed = await resume();
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect((await published()).cce).toBeDefined();
  });

  it('cancels it once a restriction of processing is in force', async () => {
    const { ref, cce } = await published();
    const restricted = await hub.app.inject({
      method: 'POST', url: `/v1/citizens/${ref}/restrictions`, headers: auth(), payload: { from: '2020-01-01T00:00:00.000Z', to: null, reason: 'accuracy contested' },
    });
    expect(restricted.statusCode).toBe(201);
    const after = await attempt(cce!);
    expect(after).toMatchObject(cancelled);
    expect(after.last_error).toMatch(/policy/);
    expect(after.last_error).not.toContain(ref);
  });

  it('cancels it once the citizen objects', async () => {
    const { ref, cce } = await published();
    const objected = await hub.app.inject({
      method: 'POST', url: `/v1/citizens/${ref}/objections`, headers: auth(), payload: { purpose: 'contact-centre-enquiry', recipientOrgId: null, from: '2020-01-01T00:00:00.000Z' },
    });
    expect(objected.statusCode).toBe(201);
    expect(await attempt(cce!)).toMatchObject(cancelled);
  });

  it('cancels it once the consent it relied on is withdrawn', async () => {
    const { ref, dsd } = await published(true);
    expect(dsd).toBeDefined();
    const consents = (await hub.app.inject({ url: `/v1/citizens/${ref}/consents`, headers: auth() })).json() as { consents?: { id: string }[] } | { id: string }[];
    const consentId = (Array.isArray(consents) ? consents : consents.consents!)[0]!.id;
    const withdrawn = await hub.app.inject({ method: 'POST', url: `/v1/citizens/${ref}/consents/${consentId}/withdraw`, headers: auth(), payload: {} });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(await attempt(dsd!)).toMatchObject(cancelled);
  });

  it('cancels it once the subscription asks for a purpose that permits less', async () => {
    const { dsd } = await published(true);
    const changed = await hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${ids.dsd}`, headers: auth(), payload: { purpose: 'fraud-prevention' } });
    expect(changed.statusCode).toBe(200);
    expect(await attempt(dsd!)).toMatchObject(cancelled);
  });

  it('cancels it once the sharing agreement is suspended', async () => {
    const { cce } = await published();
    const suspended = await hub.app.inject({ method: 'POST', url: '/v1/register/agreements/ISA-DP-1/status', headers: auth(), payload: { version: 1, status: 'suspended' } });
    expect(suspended.statusCode).toBe(200);
    try {
      expect(await attempt(cce!)).toMatchObject(cancelled);
    } finally {
      expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements/ISA-DP-1/status', headers: auth(), payload: { version: 2, status: 'active' } })).statusCode).toBe(200);
    }
  });

  it('cancels it once its account is merged into another, or closed, since, and says which', async () => {
    const merged = await published();
    const survivor = await published();
    await hub.db.pool.query(
      "UPDATE citizen SET status = 'merged', merged_into = (SELECT id FROM citizen WHERE ref = $2), merged_at = now() WHERE ref = $1", [merged.ref, survivor.ref]);
    expect(await attempt(merged.cce!)).toMatchObject({ ...cancelled, last_error: 'not sent: the account was merged into another since' });
    const closed = await published();
    await hub.db.pool.query("UPDATE citizen SET status = 'closed', closed_at = now() WHERE ref = $1", [closed.ref]);
    expect(await attempt(closed.cce!)).toMatchObject({ ...cancelled, last_error: 'not sent: the account was closed since' });
  });

  it('drops the body of a delivery whose last attempt failed inside the hub, as of any dead letter', async () => {
    const { cce } = await published();
    const broken = { mergedInto: async (): Promise<string[]> => { throw new Error('connection terminated unexpectedly'); } };
    await expect(deliver({ ...options(), source: broken }, cce!, { retryCount: 8, retryLimit: 8 })).rejects.toThrow(/connection terminated/);
    const row = (await hub.db.pool.query<{ status: string; has_body: boolean; last_error: string }>(
      'SELECT status, body IS NOT NULL AS has_body, last_error FROM publish_delivery WHERE id = $1', [cce])).rows[0]!;
    expect(row).toEqual({ status: 'dead', has_body: false, last_error: 'the hub failed to make the attempt' });
  });

  it('keeps the body for the next attempt when an earlier one failed inside the hub', async () => {
    const { cce } = await published();
    const broken = { mergedInto: async (): Promise<string[]> => { throw new Error('connection terminated unexpectedly'); } };
    await expect(deliver({ ...options(), source: broken }, cce!, { retryCount: 1, retryLimit: 8 })).rejects.toThrow(/connection terminated/);
    expect(await attempt(cce!)).toMatchObject({ result: 'delivered', sent: 1 });
  });

  it('cancels it once the subscriber client is revoked', async () => {
    const { cce } = await published();
    expect(cce).toBeDefined();
    await hub.db.pool.query('UPDATE api_client SET revoked_at = now() WHERE id = $1', [ids.client]);
    expect(await attempt(cce!)).toMatchObject(cancelled);
  });
});
