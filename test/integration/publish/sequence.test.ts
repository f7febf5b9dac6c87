/**
 * An event's sequence orders a subscriber's events; it must not count the
 * changes of people the subscriber may not see: a gap in a hub-wide counter
 * would tell it how many such changes there were, and when.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedEvent } from '../../../schemas/subscriptions.js';
import { createClient } from '../../../src/auth/clients.js';
import { citizenChanged } from '../../../src/publish/outbox.js';
import { createCitizen, MODEL } from '../../../src/linkage/accounts.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { policyOptions } from '../../../src/policy/options.js';
import { DELIVER_QUEUE, publishPending, redeliverDead } from '../../../src/publish/fanout.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { MemorySource, person } from '../citizens/support.js';

describe('event sequences count only what the subscription is sent', () => {
  let hub: TestHub;
  let queue: Queue;
  let dpo: string;
  let subscription = 0;
  const source = new MemorySource();
  const auth = () => ({ authorization: `Bearer ${dpo}` });
  const ctx = () => ({ pool: hub.db.pool, boss: queue.boss, source, options: policyOptions(), clock: () => new Date() });

  beforeAll(async () => {
    hub = await createTestHub();
    queue = await startQueue(hub.db.url, { jobs: [{ name: DELIVER_QUEUE, handler: async () => undefined }], workers: false, log: () => undefined });
    dpo = await hub.keyFor('dpo', 'Upby Council Information Governance');
    const client = (await createClient(hub.db.pool, { org: 'Upby Council Contact Centre', role: 'adviser' })).client;
    const agreement = {
      id: 'ISA-SQ-1', title: 'ISA-SQ-1', parties: { provider: { orgId: client.orgId }, recipients: [client.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2020-01-01', endDate: null, reviewDate: null, status: 'active',
    };
    expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(), payload: agreement })).statusCode).toBe(201);
    const made = await hub.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth(), payload: { clientId: client.id, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' } });
    subscription = (made.json() as { id: number }).id;
  });
  afterAll(async () => {
    await queue?.stop(2000);
    await hub?.close();
  });

  /** Runs `fn` in one committed transaction. */
  async function committed<T>(fn: (db: import('pg').PoolClient) => Promise<T>): Promise<T> {
    const db = await hub.db.pool.connect();
    try {
      await db.query('BEGIN');
      const value = await fn(db);
      await db.query('COMMIT');
      return value;
    } finally {
      db.release();
    }
  }
  const refOf = async (id: number) => (await hub.db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
  const sent = async () => (await hub.db.pool.query<{ id: string; body: string }>(
    'SELECT id, body FROM publish_delivery WHERE subscription_id = $1 AND body IS NOT NULL', [subscription])).rows
    .map((r) => ({ id: r.id, event: JSON.parse(r.body) as PublishedEvent })).sort((a, b) => a.event.sequence - b.event.sequence);

  it('numbers a subscription\'s events one after another, whatever happened to people it may not see in between', async () => {
    const seen = await committed((db) => createCitizen(db, MODEL));
    const hidden = await committed((db) => createCitizen(db, MODEL));
    source.add(person(await refOf(seen), 'FOXTROT')).add(person(await refOf(hidden), 'GOLF'));
    const restricted = await hub.app.inject({
      method: 'POST', url: `/v1/citizens/${await refOf(hidden)}/restrictions`, headers: auth(), payload: { from: '2020-01-01T00:00:00.000Z', to: null, reason: 'accuracy contested' },
    });
    expect(restricted.statusCode).toBe(201);
    for (let i = 0; i < 3; i++) await committed((db) => citizenChanged(db, hidden, 'citizen.updated'));
    await committed((db) => citizenChanged(db, seen, 'citizen.updated'));
    await publishPending(ctx());

    const events = (await sent()).map((s) => s.event);
    expect(events.map((e) => [e.type, e.citizenRef])).toEqual([['citizen.created', await refOf(seen)], ['citizen.updated', await refOf(seen)]]);
    expect(events[1]!.sequence - events[0]!.sequence).toBe(1);
  });

  it('keeps an event\'s sequence when a dead letter is sent again', async () => {
    const before = await sent();
    await hub.db.pool.query("UPDATE publish_delivery SET status = 'dead', body = NULL WHERE subscription_id = $1", [subscription]);
    expect(await redeliverDead(ctx(), subscription)).toMatchObject({ requeued: 2 });
    expect((await sent()).map((s) => [s.id, s.event.sequence])).toEqual(before.map((s) => [s.id, s.event.sequence]));
  });
});
