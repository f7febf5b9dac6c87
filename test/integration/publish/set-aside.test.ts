/**
 * One change that cannot be published (its citizen's view throws) must not
 * hold up the others: the batch it was in is published change by change,
 * and the failing one is set aside with an error that names no one, to be
 * tried again later, and shown in `hub pipeline status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenLookup } from '../../../src/citizens/source.js';
import { createClient } from '../../../src/auth/clients.js';
import { createCitizen, MODEL } from '../../../src/linkage/accounts.js';
import { publishingStatus } from '../../../src/pipeline/status.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { policyOptions } from '../../../src/policy/options.js';
import { DELIVER_QUEUE, publishPending } from '../../../src/publish/fanout.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { MemorySource, person } from '../citizens/support.js';

/** A source whose view of one citizen throws, as a record that breaks the golden record would. */
class BrokenFor extends MemorySource {
  broken = new Set<string>();
  override async view(ref: string): Promise<CitizenLookup> {
    if (this.broken.has(ref)) throw new TypeError('Cannot read properties of null (reading ZEBEDEE)');
    return super.view(ref);
  }
}

describe('a change that cannot be published holds up no other', () => {
  let hub: TestHub;
  let queue: Queue;
  const source = new BrokenFor();
  const publish = () => publishPending({ pool: hub.db.pool, boss: queue.boss, source, options: policyOptions(), clock: () => new Date() });

  beforeAll(async () => {
    hub = await createTestHub();
    queue = await startQueue(hub.db.url, { jobs: [{ name: DELIVER_QUEUE, handler: async () => undefined }], workers: false, log: () => undefined });
    const dpo = { authorization: `Bearer ${await hub.keyFor('dpo', 'Southby Council Information Governance')}` };
    const client = (await createClient(hub.db.pool, { org: 'Southby Council Contact Centre', role: 'adviser' })).client;
    const agreement = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: dpo,
      payload: {
        id: 'ISA-SA', title: 'Contact centre', parties: { provider: { orgId: client.orgId }, recipients: [client.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null,
        legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2020-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(agreement.statusCode).toBe(201);
    const subscribed = await hub.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: dpo, payload: { clientId: client.id, purpose: 'contact-centre-enquiry', url: 'http://127.0.0.1:9/hook' } });
    expect(subscribed.statusCode).toBe(201);
  });
  afterAll(async () => {
    await queue?.stop(2000);
    await hub?.close();
  });

  /** New citizens, each with a recorded citizen.created change. */
  async function citizens(n: number): Promise<string[]> {
    const db = await hub.db.pool.connect();
    const refs: string[] = [];
    try {
      await db.query('BEGIN');
      for (let i = 0; i < n; i++) {
        const id = await createCitizen(db, MODEL);
        refs.push((await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref);
      }
      await db.query('COMMIT');
    } finally {
      db.release();
    }
    for (const ref of refs) source.add(person(ref, 'ECHO'));
    return refs;
  }
  const delivered = async (refs: string[]) =>
    (await hub.db.pool.query<{ citizen_ref: string }>('SELECT citizen_ref FROM publish_delivery WHERE citizen_ref = ANY($1) ORDER BY sequence', [refs])).rows.map((r) => r.citizen_ref);

  it('publishes the rest of the batch and sets the failing change aside, naming no one', async () => {
    const refs = await citizens(3);
    source.broken.add(refs[1]!);
    const counts = await publish();
    expect(counts).toMatchObject({ setAside: 1, deliveries: 2 });
    expect(await delivered(refs)).toEqual([refs[0], refs[2]]);
    const [aside] = (await hub.db.pool.query<{ failures: number; last_error: string; waits: boolean; published: boolean }>(
      `SELECT o.failures, o.last_error, o.retry_after > now() AS waits, o.published_at IS NOT NULL AS published
         FROM citizen_outbox o JOIN citizen c ON c.id = o.citizen_id WHERE c.ref = $1`, [refs[1]])).rows;
    expect(aside).toEqual({ failures: 1, last_error: 'TypeError', waits: true, published: false });
    expect(await publishingStatus(hub.db.pool)).toMatchObject({ setAsideChanges: 1, lastSetAsideError: 'TypeError' });

    // While it waits, later runs neither try it nor stall on it.
    const later = await citizens(1);
    expect(await publish()).toMatchObject({ setAside: 0, deliveries: 1 });
    expect(await delivered(later)).toEqual(later);

    // Once due and mended, it is published.
    source.broken.clear();
    await hub.db.pool.query("UPDATE citizen_outbox SET retry_after = now() - interval '1 second' WHERE retry_after IS NOT NULL");
    expect(await publish()).toMatchObject({ setAside: 0, deliveries: 1 });
    expect(await delivered(refs)).toEqual([refs[0], refs[2], refs[1]]);
    expect(await publishingStatus(hub.db.pool)).toMatchObject({ pendingChanges: 0, setAsideChanges: 0 });
  });
});
