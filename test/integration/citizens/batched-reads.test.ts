import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../../../src/audit/store.js';
import { createClient, type AuthenticatedClient } from '../../../src/auth/clients.js';
import { discloseCitizen, type DisclosureContext } from '../../../src/citizens/disclosure.js';
import { IDLE_READ_CONNECTION_MS, pipelinedPool } from '../../../src/db/transaction.js';
import { policyOptions } from '../../../src/policy/options.js';
import { RegisterInputCache } from '../../../src/register/input-cache.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

/**
 * Reads of citizens decided from cached agreements that arrive together
 * share one transaction (src/citizens/disclosure.ts, readCached): each must
 * still get its own view and its own audit entry committed with it, a read
 * whose guard fails must go to the register alone, and a failing audit
 * insert must disclose nothing for the read it fails.
 */
describe('batched citizen reads', () => {
  let hub: RegisterHub;
  let ctx: DisclosureContext;
  let adviser: AuthenticatedClient;
  let police: AuthenticatedClient;
  let dpo: string;

  /** Reads asked for in the same turn of the event loop, so that they are gathered into one batch. */
  const together = (client: AuthenticatedClient, purpose: string, refs: string[]) => refs.map((ref) => {
    const requestId = `${ref}-${randomUUID()}`;
    return { ref, requestId, outcome: discloseCitizen(ctx, { client, purpose, breakGlassReason: null, requestId, action: 'citizen.read' }, ref) };
  });
  const entriesOf = async (requestIds: string[]) => (await hub.db.pool.query<{ request_id: string; citizen_ref: string; decision: string; tx: string; fields: string[] }>(
    `SELECT l.request_id, l.citizen_ref, l.decision, l.tx::text AS tx, coalesce(l.fields_disclosed, p.text::jsonb) AS fields
       FROM audit_log l LEFT JOIN audit_part p ON p.hash = l.fields_part WHERE l.request_id = ANY($1) ORDER BY l.seq`, [requestIds])).rows;

  beforeAll(async () => {
    hub = await createRegisterHub();
    for (let i = 1; i <= 6; i++) hub.source.add(person(`C${i}`, `SURNAME${i}`, { uprn: 100000000 + i }));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = (await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' })).client;
    police = (await createClient(hub.db.pool, { org: 'Northby Police', role: 'partner' })).client;
    const agreement = (id: string, recipient: number, purpose: string, lawfulBasis: string) => hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id, title: id, parties: { provider: { orgId: adviser.orgId }, recipients: [recipient] }, roles: null, purposes: [purpose],
        categories: ['identity', 'address'], lawfulBasis, art9Condition: null, legalGateway: 'Local Government Act 1972 s.111',
        dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect((await agreement('ISA-B', adviser.orgId, 'contact-centre-enquiry', 'public-task')).statusCode).toBe(201);
    expect((await agreement('ISA-P', police.orgId, 'safeguarding', 'consent')).statusCode).toBe(201);
    ctx = {
      pool: pipelinedPool(hub.db.pool, () => undefined), source: hub.source, clock: () => hub.clock.now, cache: new RegisterInputCache(),
      options: policyOptions({ extraPurposes: ['housing-allocation'], breakGlassMinutes: 60 }),
    };
    // The first read of each organisation reads the register and caches its agreements.
    for (const [client, purpose] of [[adviser, 'contact-centre-enquiry'], [police, 'safeguarding']] as const) {
      await Promise.all(together(client, purpose, ['C1']).map((r) => r.outcome));
    }
  });
  afterAll(async () => {
    await ctx.pool.end();
    await hub.close();
  });

  it('reads on the connections it has, kept open through a lull longer than pg\'s default 10 s', async () => {
    expect(IDLE_READ_CONNECTION_MS).toBeGreaterThanOrEqual(60_000);
    expect(ctx.pool.options.idleTimeoutMillis).toBe(IDLE_READ_CONNECTION_MS);
    const backend = async () => (await ctx.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const before = { total: ctx.pool.totalCount, pid: await backend() };
    await Promise.all(together(adviser, 'contact-centre-enquiry', ['C2']).map((r) => r.outcome));
    expect(ctx.pool.totalCount).toBe(before.total);
    expect(await backend()).toBe(before.pid);
  });

  it('gives each read of a batch its own view and its own audit entry, all in one transaction', async () => {
    const reads = together(adviser, 'contact-centre-enquiry', ['C1', 'C2', 'C3', 'C4', 'C5']);
    for (const read of reads) {
      const outcome = await read.outcome;
      expect(outcome.kind).toBe('ok');
      const view = (outcome as { value: { ref: string; identity?: { name: { value: { surname: string } } }; contact?: unknown } }).value;
      expect(view.ref).toBe(read.ref);
      expect(view.identity?.name.value.surname).toBe(`SURNAME${read.ref.slice(1)}`);
      expect(view.contact).toBeUndefined();
    }
    const entries = await entriesOf(reads.map((r) => r.requestId));
    expect(entries.map((e) => [e.request_id, e.citizen_ref, e.decision])).toEqual(
      expect.arrayContaining(reads.map((r) => [r.requestId, r.ref, 'partial'])));
    expect(entries).toHaveLength(5);
    expect(new Set(entries.map((e) => e.tx)).size).toBe(1);
    expect(await verifyAudit(hub.db.pool)).toMatchObject({ ok: true });
  });

  it('sends a read whose guard fails to the register alone, and discloses the others from the batch', async () => {
    await hub.db.pool.query("INSERT INTO restriction (citizen_ref, valid_from, reason) VALUES ('C2', '2026-01-01', 'accuracy contested')");
    // C404 does not exist: no entry, so the entries inserted are not the reads' positions.
    const reads = together(adviser, 'contact-centre-enquiry', ['C404', 'C1', 'C2', 'C3']);
    const outcomes = await Promise.all(reads.map((r) => r.outcome));
    expect(outcomes.map((o) => o.kind)).toEqual(['not-found', 'ok', 'not-found', 'ok']);
    const entries = await entriesOf(reads.map((r) => r.requestId));
    expect(entries).toHaveLength(3);
    const [c1, c3] = [entries.find((e) => e.citizen_ref === 'C1')!, entries.find((e) => e.citizen_ref === 'C3')!];
    const c2 = entries.filter((e) => e.citizen_ref === 'C2');
    expect(c1.tx).toBe(c3.tx);
    // The restricted citizen's one entry is the register's denial, written in a transaction of its own.
    expect(c2.map((e) => e.decision)).toEqual(['deny']);
    expect(c2[0]!.tx).not.toBe(c1.tx);
  });

  it('discloses nothing for a read whose audit insert fails, and still serves the others of its batch', async () => {
    await hub.db.pool.query(`CREATE FUNCTION refuse_c4() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.citizen_ref = 'C4' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`);
    await hub.db.pool.query('CREATE TRIGGER refuse_c4 BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_c4()');
    try {
      const reads = together(adviser, 'contact-centre-enquiry', ['C1', 'C4', 'C5']);
      const settled = await Promise.allSettled(reads.map((r) => r.outcome));
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.kind)).toEqual(['ok', 'ok']);
      const entries = await entriesOf(reads.map((r) => r.requestId));
      expect(entries.map((e) => e.citizen_ref).sort()).toEqual(['C1', 'C5']);
    } finally {
      await hub.db.pool.query('DROP TRIGGER refuse_c4 ON audit_log');
      await hub.db.pool.query('DROP FUNCTION refuse_c4()');
    }
    expect(await verifyAudit(hub.db.pool)).toMatchObject({ ok: true });
  });

  it('takes a consent, and its withdrawal, into account on the next batch', async () => {
    const kinds = async () => (await Promise.all(together(police, 'safeguarding', ['C5', 'C6']).map((r) => r.outcome))).map((o) => o.kind);
    expect(await kinds()).toEqual(['not-found', 'not-found']);
    const consent = await hub.app.inject({
      method: 'POST', url: '/v1/citizens/C6/consents', headers: { authorization: `Bearer ${dpo}` },
      payload: { purpose: 'safeguarding', recipientOrgId: police.orgId, from: '2026-06-01T00:00:00.000Z', to: null, channel: 'in-person', evidence: 'DOC-6' },
    });
    expect(consent.statusCode).toBe(201);
    expect(await kinds()).toEqual(['not-found', 'ok']);
    const withdrawn = await hub.app.inject({
      method: 'POST', url: `/v1/citizens/C6/consents/${(consent.json() as { id: string }).id}/withdraw`, headers: { authorization: `Bearer ${dpo}` }, payload: {},
    });
    expect(withdrawn.statusCode).toBe(200);
    expect(await kinds()).toEqual(['not-found', 'not-found']);
  });

  it('answers many concurrent reads through the route, each with its own entry', async () => {
    const { key, clientId } = await hub.key('adviser', 'Northby Council Contact Centre');
    const refs = Array.from({ length: 24 }, (_, i) => `C${1 + (i % 6)}`).filter((ref) => ref !== 'C2');
    const responses = await Promise.all(refs.map((ref) => hub.app.inject({
      method: 'GET', url: `/v1/citizens/${ref}`, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' },
    })));
    expect(responses.map((r) => r.statusCode)).toEqual(refs.map(() => 200));
    expect(responses.map((r) => (r.json() as { ref: string }).ref)).toEqual(refs);
    const { rows } = await hub.db.pool.query<{ citizen_ref: string; request_id: string }>(
      'SELECT citizen_ref, request_id FROM audit_log WHERE client_id = $1', [clientId]);
    expect(rows.map((r) => r.citizen_ref).sort()).toEqual([...refs].sort());
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(refs.length);
  });
});
