import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import type { Role } from '../../../schemas/roles.js';
import { createClient } from '../../../src/auth/clients.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/**
 * The register, subject access, access explanations and the audit trail are
 * the council's information governance: a DPO (or admin) key of a partner
 * organisation is refused all of them, so it can neither give its own
 * organisation an agreement nor read what the council holds; a partner's DPO
 * lists only the disclosures made to its own organisation
 * (test/integration/audit/partner-dpo.test.ts).
 */
describe('council roles of a partner organisation', () => {
  let hub: RegisterHub;
  let councilDpo: string;
  let council: number;
  let police: number;
  let policeDpo: string;
  let policeAdmin: string;
  let policePartner: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const send = (method: 'POST' | 'PUT' | 'GET', url: string, key: string, payload?: unknown, headers: Record<string, string> = {}) =>
    hub.app.inject({ method, url, headers: { ...auth(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const agreement = (id: string, provider: number, recipient: number) => ({
    id, title: 'Everything', parties: { provider: { orgId: provider }, recipients: [recipient] }, roles: null, purposes: ['safeguarding'],
    categories: [...DATA_CATEGORIES], lawfulBasis: 'public-task', art9Condition: { condition: 'g', text: '9(2)(g) substantial public interest' },
    legalGateway: 'Crime and Disorder Act 1998 s.115', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
  });
  const refused = (response: { statusCode: number; json: () => unknown }) => {
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'council-organisation-required', detail: expect.stringContaining('not council-service') });
  };
  /** A key of the police organisation made before the rule (createClient now refuses admin and steward): made for a council one, then moved. */
  const policeKey = async (role: Role) => {
    const made = await hub.key(role, `Police ${role} key`);
    await hub.db.pool.query('UPDATE api_client SET org_id = $1 WHERE id = $2', [police, made.clientId]);
    return made.key;
  };

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    const d = await hub.key('dpo', 'Northby Council');
    councilDpo = d.key;
    council = d.orgId;
    police = (await send('POST', '/v1/register/organisations', councilDpo, { name: 'Northby Police', kind: 'police' })).json().id as number;
    policeDpo = await policeKey('dpo');
    policeAdmin = await policeKey('admin');
    policePartner = (await hub.key('partner', 'Northby Police')).key;
  });
  afterAll(async () => hub.close());

  it('cannot give its own organisation an agreement, so its partner key still reads nothing', async () => {
    refused(await send('POST', '/v1/register/agreements', policeDpo, agreement('ISA-SELF', police, police)));
    refused(await send('POST', '/v1/register/agreements', policeDpo, agreement('ISA-SELF', council, police)));
    refused(await send('POST', '/v1/register/organisations', policeDpo, { name: 'Northby Police Two', kind: 'police' }));
    expect((await send('GET', '/v1/register/agreements/ISA-SELF', councilDpo)).statusCode).toBe(404);
    expect((await send('GET', '/v1/citizens/C1', policePartner, undefined, { 'x-purpose': 'safeguarding' })).statusCode).toBe(404);
  });

  it("cannot change, suspend or end the council's agreements, nor record consents, objections or restrictions", async () => {
    const created = await send('POST', '/v1/register/agreements', councilDpo, { ...agreement('ISA-C1', council, council), categories: ['identity'] });
    expect(created.statusCode).toBe(201);
    refused(await send('PUT', '/v1/register/agreements/ISA-C1', policeDpo, { version: 1, parties: { provider: { orgId: council }, recipients: [council, police] } }));
    for (const status of ['suspended', 'ended']) refused(await send('POST', '/v1/register/agreements/ISA-C1/status', policeDpo, { version: 1, status }));
    expect(((await send('GET', '/v1/register/agreements/ISA-C1/versions', councilDpo)).json() as { versions: unknown[] }).versions).toHaveLength(1);

    refused(await send('POST', '/v1/citizens/C1/consents', policeDpo, {
      purpose: 'safeguarding', recipientOrgId: police, from: '2026-06-01T00:00:00Z', to: null, channel: 'paper', evidence: 'form',
    }));
    refused(await send('POST', '/v1/citizens/C1/objections', policeDpo, { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' }));
    refused(await send('POST', '/v1/citizens/C1/restrictions', policeDpo, { from: '2026-06-01T00:00:00Z', to: null, reason: 'x' }));
    for (const kind of ['consents', 'objections', 'restrictions']) expect((await send('GET', `/v1/citizens/C1/${kind}`, councilDpo)).json()[kind]).toEqual([]);
    // Each refused change about the citizen is recorded as a denial.
    const { rows } = await hub.db.pool.query("SELECT action, citizen_ref, decision FROM audit_log WHERE org_id = $1 AND action LIKE 'register.%' ORDER BY seq", [police]);
    expect(rows).toEqual(['consent', 'objection', 'restriction'].map((kind) => ({ action: `register.${kind}.create`, citizen_ref: 'C1', decision: 'deny' })));
  });

  it("reads neither a citizen's subject access export, an access explanation, nor the audit trail beyond its own organisation's disclosures; the refusals about the citizen are recorded", async () => {
    refused(await send('GET', '/v1/citizens/C1/subject-access', policeDpo));
    refused(await send('GET', `/v1/citizens/C1/access-explanation?org=${police}&purpose=safeguarding`, policeDpo));
    refused(await send('GET', '/v1/audit/verify', policeDpo));
    const { rows } = await hub.db.pool.query("SELECT action, citizen_ref, role, decision FROM audit_log WHERE org_id = $1 AND role = 'dpo' AND action LIKE 'citizen.%' ORDER BY seq", [police]);
    expect(rows).toEqual([
      { action: 'citizen.subject-access', citizen_ref: 'C1', role: 'dpo', decision: 'deny' },
      { action: 'citizen.access-explanation', citizen_ref: 'C1', role: 'dpo', decision: 'deny' },
    ]);
  });

  it("a partner's admin reads neither the register nor a citizen's records in it", async () => {
    refused(await send('GET', '/v1/register/agreements', policeAdmin));
    refused(await send('GET', '/v1/register/organisations', policeAdmin));
    refused(await send('GET', '/v1/citizens/C1/consents', policeAdmin));
    refused(await send('GET', '/v1/audit/verify', policeAdmin));
  });

  it('refuses a key that was admitted once its organisation is registered as a partner', async () => {
    const moved = await hub.key('dpo', 'Northby Council Information Governance');
    expect((await send('GET', '/v1/register/agreements', moved.key)).statusCode).toBe(200);
    await hub.db.pool.query("UPDATE organisation SET kind = 'police' WHERE id = $1", [moved.orgId]);
    // The key was remembered by the hub: the organisation's change reaches it by notification.
    let response = await send('GET', '/v1/register/agreements', moved.key);
    for (let i = 0; i < 100 && response.statusCode === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      response = await send('GET', '/v1/register/agreements', moved.key);
    }
    refused(response);
  });

  it('takes only a council organisation as the provider of an agreement', async () => {
    const notCouncil = (response: { statusCode: number; json: () => unknown }) => {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation-failed',
        errors: [{ path: 'body.parties.provider.orgId', message: `is organisation ${police}, of kind police: the provider must be a council organisation (council-service), as the hub shares only the council's data` }],
      });
    };
    notCouncil(await send('POST', '/v1/register/agreements', councilDpo, agreement('ISA-P1', police, police)));
    expect((await send('POST', '/v1/register/agreements', councilDpo, agreement('ISA-P1', council, police))).statusCode).toBe(201);
    notCouncil(await send('PUT', '/v1/register/agreements/ISA-P1', councilDpo, { version: 1, parties: { provider: { orgId: police }, recipients: [police] } }));

    // One registered before the rule says so, and can still be ended.
    await hub.db.pool.query(`INSERT INTO sharing_agreement (id, version, current, title, provider_org_id, recipient_org_ids, roles, purposes, categories,
        lawful_basis, art9_condition, legal_gateway, dpia_reference, start_date, end_date, review_date, status)
      SELECT 'ISA-OLD', 1, true, title, $1, recipient_org_ids, roles, purposes, categories, lawful_basis, art9_condition, legal_gateway,
        dpia_reference, start_date, end_date, review_date, status FROM sharing_agreement WHERE id = 'ISA-P1'`, [police]);
    expect((await send('GET', '/v1/register/agreements/ISA-OLD', councilDpo)).json().warnings).toEqual([
      `parties.provider.orgId is organisation ${police}, of kind police: the provider must be a council organisation (council-service), as the hub shares only the council's data; registered before that was checked`,
    ]);
    expect((await send('GET', '/v1/register/agreements/ISA-P1', councilDpo)).json().warnings).toEqual([]);
    expect((await send('POST', '/v1/register/agreements/ISA-OLD/status', councilDpo, { version: 1, status: 'ended' })).json()).toMatchObject({ version: 2, status: 'ended' });
  });

  it("makes no key of a council role for a partner organisation, but its DPO's", async () => {
    for (const role of ['admin', 'steward'] as const) {
      await expect(createClient(hub.db.pool, { org: 'Northby Police', role })).rejects.toThrow(`role ${role} acts for the council: its organisation must be of kind council-service, not police`);
    }
    await expect(createClient(hub.db.pool, { org: 'Southby Police', orgKind: 'police', role: 'admin' })).rejects.toThrow(/not police/);
    expect((await hub.db.pool.query("SELECT 1 FROM organisation WHERE name = 'Southby Police'")).rowCount).toBe(0);
    // A kind given must be the organisation's: it was silently ignored for an organisation that exists.
    await expect(createClient(hub.db.pool, { org: 'Northby Police', orgKind: 'council-service', role: 'dpo' })).rejects.toThrow('organisation Northby Police is registered with kind police, not council-service');
    await expect(createClient(hub.db.pool, { org: 'Northby Police', orgKind: 'police', role: 'partner' })).resolves.toMatchObject({ client: { orgId: police, orgKind: 'police' } });
    await expect(createClient(hub.db.pool, { org: 'Northby Police', orgKind: 'police', role: 'dpo' })).resolves.toMatchObject({ client: { orgId: police, orgKind: 'police', role: 'dpo' } });
  });
});
