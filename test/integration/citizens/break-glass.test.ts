/**
 * Break-glass: a reason opens one citizen to one client for a limited time,
 * never anyone else; each search or occupants list needs a reason of its own.
 * The DPO's access explanation for emergency tells what a read with a reason
 * would open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

interface Entry {
  seq: number; requestId: string; action: string; citizenRef: string | null; decision: string; reviewRequired: boolean; breakGlassReason: string | null;
  categoriesDenied: string[]; categoriesDisclosed: string[]; agreements: { id: string; version: number }[]; reasons: Record<string, string>;
}
interface Explanation {
  caller: { role: string };
  summary: string;
  reviewRequired: boolean;
  categories: { category: string; permit: boolean; reason: string }[];
  breakGlass?: { reasonMinLength: number; minutes: number; liveGrants: { clientId: number; grantedAt: string; expiresAt: string }[] };
  agreements: { id: string; version: number; counts: boolean; reason: string }[];
}

describe('break-glass grants', () => {
  let hub: RegisterHub;
  let dpo: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const emergency = { 'x-purpose': 'emergency' };
  const because = (reason: string) => ({ ...emergency, 'x-break-glass-reason': reason });
  const read = (key: string, path: string, headers: Record<string, string> = emergency) =>
    hub.app.inject({ method: 'GET', url: path, headers: { ...auth(key), ...headers } });
  const log = async (query: string): Promise<Entry[]> => {
    const response = await hub.app.inject({ url: `/v1/audit/disclosures?${query}`, headers: auth(dpo) });
    expect(response.statusCode).toBe(200);
    return (response.json() as { entries: Entry[] }).entries;
  };
  /** A client's entries about one of this file's people (their references are not in the form the citizen filter takes). */
  const logOf = async (clientId: number, ref: string): Promise<Entry[]> => (await log(`client=${clientId}&limit=1000`)).filter((e) => e.citizenRef === ref);
  /** An adviser of an organisation with an emergency agreement (ISA-BG-POLICE), a client of its own per test: grants belong to their client. */
  const police = () => hub.key('adviser', 'Northby Police');
  let councilOrg: number;
  /** A sharing agreement the DPO registers; emergency, vital interests and 9(2)(c) unless overridden. */
  const register = async (id: string, recipients: number[], over: Record<string, unknown> = {}) => {
    const response = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: auth(dpo),
      payload: {
        id, title: 'Break-glass in an emergency', parties: { provider: { orgId: councilOrg }, recipients }, roles: null, purposes: ['emergency'],
        categories: ['identity', 'contact', 'address', 'health-disability', 'safeguarding'], lawfulBasis: 'vital-interests',
        art9Condition: { condition: 'c', text: '9(2)(c) vital interests of a person who cannot consent' },
        legalGateway: 'UK GDPR Art. 6(1)(d) vital interests', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
        ...over,
      },
    });
    expect(response.statusCode).toBe(201);
  };
  const change = async (id: string, path: string, body: Record<string, unknown>, method: 'PUT' | 'POST' = 'POST') => {
    const current = (await hub.app.inject({ url: `/v1/register/agreements/${id}`, headers: auth(dpo) })).json() as { version: number };
    const response = await hub.app.inject({ method, url: `/v1/register/agreements/${id}${path}`, headers: auth(dpo), payload: { version: current.version, ...body } });
    expect(response.statusCode).toBe(200);
  };
  const grants = async (clientId: number) => (await hub.db.pool.query<{ citizen_ref: string | null; reason: string }>(
    'SELECT citizen_ref, reason FROM break_glass_grant WHERE client_id = $1 ORDER BY id', [clientId])).rows;

  beforeAll(async () => {
    hub = await createRegisterHub();
    for (const ref of ['C1', 'C2', 'C3', 'C4']) hub.source.add(person(ref, 'ALPHA', { phone: `+4477009000${ref.slice(1)}` }));
    hub.source.merged.set('C9', 'C4');
    const governance = await hub.key('dpo', 'Northby Council Information Governance');
    dpo = governance.key;
    councilOrg = governance.orgId;
    await register('ISA-BG-POLICE', [(await police()).orgId]);
  });
  afterAll(async () => hub.close());

  it('opens only the citizen the reason was given for; another citizen needs a reason of its own', async () => {
    const adviser = await police();
    expect((await read(adviser.key, '/v1/citizens/C1')).statusCode).toBe(400);
    expect((await read(adviser.key, '/v1/citizens/C2', because('concern for welfare of C2'))).statusCode).toBe(200);
    // The grant serves its own citizen again without a reason...
    expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(200);
    // ...and nobody else: the refusal reads as it does for a reference that does not exist.
    const other = await read(adviser.key, '/v1/citizens/C1');
    const missing = await read(adviser.key, '/v1/citizens/C0000000077');
    expect([other.statusCode, (await read(adviser.key, '/v1/citizens/C3')).statusCode, missing.statusCode]).toEqual([400, 400, 400]);
    expect(other.json()).toMatchObject({ code: 'purpose-required' });
    const { code, detail, status } = other.json() as Record<string, unknown>;
    expect(missing.json()).toMatchObject({ code, detail, status });
    const refused = (await logOf(adviser.clientId, 'C1')).at(-1)!;
    expect(refused).toMatchObject({ decision: 'deny', reviewRequired: true, breakGlassReason: null });

    const own = await read(adviser.key, '/v1/citizens/C1', because('ambulance at the door of C1'));
    expect(own.statusCode).toBe(200);
    expect((own.json() as CitizenView).identity?.name.value.surname).toBe('ALPHA');
    expect((await read(adviser.key, '/v1/citizens/C1')).statusCode).toBe(200);
    const disclosed = (await logOf(adviser.clientId, 'C1')).filter((e) => e.decision !== 'deny');
    expect(disclosed.map((e) => [e.breakGlassReason, e.reviewRequired])).toEqual([['ambulance at the door of C1', true], ['ambulance at the door of C1', true]]);
    expect(await grants(adviser.clientId)).toEqual([
      { citizen_ref: 'C2', reason: 'concern for welfare of C2' },
      { citizen_ref: 'C1', reason: 'ambulance at the door of C1' },
    ]);
  });

  it('refuses a search or occupants list under emergency without its own reason, even with a live grant for a citizen', async () => {
    const adviser = await police();
    expect((await read(adviser.key, '/v1/citizens/C2', because('concern for welfare of C2'))).statusCode).toBe(200);
    const search = await read(adviser.key, '/v1/citizens?surname=ALPHA');
    expect(search.statusCode).toBe(400);
    expect(search.json()).toMatchObject({ code: 'purpose-required' });
    expect((await read(adviser.key, '/v1/properties/100000001/occupants')).statusCode).toBe(400);

    const found = await read(adviser.key, '/v1/citizens?surname=ALPHA', because('caller collapsed while on the phone'));
    expect(found.statusCode).toBe(200);
    expect((found.json() as { count: number }).count).toBe(4);
    const listed = (await log(`client=${adviser.clientId}&action=citizen.search`)).filter((e) => e.decision !== 'deny');
    expect(listed).toHaveLength(4);
    for (const entry of listed) expect(entry).toMatchObject({ reviewRequired: true, breakGlassReason: 'caller collapsed while on the phone' });
    expect((await read(adviser.key, '/v1/properties/100000001/occupants', because('gas leak reported at the property'))).statusCode).toBe(200);

    // The listings' grants are recorded with no citizen and open nothing afterwards.
    expect((await grants(adviser.clientId)).map((g) => g.citizen_ref)).toEqual(['C2', null, null]);
    expect((await read(adviser.key, '/v1/citizens?surname=ALPHA')).statusCode).toBe(400);
    expect((await read(adviser.key, '/v1/citizens/C3')).statusCode).toBe(400);
  });

  it('lets a grant expire, stores a merged reference\'s grant for its survivor, and leaves grants without a citizen opening nothing', async () => {
    const adviser = await police();
    const start = hub.clock.now;
    try {
      expect((await read(adviser.key, '/v1/citizens/C2', because('concern for welfare of C2'))).statusCode).toBe(200);
      hub.clock.now = new Date(start.getTime() + 30 * 60_000);
      expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(200);
      hub.clock.now = new Date(start.getTime() + 61 * 60_000);
      expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(400);
    } finally {
      hub.clock.now = start;
    }

    const moved = await read(adviser.key, '/v1/citizens/C9', because('welfare check for the old account'));
    expect(moved.statusCode).toBe(308);
    expect(moved.headers.location).toBe('/v1/citizens/C4');
    expect((await read(adviser.key, '/v1/citizens/C4')).statusCode).toBe(200);
    expect((await grants(adviser.clientId)).at(-1)).toEqual({ citizen_ref: 'C4', reason: 'welfare check for the old account' });

    // A grant made before grants named their citizen (migration 053 leaves it NULL) opens nobody.
    const old = await police();
    await hub.db.pool.query(
      'INSERT INTO break_glass_grant (client_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4)',
      [old.clientId, 'an old grant of the whole hub', start, new Date(start.getTime() + 60 * 60_000)],
    );
    expect((await read(old.key, '/v1/citizens/C1')).statusCode).toBe(400);
  });

  describe('only for an organisation an active agreement names for emergency', () => {
    const entryOf = async (clientId: number, requestId: string) => (await log(`client=${clientId}`)).filter((e) => e.requestId === requestId);
    const withheld = (response: { json(): unknown }) => (response.json() as CitizenView).withheld;

    it('refuses an organisation with no agreement, or one for other purposes only, as it refuses a citizen who does not exist, audited as a denial', async () => {
      const nobody = await hub.key('partner', 'Nobody Org');
      const other = await hub.key('partner', 'Northby Housing Association');
      await register('ISA-BG-HOUSING', [other.orgId], { purposes: ['safeguarding'] });
      for (const caller of [nobody, other]) {
        const reason = because('welfare check after 999 call');
        const one = await read(caller.key, '/v1/citizens/C1', reason);
        const missing = await read(caller.key, '/v1/citizens/C0000000077', reason);
        expect([one.statusCode, missing.statusCode]).toEqual([404, 404]);
        const { code, detail, status } = missing.json() as Record<string, unknown>;
        expect(one.json()).toMatchObject({ code, detail, status });
        const [entry, ...more] = await entryOf(caller.clientId, String(one.headers['x-request-id']));
        expect(more).toEqual([]);
        expect(entry).toMatchObject({
          citizenRef: 'C1', decision: 'deny', reviewRequired: true, breakGlassReason: 'welfare check after 999 call', categoriesDisclosed: [], agreements: [],
        });
        expect(entry!.reasons.identity).toMatch(/no sharing agreement in force allows break-glass/);

        const search = await read(caller.key, '/v1/citizens?surname=ALPHA', reason);
        expect(search.statusCode).toBe(200);
        expect(search.json()).toEqual({ count: 0, citizens: [] });
        const searched = await entryOf(caller.clientId, String(search.headers['x-request-id']));
        expect(searched.length).toBeGreaterThan(0);
        expect(searched.every((e) => e.decision === 'deny' && e.categoriesDisclosed.length === 0)).toBe(true);
        const occupants = await read(caller.key, '/v1/properties/100000001/occupants', reason);
        expect(occupants.json()).toEqual({ count: 0, citizens: [] });
        expect((await entryOf(caller.clientId, String(occupants.headers['x-request-id']))).every((e) => e.decision === 'deny')).toBe(true);
        // Refused, the reason opened no grant: none stands to open the citizen later or to show in their subject access.
        expect(await grants(caller.clientId)).toEqual([]);
      }
    });

    it('opens what break-glass opens and the agreement covers, a special category only under an Art. 9 condition, and names the agreement', async () => {
      const ambulance = await hub.key('partner', 'Northby Ambulance Service');
      await register('ISA-BG-AMBULANCE', [ambulance.orgId], { categories: ['identity', 'address', 'health-disability', 'revenues'], art9Condition: null });
      const first = await read(ambulance.key, '/v1/citizens/C1', because('patient unconscious at the address'));
      expect(first.statusCode).toBe(200);
      expect(withheld(first)).toEqual(DATA_CATEGORIES.filter((c) => !['identity', 'address'].includes(c)));
      const [entry] = await entryOf(ambulance.clientId, String(first.headers['x-request-id']));
      expect(entry).toMatchObject({ decision: 'partial', reviewRequired: true, agreements: [{ id: 'ISA-BG-AMBULANCE', version: 1 }] });
      expect(entry!.reasons['health-disability']).toMatch(/special category and agreement ISA-BG-AMBULANCE v1 has no Art. 9 condition/);
      expect(entry!.reasons.revenues).toMatch(/not available under break-glass/);

      await change('ISA-BG-AMBULANCE', '', { art9Condition: { condition: 'c', text: '9(2)(c) vital interests' } }, 'PUT');
      const second = await read(ambulance.key, '/v1/citizens/C1');
      expect(second.statusCode).toBe(200);
      expect(withheld(second)).toEqual(DATA_CATEGORIES.filter((c) => !['identity', 'address', 'health-disability'].includes(c)));
      expect((await entryOf(ambulance.clientId, String(second.headers['x-request-id'])))[0]).toMatchObject({ agreements: [{ id: 'ISA-BG-AMBULANCE', version: 2 }] });
    });

    it('refuses under a suspended or ended agreement, or one whose roles leave the caller out', async () => {
      const fire = await hub.key('partner', 'Northby Fire Service');
      await register('ISA-BG-FIRE', [fire.orgId]);
      expect((await read(fire.key, '/v1/citizens/C2', because('fire crew at the door of the flat'))).statusCode).toBe(200);
      await change('ISA-BG-FIRE', '/status', { status: 'suspended' });
      expect((await read(fire.key, '/v1/citizens/C2')).statusCode).toBe(404);
      expect((await read(fire.key, '/v1/citizens/C3', because('fire crew at the door of the flat'))).statusCode).toBe(404);
      await change('ISA-BG-FIRE', '/status', { status: 'active' });
      expect((await read(fire.key, '/v1/citizens/C2')).statusCode).toBe(200);
      await change('ISA-BG-FIRE', '', { roles: ['caseworker'] }, 'PUT');
      expect((await read(fire.key, '/v1/citizens/C2')).statusCode).toBe(404);
      await change('ISA-BG-FIRE', '', { roles: ['partner'] }, 'PUT');
      expect((await read(fire.key, '/v1/citizens/C2')).statusCode).toBe(200);
      await change('ISA-BG-FIRE', '/status', { status: 'ended' });
      expect((await read(fire.key, '/v1/citizens/C2')).statusCode).toBe(404);
      const [entry] = (await logOf(fire.clientId, 'C2')).slice(-1);
      expect(entry).toMatchObject({ decision: 'deny', reviewRequired: true });
      expect(entry!.reasons.identity).toMatch(/ISA-BG-FIRE v\d+ is ended/);
    });
  });

  describe('access explanation for emergency', () => {
    const explain = async (org: number, role: string) => {
      const response = await hub.app.inject({ url: `/v1/citizens/C3/access-explanation?org=${org}&purpose=emergency&role=${role}`, headers: auth(dpo) });
      expect(response.statusCode).toBe(200);
      return (response.json() as { explanations: Explanation[] }).explanations[0]!;
    };

    it('explains what a read with a reason opens, the same categories as the read itself, and the live grants', async () => {
      const caseworker = await hub.key('caseworker', 'Northby Police');
      const before = await explain(caseworker.orgId, 'caseworker');
      expect(before.summary).not.toMatch(/^nothing permitted/);
      expect(before.reviewRequired).toBe(true);
      expect(before.breakGlass).toEqual({ reasonMinLength: 10, minutes: 60, liveGrants: [] });
      const permitted = before.categories.filter((c) => c.permit).map((c) => c.category);
      expect(permitted).toEqual(['identity', 'contact', 'address', 'health-disability', 'safeguarding']);
      for (const c of before.categories.filter((c) => c.permit)) expect(c.reason).toMatch(/^break-glass under agreement ISA-BG-POLICE v1, .*written reason.*60 minutes, flagged for review/);
      expect(before.summary).toMatch(/permitted under break-glass \(.*\) by agreement ISA-BG-POLICE v1, only with a written reason/);
      expect(before.agreements).toEqual([{ id: 'ISA-BG-POLICE', version: 1, counts: true, reason: expect.stringContaining('in force') }]);

      const response = await read(caseworker.key, '/v1/citizens/C3', because('safeguarding concern raised by a neighbour'));
      expect(response.statusCode).toBe(200);
      const entry = (await logOf(caseworker.clientId, 'C3')).at(-1)!;
      expect(DATA_CATEGORIES.filter((c) => !entry.categoriesDenied.includes(c))).toEqual(permitted);

      const after = await explain(caseworker.orgId, 'caseworker');
      expect(after.breakGlass?.liveGrants).toEqual([{ clientId: caseworker.clientId, grantedAt: hub.clock.now.toISOString(), expiresAt: expect.any(String) }]);
      expect(after.summary).toMatch(/live grant for this citizen/);
    });

    it('explains that no agreement allows break-glass to an organisation none names for emergency', async () => {
      const nobody = await hub.key('partner', 'Nobody Org');
      const denied = await explain(nobody.orgId, 'partner');
      expect(denied.categories.every((c) => !c.permit)).toBe(true);
      expect(denied.summary).toBe('nothing permitted: no sharing agreement in force allows break-glass (purpose emergency) to this organisation; flagged for review');
      expect(denied.agreements).toEqual([]);
    });

    it('still explains a role that may not use break-glass as denied', async () => {
      const council = await hub.key('adviser', 'Northby Council Contact Centre');
      const denied = await explain(council.orgId, 'dpo');
      expect(denied.categories.every((c) => !c.permit)).toBe(true);
      expect(denied.summary).toBe('nothing permitted: role dpo may not use break-glass; flagged for review');
    });
  });
});
