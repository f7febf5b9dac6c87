import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedEvent } from '../../../schemas/subscriptions.js';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { disclosures, verifyAudit } from '../../../src/audit/store.js';
import { createClient } from '../../../src/auth/clients.js';
import { createCitizen, linkRecord, mergeCitizens, MODEL } from '../../../src/linkage/accounts.js';
import { createLogger } from '../../../src/logging.js';
import { pipelineJobs, type PipelineDeps } from '../../../src/pipeline/jobs.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { pipelineStatus } from '../../../src/pipeline/status.js';
import { policyOptions } from '../../../src/policy/options.js';
import { deliver } from '../../../src/publish/deliver.js';
import { DELIVER_QUEUE, redeliverDead } from '../../../src/publish/fanout.js';
import { prunePublished } from '../../../src/publish/retention.js';
import { verifySignature } from '../../../src/publish/signature.js';
import { addConsent } from '../../../src/register/citizen-records.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { run } from '../../support/process.js';
import { MemorySource, person } from '../citizens/support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on a free local port: /ok/* answers 204, /fail/* answers 503. */
async function receiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(req.url?.startsWith('/fail') ? 503 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The receiver's check, written out independently of the hub's code. */
function signedBy(secret: string, r: Received): boolean {
  const header = String(r.headers['x-hub-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${r.body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

describe('publishing citizen changes to webhook subscribers', () => {
  let hub: TestHub;
  let sink: Awaited<ReturnType<typeof receiver>>;
  let queue: Queue | null = null;
  let dpo: string;
  const ids = { adviser: 0, adviserOrg: 0, police: 0, policeOrg: 0 };
  const secrets = { adviser: '', police: '', failing: '' };
  const refs = { a: '', b: '' };
  const source = new MemorySource();
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    hub = await createTestHub();
    sink = await receiver();
    dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const a = (await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' })).client;
    const p = (await createClient(hub.db.pool, { org: 'Northby Police', role: 'partner' })).client;
    ids.adviser = a.id;
    ids.adviserOrg = a.orgId;
    ids.police = p.id;
    ids.policeOrg = p.orgId;
    const agreement = (id: string, over: Record<string, unknown>) => ({
      id, title: id, parties: { provider: { orgId: ids.adviserOrg }, recipients: [ids.adviserOrg] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2020-01-01', endDate: null, reviewDate: null, status: 'active',
      ...over,
    });
    for (const body of [
      agreement('ISA-PUB-1', {}),
      // The police see identity and address, for safeguarding, of citizens who consented.
      agreement('ISA-PUB-2', { parties: { provider: { orgId: ids.adviserOrg }, recipients: [ids.policeOrg] }, purposes: ['safeguarding'], categories: ['identity', 'address'], lawfulBasis: 'consent' }),
    ]) {
      const response = await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(dpo), payload: body });
      expect(response.statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await queue?.stop(5000);
    await sink.close();
    await hub.close();
  });

  const subscribe = (key: string, body: Record<string, unknown>) =>
    hub.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth(key), payload: body });

  it('lets the DPO subscribe a client; the secret is shown once; only https or a local receiver; audited', async () => {
    const adviser = await subscribe(dpo, { clientId: ids.adviser, purpose: 'contact-centre-enquiry', url: `${sink.url}/ok/adviser`, eventTypes: ['citizen.created', 'citizen.merged'] });
    expect(adviser.statusCode).toBe(201);
    const created = adviser.json() as { id: number; orgId: number; secret: string; active: boolean };
    expect(created).toMatchObject({ orgId: ids.adviserOrg, active: true });
    expect(created.secret).toMatch(/^whsec_/);
    secrets.adviser = created.secret;
    const police = await subscribe(dpo, { clientId: ids.police, purpose: 'safeguarding', url: `${sink.url}/ok/police` });
    expect(police.statusCode).toBe(201);
    secrets.police = (police.json() as { secret: string }).secret;
    const failing = await subscribe(dpo, { clientId: ids.adviser, purpose: 'contact-centre-enquiry', url: `${sink.url}/fail/adviser`, eventTypes: ['citizen.created'] });
    expect(failing.statusCode).toBe(201);
    secrets.failing = (failing.json() as { secret: string }).secret;

    const list = await hub.app.inject({ url: '/v1/subscriptions', headers: auth(dpo) });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('whsec_');
    expect((list.json() as { subscriptions: unknown[] }).subscriptions).toHaveLength(3);

    // An admin runs subscriptions but reads no citizen data: it may not subscribe, point one elsewhere, widen it or resume it.
    const admin = await hub.keyFor('admin', 'Northby Council IT');
    expect((await subscribe(admin, { clientId: ids.adviser, purpose: 'contact-centre-enquiry', url: `${sink.url}/ok/admin` })).statusCode).toBe(403);
    const patch = (key: string, payload: Record<string, unknown>) =>
      hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${created.id}`, headers: auth(key), payload });
    for (const widening of [{ url: `${sink.url}/ok/admin` }, { purpose: 'fraud-prevention' }, { eventTypes: ['citizen.updated'] }, { active: true }]) {
      expect((await patch(admin, widening)).statusCode, JSON.stringify(widening)).toBe(403);
    }
    expect((await patch(admin, { description: 'contact centre CRM' })).statusCode).toBe(200);
    // Cleared with null, it reads back null: not "", which the API's type coercion once made of it.
    expect((await patch(admin, { description: null })).json()).toMatchObject({ description: null });
    expect((await hub.app.inject({ url: `/v1/subscriptions/${created.id}`, headers: auth(dpo) })).json()).toMatchObject({ url: `${sink.url}/ok/adviser`, purpose: 'contact-centre-enquiry' });

    const adviserKey = await hub.keyFor('adviser', 'Northby Council Contact Centre');
    expect((await subscribe(adviserKey, { clientId: ids.adviser, purpose: 'contact-centre-enquiry', url: `${sink.url}/ok/x` })).json()).toMatchObject({ code: 'forbidden' });
    for (const bad of [
      { clientId: ids.adviser, purpose: 'contact-centre-enquiry', url: 'http://receiver.example.org/hook' },
      { clientId: ids.adviser, purpose: 'emergency', url: 'https://receiver.example.org/hook' },
      { clientId: ids.adviser, purpose: 'curiosity', url: 'https://receiver.example.org/hook' },
      { clientId: 999_999, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' },
      { clientId: ids.adviser, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook', eventTypes: ['citizen.deleted'] },
    ]) {
      const refused = await subscribe(dpo, bad);
      expect(refused.statusCode, JSON.stringify(bad)).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'validation-failed' });
    }
    const audited = await disclosures(hub.db.pool, { action: 'subscription.create' });
    expect(audited).toHaveLength(3);
    expect(JSON.stringify(audited)).not.toContain('whsec_');
  });

  it('writes outbox rows in the transaction that changes an account: a rolled-back change writes none', async () => {
    const db = await hub.db.pool.connect();
    try {
      await db.query('BEGIN');
      const doomed = await createCitizen(db, MODEL);
      expect((await db.query('SELECT 1 FROM citizen_outbox WHERE citizen_id = $1', [doomed])).rowCount).toBe(1);
      await db.query('ROLLBACK');
      expect((await hub.db.pool.query('SELECT 1 FROM citizen_outbox WHERE citizen_id = $1', [doomed])).rowCount).toBe(0);

      await db.query('BEGIN');
      const a = await createCitizen(db, MODEL, { system: 'revenues', sourceRef: 'PUB-A', linkedBy: 'model' });
      // Linked in the same transaction as its creation: still one event, citizen.created.
      await linkRecord(db, a, 'housing', 'PUB-A2', 'model', 10, MODEL);
      const b = await createCitizen(db, MODEL, { system: 'revenues', sourceRef: 'PUB-B', linkedBy: 'model' });
      await db.query('COMMIT');
      const rows = (await hub.db.pool.query<{ citizen_id: string; event_type: string; ref: string }>(
        'SELECT o.citizen_id, o.event_type, c.ref FROM citizen_outbox o JOIN citizen c ON c.id = o.citizen_id ORDER BY o.id')).rows;
      expect(rows.map((r) => [Number(r.citizen_id), r.event_type])).toEqual([[a, 'citizen.created'], [b, 'citizen.created']]);
      refs.a = rows[0]!.ref;
      refs.b = rows[1]!.ref;
    } finally {
      db.release();
    }
    source.add(person(refs.a, 'ALPHA')).add(person(refs.b, 'BRAVO', { phone: '+447700900002' }));
    // The police may see A (who consented to safeguarding sharing with them) and nothing of B.
    await addConsent(hub.db.pool, {
      citizenRef: refs.a, purpose: 'safeguarding', recipientOrgId: ids.policeOrg, from: '2020-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'DOC-1',
    }, ids.adviser);
  });

  it('delivers signed, filtered events; nothing for a citizen out of scope; a failing receiver is retried, then dead-lettered', async () => {
    const deps: PipelineDeps = {
      pool: hub.db.pool, logger: createLogger('silent'), matcher: new AddressMatcher(hub.db.pool), linkage: async () => null,
      publish: { source, policy: policyOptions(), retryLimit: 2, retryDelaySeconds: 1, timeoutMs: 2000 },
    };
    queue = await startQueue(hub.db.url, { jobs: pipelineJobs(deps), workers: true, log: () => undefined });
    deps.boss = queue.boss;
    await queue.boss.send('pipeline.publish', { ids: [] });

    const hits = (prefix: string) => sink.received.filter((r) => r.path.startsWith(prefix));
    for (let i = 0; i < 120 && (hits('/ok/').length < 3 || hits('/fail/').length < 6); i++) await sleep(250);
    let dead = 0;
    for (let i = 0; i < 40 && dead < 2; i++) {
      dead = (await pipelineStatus(hub.db.pool)).states.filter((s) => s.queue === 'pipeline.deliver.dead').reduce((n, s) => n + s.jobs, 0);
      if (dead < 2) await sleep(250);
    }

    const adviser = hits('/ok/adviser');
    expect(adviser).toHaveLength(2);
    for (const r of adviser) {
      expect(signedBy(secrets.adviser, r)).toBe(true);
      expect(verifySignature(secrets.adviser, r.body, String(r.headers['x-hub-signature']))).toBe(true);
      expect(signedBy(secrets.police, r)).toBe(false);
      expect(verifySignature(secrets.adviser, `${r.body} `, String(r.headers['x-hub-signature']))).toBe(false);
      const event = JSON.parse(r.body) as PublishedEvent;
      expect(r.headers['x-hub-event-id']).toBe(event.id);
      expect(r.headers['x-hub-event-type']).toBe('citizen.created');
      expect(event).toMatchObject({ type: 'citizen.created', purpose: 'contact-centre-enquiry' });
      expect(event.citizen.ref).toBe(event.citizenRef);
      expect(event.citizen.identity?.name.value.surname).toMatch(/ALPHA|BRAVO/);
      expect(event.citizen.contact).toHaveLength(1);
      // The agreement gives identity, contact and address: no entitlements (health, revenues), no source records.
      expect(event.citizen.entitlements ?? []).toEqual([]);
      expect(event.citizen.sourceRecords).toBeUndefined();
      expect(event.citizen.withheld).toEqual(expect.arrayContaining(['health-disability', 'revenues']));
    }
    expect(adviser.map((r) => (JSON.parse(r.body) as PublishedEvent).citizenRef).sort()).toEqual([refs.a, refs.b].sort());

    const police = hits('/ok/police');
    expect(police).toHaveLength(1);
    const seen = JSON.parse(police[0]!.body) as PublishedEvent;
    expect(signedBy(secrets.police, police[0]!)).toBe(true);
    expect(seen.citizenRef).toBe(refs.a);
    expect(seen.citizen.identity).toBeDefined();
    expect(seen.citizen.addresses).toHaveLength(1);
    expect(seen.citizen.contact ?? []).toEqual([]);
    expect(police[0]!.body).not.toContain('BRAVO');
    expect(police[0]!.body).not.toContain('07700');

    // Two events, each tried once and retried twice, with the same event id and body every time.
    const failed = hits('/fail/');
    expect(failed).toHaveLength(6);
    const byEvent = new Map<string, Set<string>>();
    for (const r of failed) byEvent.set(String(r.headers['x-hub-event-id']), (byEvent.get(String(r.headers['x-hub-event-id'])) ?? new Set()).add(r.body));
    expect([...byEvent.values()].map((bodies) => bodies.size)).toEqual([1, 1]);
    expect(dead).toBe(2);
    const rows = (await hub.db.pool.query<{ path: string; status: string; attempts: number; has_body: boolean; last_error: string | null }>(
      `SELECT s.url AS path, d.status, d.attempts, d.body IS NOT NULL AS has_body, d.last_error FROM publish_delivery d JOIN publish_subscription s ON s.id = d.subscription_id ORDER BY s.id, d.citizen_ref`)).rows;
    expect(rows.map((r) => [new URL(r.path).pathname, r.status, r.attempts, r.has_body])).toEqual([
      ['/ok/adviser', 'delivered', 1, false], ['/ok/adviser', 'delivered', 1, false],
      ['/ok/police', 'delivered', 1, false],
      ['/fail/adviser', 'dead', 3, false], ['/fail/adviser', 'dead', 3, false],
    ]);
    expect(rows.at(-1)!.last_error).toBe('receiver answered 503');

    const status = await run('src/cli/main.ts', ['pipeline', 'status'], { DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^pipeline\.deliver\t\d+\t\d+\t\d+\t\d+\t\d+\t2$/m);
    expect(status.stdout).toMatch(/^pipeline\.publish\t/m);
    expect(status.stdout).toMatch(/failed in pipeline\.deliver \(2\): receiver answered 503/);
    expect(status.stdout).toMatch(/\tNorthby Council Contact Centre\tyes\t0\t0\t2\treceiver answered 503$/m);
    expect(status.stdout).toContain('changes waiting to be published: 0');
  });

  it('audits every decision like a disclosure: what each subscriber was sent, and the denial for the citizen it may not see', async () => {
    const entries = await disclosures(hub.db.pool, { action: 'event.publish' });
    const of = (clientId: number, ref: string) => entries.filter((e) => e.clientId === clientId && e.citizenRef === ref);
    // Two adviser subscriptions, each decided for A and B.
    expect(of(ids.adviser, refs.a).map((e) => e.decision)).toEqual(['partial', 'partial']);
    expect(of(ids.adviser, refs.b)).toHaveLength(2);
    const policeA = of(ids.police, refs.a);
    expect(policeA).toHaveLength(1);
    expect(policeA[0]).toMatchObject({ purpose: 'safeguarding', role: 'partner', orgId: ids.policeOrg, decision: 'partial', agreements: [{ id: 'ISA-PUB-2', version: 1 }] });
    expect(policeA[0]!.categoriesDisclosed).toEqual(expect.arrayContaining(['identity', 'address']));
    expect(policeA[0]!.categoriesDisclosed).not.toContain('contact');
    expect(policeA[0]!.consentIds).toHaveLength(1);
    expect(of(ids.police, refs.b)).toMatchObject([{ decision: 'deny', categoriesDisclosed: [], fieldsDisclosed: [] }]);
    expect(await verifyAudit(hub.db.pool)).toMatchObject({ ok: true });
  });

  it('is idempotent: published changes are not published again, and a delivered event is not sent twice', async () => {
    const before = sink.received.length;
    await queue!.boss.send('pipeline.publish', {});
    await sleep(1500);
    expect(sink.received.length).toBe(before);
    const delivered = (await hub.db.pool.query<{ id: string }>("SELECT id FROM publish_delivery WHERE status = 'delivered' LIMIT 1")).rows[0]!;
    expect(await deliver({ pool: hub.db.pool, timeoutMs: 1000, clock: () => new Date(), policy: policyOptions(), source }, delivered.id, { retryCount: 0 })).toBe('skipped');
    expect(sink.received.length).toBe(before);
  });

  it('sends a subscription\'s dead letters again once its receiver works: decided afresh, audited, under their own event ids', async () => {
    const failing = (await hub.db.pool.query<{ id: string }>("SELECT id FROM publish_subscription WHERE url LIKE '%/fail/adviser'")).rows[0]!.id;
    const deadIds = (await hub.db.pool.query<{ id: string }>("SELECT id FROM publish_delivery WHERE subscription_id = $1 AND status = 'dead' ORDER BY id", [failing])).rows.map((r) => r.id);
    expect(deadIds).toHaveLength(2);
    const fixed = await hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${failing}`, headers: auth(dpo), payload: { url: `${sink.url}/ok/adviser-fixed` } });
    expect(fixed.statusCode).toBe(200);
    const audited = (await disclosures(hub.db.pool, { action: 'event.publish' })).length;

    const ctx = { pool: hub.db.pool, boss: queue!.boss, source, options: policyOptions(), clock: () => new Date() };
    expect(await redeliverDead(ctx, Number(failing))).toEqual({ requeued: 2, cancelled: 0 });
    const hits = () => sink.received.filter((r) => r.path === '/ok/adviser-fixed');
    for (let i = 0; i < 40 && hits().length < 2; i++) await sleep(250);
    expect(hits().map((r) => String(r.headers['x-hub-event-id'])).sort()).toEqual(deadIds);
    expect(hits().every((r) => signedBy(secrets.failing, r))).toBe(true);
    const rows = (await hub.db.pool.query<{ status: string; attempts: number }>('SELECT status, attempts FROM publish_delivery WHERE subscription_id = $1', [failing])).rows;
    expect(rows).toEqual([{ status: 'delivered', attempts: 1 }, { status: 'delivered', attempts: 1 }]);
    // Decided again under the policy as it stands, so audited again.
    expect((await disclosures(hub.db.pool, { action: 'event.publish' })).length).toBe(audited + 2);
    // Nothing dead is left to send, and nothing is audited for it; an unknown subscription is an error that says so.
    expect(await redeliverDead(ctx, Number(failing))).toEqual({ requeued: 0, cancelled: 0 });
    expect((await disclosures(hub.db.pool, { action: 'event.publish' })).length).toBe(audited + 2);
    await expect(redeliverDead(ctx, 999_999)).rejects.toThrow(/^there is no subscription 999999$/);
    const cli = await run('src/cli/main.ts', ['pipeline', 'redeliver', 'abc'], { DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/subscription must be a positive whole number/);
  });

  it('publishes a merge to subscribers of citizen.merged, naming the reference merged away', async () => {
    const db = await hub.db.pool.connect();
    let gone: string;
    try {
      await db.query('BEGIN');
      const c = await createCitizen(db, MODEL, { system: 'revenues', sourceRef: 'PUB-C', linkedBy: 'model' });
      gone = (await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [c])).rows[0]!.ref;
      const a = (await db.query<{ id: string }>('SELECT id FROM citizen WHERE ref = $1', [refs.a])).rows[0]!.id;
      await mergeCitizens(db, Number(a), c, MODEL);
      await db.query('COMMIT');
    } finally {
      db.release();
    }
    source.merged.set(gone, refs.a);
    const before = sink.received.length;
    await queue!.boss.send('pipeline.publish', {});
    // The police subscription gets the merge too, possibly first: wait for the adviser's.
    const adviserMerged = () => sink.received.filter((r) => r.path === '/ok/adviser' && r.headers['x-hub-event-type'] === 'citizen.merged');
    for (let i = 0; i < 40 && adviserMerged().length < 1; i++) await sleep(250);
    const merged = sink.received.slice(before).filter((r) => r.path === '/ok/adviser');
    // The account created and merged away in one go is not announced on its own: it has nothing left to show.
    expect(merged.map((r) => JSON.parse(r.body) as PublishedEvent).map((e) => [e.type, e.citizenRef, e.mergedRef])).toEqual([['citizen.merged', refs.a, gone]]);
  });

  it('stops deliveries when a subscription ends, for good; ending it is audited', async () => {
    const list = (await hub.app.inject({ url: '/v1/subscriptions', headers: auth(dpo) })).json() as { subscriptions: { id: number; url: string }[] };
    const police = list.subscriptions.find((s) => s.url.endsWith('/ok/police'))!;
    // A secret can be replaced while the subscription lives.
    const rotated = await hub.app.inject({ method: 'POST', url: `/v1/subscriptions/${police.id}/secret`, headers: auth(dpo) });
    expect(rotated.statusCode).toBe(200);
    expect((rotated.json() as { secret: string }).secret).not.toBe(secrets.police);
    expect((await hub.app.inject({ method: 'DELETE', url: `/v1/subscriptions/${police.id}`, headers: auth(dpo) })).statusCode).toBe(204);
    const after = (await hub.app.inject({ url: `/v1/subscriptions/${police.id}`, headers: auth(dpo) })).json() as { active: boolean; endedAt: string | null };
    expect(after).toMatchObject({ active: false, endedAt: expect.any(String) });
    expect(await disclosures(hub.db.pool, { action: 'subscription.end' })).toHaveLength(1);
    // Ended is final: it is not resumed, changed, given a new secret or ended twice.
    for (const [method, url, payload] of [
      ['PATCH', `/v1/subscriptions/${police.id}`, { active: true }], ['PATCH', `/v1/subscriptions/${police.id}`, { description: 'again' }],
      ['POST', `/v1/subscriptions/${police.id}/secret`, undefined], ['DELETE', `/v1/subscriptions/${police.id}`, undefined],
    ] as const) {
      const refused = await hub.app.inject({ method, url, headers: auth(dpo), ...(payload ? { payload } : {}) });
      expect(refused.statusCode, `${method} ${url}`).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'conflict', detail: expect.stringContaining('has ended') });
    }
    expect(await disclosures(hub.db.pool, { action: 'subscription.end' })).toHaveLength(1);
    expect((await hub.app.inject({ method: 'PATCH', url: '/v1/subscriptions/999999', headers: auth(dpo), payload: { active: true } })).json()).toMatchObject({ code: 'not-found' });
  });
  it('deletes finished deliveries and published changes after the retention period; a pending delivery stays while its job lives', async () => {
    const pool = hub.db.pool;
    // Two pending deliveries as the fan-out leaves them, one with its queue job and one whose job was lost.
    const pendings = (await pool.query<{ id: string; outbox_id: string }>(
      `INSERT INTO publish_delivery (id, outbox_id, subscription_id, citizen_ref, event_type, audit_request_id, sequence, body)
       SELECT gen_random_uuid(), o.id, s.id, 'C0000000000', o.event_type, 'test', 0, '{"name":"x"}' FROM citizen_outbox o CROSS JOIN publish_subscription s
        WHERE NOT EXISTS (SELECT 1 FROM publish_delivery d WHERE d.outbox_id = o.id AND d.subscription_id = s.id) LIMIT 2
       RETURNING id, outbox_id`)).rows;
    expect(pendings).toHaveLength(2);
    const [live, lost] = pendings as [{ id: string; outbox_id: string }, { id: string; outbox_id: string }];
    await queue!.stop(5000);
    queue = await startQueue(hub.db.url, { jobs: [], workers: false, log: () => undefined });
    await queue.boss.send(DELIVER_QUEUE, { deliveryId: live.id });
    await pool.query("UPDATE publish_delivery SET created_at = now() - interval '40 days', last_attempt_at = now() - interval '40 days'");
    await pool.query("UPDATE citizen_outbox SET published_at = now() - interval '40 days' WHERE published_at IS NOT NULL");
    const counts = await prunePublished(pool);
    expect(counts.deliveries).toBeGreaterThan(0);
    expect(counts.lost).toBe(1);
    const left = (await pool.query<{ id: string; status: string; body: string | null }>('SELECT id, status, body FROM publish_delivery ORDER BY id')).rows;
    expect(left).toEqual([
      { id: live.id, status: 'pending', body: '{"name":"x"}' },
      // A dead letter now, its body (personal data) dropped: `hub pipeline redeliver` decides and sends it afresh.
      { id: lost.id, status: 'dead', body: null },
    ].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect((await pool.query<{ id: string }>('SELECT id FROM citizen_outbox ORDER BY id')).rows.map((r) => r.id).sort())
      .toEqual([live.outbox_id, lost.outbox_id].sort());
    // Kept for a retention period of its own, from when it was found lost.
    await prunePublished(pool);
    expect((await pool.query('SELECT 1 FROM publish_delivery WHERE id = $1', [lost.id])).rowCount).toBe(1);
  });
});
