import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizenRef } from '../../../src/linkage/reference.js';
import { run } from '../../support/process.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

interface Row { seq: number; action: string; client_id: number; org_id: number; role: string; purpose: string; citizen_ref: string | null; decision: string; request_id: string; detail: Record<string, unknown> | null }

/** A listing of the trail tells who saw a person's data and names their objections: it is itself audited. */
describe('GET /v1/audit/disclosures and hub audit disclosures are audited', () => {
  const C1 = citizenRef(1);
  let hub: RegisterHub;
  let dpo: { key: string; clientId: number; orgId: number };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const listings = async () => (await hub.db.pool.query<Row>(
    "SELECT seq, action, client_id, org_id, role, purpose, citizen_ref, decision, request_id, detail FROM audit_log WHERE action = 'audit.disclosures.list' ORDER BY seq",
  )).rows;

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person(C1, 'ALPHA'));
    dpo = await hub.key('dpo', 'Information Governance');
    const objection = await hub.app.inject({
      method: 'POST', url: `/v1/citizens/${C1}/objections`, headers: auth(dpo.key), payload: { purpose: 'statistics-research', recipientOrgId: null, from: '2026-06-01T00:00:00Z' },
    });
    expect(objection.statusCode).toBe(201);
  });
  afterAll(async () => hub.close());

  it('records a listing by citizen as an oversight read about that citizen, in the listing\'s transaction, and subject access shows it', async () => {
    const listed = await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${C1}`, headers: auth(dpo.key) });
    expect(listed.statusCode).toBe(200);
    const shown = (listed.json() as { entries: { action: string }[] }).entries;
    expect(shown.map((e) => e.action)).toEqual(['register.objection.create']);
    const rows = await listings();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      client_id: dpo.clientId, org_id: dpo.orgId, role: 'dpo', purpose: 'data-protection-oversight', citizen_ref: C1, decision: 'permit',
      request_id: listed.headers['x-request-id'] ?? expect.any(String),
      detail: { filters: { citizen: [C1], after: 0, limit: 100 }, count: 1 },
    });
    const access = (await hub.app.inject({ url: `/v1/citizens/${C1}/subject-access`, headers: auth(dpo.key) })).json() as { disclosures: { action: string }[] };
    expect(access.disclosures.map((e) => e.action)).toContain('audit.disclosures.list');
  });

  it('records a listing not filtered by citizen once, about no one', async () => {
    const listed = await hub.app.inject({ url: `/v1/audit/disclosures?org=${dpo.orgId}&action=register.objection.create`, headers: auth(dpo.key) });
    expect(listed.statusCode).toBe(200);
    const last = (await listings()).at(-1)!;
    expect(last).toMatchObject({ citizen_ref: null, purpose: 'data-protection-oversight', detail: { filters: { org: dpo.orgId, action: 'register.objection.create' }, count: 1 } });
    // A refused query lists nothing and records nothing.
    const before = (await listings()).length;
    expect((await hub.app.inject({ url: '/v1/audit/disclosures?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', headers: auth(dpo.key) })).statusCode).toBe(400);
    expect(await listings()).toHaveLength(before);
  });

  it('lists nothing when the listing\'s entry cannot be written', async () => {
    await hub.db.pool.query(`CREATE FUNCTION refuse_listing_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'audit.disclosures.list' THEN RAISE EXCEPTION 'audit insert refused'; END IF; RETURN NEW; END $$`);
    await hub.db.pool.query('CREATE TRIGGER refuse_listing_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_listing_audit()');
    try {
      const listed = await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${C1}`, headers: auth(dpo.key) });
      expect(listed.statusCode).toBe(500);
      expect(listed.body).not.toContain('register.objection.create');
    } finally {
      await hub.db.pool.query('DROP TRIGGER refuse_listing_audit ON audit_log');
      await hub.db.pool.query('DROP FUNCTION refuse_listing_audit()');
    }
  });

  it('records hub audit disclosures too, under the command\'s stand-in client 0, naming the command', async () => {
    const before = (await listings()).length;
    const result = await run('test/integration/audit/audit-cli.ts', ['audit', 'disclosures', '--citizen', C1], { DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });
    expect(result.code).toBe(0);
    const rows = await listings();
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toMatchObject({
      client_id: 0, org_id: 0, role: 'dpo', purpose: 'data-protection-oversight', citizen_ref: C1, request_id: expect.stringMatching(/^cli-/),
      detail: { command: 'hub audit disclosures', filters: { citizen: [C1] } },
    });
    const access = (await hub.app.inject({ url: `/v1/citizens/${C1}/subject-access`, headers: auth(dpo.key) })).json() as { disclosures: { action: string; clientId: number }[] };
    expect(access.disclosures.filter((e) => e.action === 'audit.disclosures.list').map((e) => e.clientId)).toContain(0);
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo.key) })).json()).toMatchObject({ ok: true });
  }, 180_000);
});
