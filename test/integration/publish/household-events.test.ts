/**
 * A citizen's view names the people living with them, so when someone moves
 * out of one household and into another, subscribers hear of a change of
 * everyone at both addresses, not only of the person who moved; a change
 * that moves nobody tells the housemates nothing. Real intake, linkage,
 * citizen source and fan-out into deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { createClient } from '../../../src/auth/clients.js';
import { linkAll, linkSourceRecords } from '../../../src/linkage/batch.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createLogger } from '../../../src/logging.js';
import { pipelineJobs } from '../../../src/pipeline/jobs.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { policyOptions } from '../../../src/policy/options.js';
import type { PublishContext } from '../../../src/publish/fanout.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { deliveredSince, refOfRecord } from './deliveries.js';
import { population, sourceRecord, store, type PersonSpec } from '../linkage/people.js';

const FIVE = { lines: ['5 REED ROW', 'NORTHBY'], postcode: 'ZZ9 9RR', uprn: 810005 };
const NINE = { lines: ['9 REED ROW', 'NORTHBY'], postcode: 'ZZ9 9RR', uprn: 810009 };

describe('household members hear of someone moving in or out', () => {
  let hub: TestHub;
  let queue: Queue;
  let publish: PublishContext;
  let linkage: LinkageContext;
  let subscription = 0;
  const ada: PersonSpec = { system: 'housing', ref: 'HRR1', forenames: ['ADELAIDE'], surname: 'QUENNELL', dob: '1970-02-03', ...FIVE };
  const bram: PersonSpec = { system: 'housing', ref: 'HRR2', forenames: ['BRAMWELL'], surname: 'QUENNELL', dob: '1968-07-08', ...FIVE };
  const cato: PersonSpec = { system: 'housing', ref: 'HRR3', forenames: ['CATO'], surname: 'MERRIDEW', dob: '1955-05-05', ...NINE };

  const refOf = (sourceRef: string) => refOfRecord(hub.db.pool, sourceRef);
  /** The events published to the subscription since the last call. */
  const published = deliveredSince(() => ({ publish, pool: hub.db.pool, subscription }));
  const put = async (spec: PersonSpec) => linkSourceRecords(linkage, await store(hub.db.pool, [sourceRecord(spec)]));

  beforeAll(async () => {
    hub = await createTestHub();
    await store(hub.db.pool, population(19, 100));
    await store(hub.db.pool, [sourceRecord(ada), sourceRecord(bram), sourceRecord(cato)]);
    const tables = await loadPrepareTables();
    await trainFromDatabase(hub.db.pool, tables, { seed: 5 });
    linkage = await openLinkage(hub.db.pool, { tables });
    await linkAll(linkage);

    const adviser = await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
    const dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const as = (url: string, payload: object) => hub.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${dpo}` } });
    expect((await as('/v1/register/agreements', {
      id: 'ISA-HH', title: 'Contact centre', parties: { provider: { orgId: adviser.client.orgId }, recipients: [adviser.client.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address', 'household'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
    })).statusCode).toBe(201);
    const subscribed = await as('/v1/subscriptions', { clientId: adviser.client.id, purpose: 'contact-centre-enquiry', url: 'http://127.0.0.1:9/events' });
    expect(subscribed.statusCode, subscribed.body).toBe(201);
    subscription = (subscribed.json() as { id: number }).id;

    queue = await startQueue(hub.db.url, { jobs: pipelineJobs({ pool: hub.db.pool, logger: createLogger('silent'), matcher: new AddressMatcher(hub.db.pool), linkage: async () => null }), workers: false, log: () => undefined });
    publish = { pool: hub.db.appPool, boss: queue.boss, source: new LinkedCitizenSource(hub.db.appPool), options: policyOptions(), clock: () => new Date() };
    // The accounts the first run created, and what they told their housemates, before the tests start.
    await published();
    expect(await published()).toEqual([]);
  }, 120_000);
  afterAll(async () => {
    await queue?.stop(5000);
    await hub?.close();
  });

  it('tells the household left and the household joined, each with their new view', async () => {
    const [a, b, c] = [await refOf('HRR1'), await refOf('HRR2'), await refOf('HRR3')];
    await put({ ...ada, ...NINE });
    const events = await published();
    expect(events.map((e) => [e.type, e.citizenRef]).sort()).toEqual([['citizen.updated', a], ['citizen.updated', b], ['citizen.updated', c]].sort());
    const viewOf = (ref: string) => events.find((e) => e.citizenRef === ref)!.citizen;
    expect(viewOf(b).household).toEqual([]);
    expect(viewOf(c).household).toEqual([{ citizenRef: a, name: 'ADELAIDE QUENNELL' }]);
  });

  it('tells the housemates nothing of a change that moves nobody', async () => {
    const a = await refOf('HRR1');
    await put({ ...ada, ...NINE, phone: '+447700900555' });
    expect((await published()).map((e) => [e.type, e.citizenRef])).toEqual([['citizen.updated', a]]);
  });
});
