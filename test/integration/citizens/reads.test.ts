import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

interface Entry { seq: number; action: string; detail?: unknown; review?: unknown; citizenRef: string | null; decision: string; purpose: string; clientId: number; reviewRequired: boolean; breakGlassReason: string | null; categoriesDisclosed: string[]; fieldsDisclosed: string[]; agreements: { id: string; version: number }[]; consentIds: string[] }

describe('citizen reads with purpose, policy and audit', () => {
  let hub: RegisterHub;
  let dpo: string;
  let adviser: { key: string; clientId: number; orgId: number };
  let police: { key: string; clientId: number; orgId: number };
  let health: { key: string; clientId: number; orgId: number };
  let councilOrg: number;

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const read = (key: string, path: string, headers: Record<string, string> = { 'x-purpose': 'contact-centre-enquiry' }) =>
    hub.app.inject({ method: 'GET', url: path, headers: { ...auth(key), ...headers } });
  const post = (path: string, payload: unknown) => hub.app.inject({ method: 'POST', url: path, headers: auth(dpo), payload: payload as object });
  const log = async (query: string): Promise<Entry[]> => {
    const response = await hub.app.inject({ url: `/v1/audit/disclosures?${query}`, headers: auth(dpo) });
    expect(response.statusCode).toBe(200);
    return (response.json() as { entries: Entry[] }).entries;
  };
  /** The entries about one of this file's people (their references are not in the form the citizen filter takes). */
  const logOf = async (ref: string, query = ''): Promise<Entry[]> => (await log(`${query}&limit=1000`)).filter((e) => e.citizenRef === ref);
  const agreement = (over: Record<string, unknown>) => ({
    title: 'Contact centre enquiries',
    parties: { provider: { orgId: councilOrg }, recipients: [adviser.orgId] },
    roles: null,
    purposes: ['contact-centre-enquiry'],
    categories: ['identity', 'contact', 'address', 'health-disability'],
    lawfulBasis: 'public-task',
    art9Condition: null,
    legalGateway: 'Local Government Act 1972 s.111',
    dpiaReference: 'DPIA-2026-01',
    startDate: '2026-01-01',
    endDate: null,
    reviewDate: '2027-01-01',
    status: 'active',
    ...over,
  });

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA', { phone: '+447700900001' }))
      .add(person('C2', 'ALPHA', { phone: '+447700900002' }))
      .add(person('C3', 'BRAVO', { phone: '+447700900003', uprn: 100000009 }));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    police = await hub.key('partner', 'Northby Police');
    health = await hub.key('partner', 'Northby Health Trust');
    councilOrg = adviser.orgId;
    expect((await post('/v1/register/agreements', { id: 'ISA-1', ...agreement({}) })).statusCode).toBe(201);
    const isa2 = await post('/v1/register/agreements', {
      id: 'ISA-2',
      ...agreement({ parties: { provider: { orgId: councilOrg }, recipients: [police.orgId] }, purposes: ['safeguarding'], categories: ['identity', 'address'], lawfulBasis: 'consent' }),
    });
    expect(isa2.statusCode).toBe(201);
    // Break-glass only where an agreement allows it: the contact centre's advisers may break the glass.
    const isa3 = await post('/v1/register/agreements', {
      id: 'ISA-3',
      ...agreement({
        title: 'Break-glass in an emergency', purposes: ['emergency'], categories: ['identity', 'contact', 'address', 'health-disability', 'safeguarding'],
        lawfulBasis: 'vital-interests', art9Condition: { condition: 'c', text: '9(2)(c) vital interests of a person who cannot consent' },
        legalGateway: 'UK GDPR Art. 6(1)(d) vital interests',
      }),
    });
    expect(isa3.statusCode).toBe(201);
  });
  afterAll(async () => hub.close());

  it('refuses a read without a purpose or with an unknown one, and accepts a configured extra purpose', async () => {
    const missing = await read(adviser.key, '/v1/citizens/C1', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'purpose-required' });
    const unknown = await read(adviser.key, '/v1/citizens/C1', { 'x-purpose': 'curiosity' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'purpose-required' });
    expect((await read(adviser.key, '/v1/citizens?surname=ALPHA', {})).statusCode).toBe(400);
    expect((await read(adviser.key, '/v1/properties/100000001/occupants', { 'x-purpose': 'nosiness' })).statusCode).toBe(400);
    // Known (configured) but no agreement covers it: nothing to see.
    expect((await read(adviser.key, '/v1/citizens/C1', { 'x-purpose': 'housing-allocation' })).statusCode).toBe(404);
  });

  it('audits a read refused for want of a known purpose, or of a reason, recording the purpose only as a purpose name', async () => {
    const entriesOf = async (response: { headers: Record<string, unknown> }) => (await hub.db.pool.query<Record<string, unknown>>(
      `SELECT action, citizen_ref, decision, purpose, break_glass_reason, review_required, categories_disclosed, detail FROM audit_log WHERE request_id = $1`,
      [response.headers['x-request-id']])).rows;
    const refusal = (action: string, citizenRef: string | null, purpose: string, refused: string) => ({
      action, citizen_ref: citizenRef, decision: 'deny', purpose, break_glass_reason: null, review_required: purpose === 'emergency', categories_disclosed: [], detail: { refused },
    });
    const cases: [path: string, headers: Record<string, string>, action: string, citizenRef: string | null, purpose: string, refused: string][] = [
      ['/v1/citizens/C1', {}, 'citizen.read', 'C1', '(none)', 'purpose-missing'],
      ['/v1/citizens/C1', { 'x-purpose': '   ' }, 'citizen.read', 'C1', '(none)', 'purpose-missing'],
      ['/v1/citizens/C1', { 'x-purpose': 'gossip' }, 'citizen.read', 'C1', 'gossip', 'purpose-unknown'],
      ['/v1/citizens/C1', { 'x-purpose': 'Mrs Zebedee on 07700 900123' }, 'citizen.read', 'C1', '(not recorded)', 'purpose-unknown'],
      ['/v1/citizens/C1', { 'x-purpose': `a${'b'.repeat(64)}` }, 'citizen.read', 'C1', '(not recorded)', 'purpose-unknown'],
      // The hub's own purposes are never a caller's: recorded as one, a refused read would pass for the hub's own work.
      ['/v1/citizens/C1', { 'x-purpose': 'subject-access' }, 'citizen.read', 'C1', '(not recorded)', 'purpose-unknown'],
      ['/v1/citizens/C1', { 'x-purpose': 'emergency', 'x-break-glass-reason': 'urgent' }, 'citizen.read', 'C1', 'emergency', 'break-glass-reason-too-short'],
      ['/v1/citizens?surname=ALPHA', {}, 'citizen.search', null, '(none)', 'purpose-missing'],
      ['/v1/properties/100000001/occupants', { 'x-purpose': 'nosiness' }, 'property.occupants', null, 'nosiness', 'purpose-unknown'],
    ];
    for (const [path, headers, action, citizenRef, purpose, refused] of cases) {
      const response = await read(adviser.key, path, headers);
      expect(response.statusCode).toBe(400);
      expect(await entriesOf(response), `${path} ${JSON.stringify(headers)}`).toEqual([refusal(action, citizenRef, purpose, refused)]);
    }
    // A reference that does not exist is refused and audited alike: the answer tells nothing of whom the hub holds.
    for (const headers of [{}, { 'x-purpose': 'gossip' }] as Record<string, string>[]) {
      const known = await read(adviser.key, '/v1/citizens/C1', headers);
      const unknown = await read(adviser.key, '/v1/citizens/C0000000077', headers);
      const body = (response: typeof known) => ({ ...(response.json() as Record<string, unknown>), requestId: undefined, instance: undefined });
      expect([unknown.statusCode, body(unknown)]).toEqual([known.statusCode, body(known)]);
      expect((await entriesOf(unknown))[0]).toMatchObject({ citizen_ref: 'C0000000077', decision: 'deny' });
    }
    const { rows } = await hub.db.pool.query("SELECT 1 FROM audit_log WHERE purpose LIKE '%900123%' OR detail::text LIKE '%900123%'");
    expect(rows).toEqual([]);
  });

  it('discloses only the categories the agreement grants; a special category needs an Art. 9 condition', async () => {
    const response = await read(adviser.key, '/v1/citizens/C1');
    expect(response.statusCode).toBe(200);
    const view = response.json() as CitizenView;
    expect(view.identity?.name.value.surname).toBe('ALPHA');
    expect(view.contact).toHaveLength(1);
    expect(view.entitlements).toEqual([]);
    expect(view.sourceRecords).toBeUndefined();
    expect(view.household).toBeUndefined();
    expect(view.withheld).toEqual(expect.arrayContaining(['health-disability', 'revenues', 'household', 'service-involvement']));
    const [entry] = (await logOf('C1')).filter((e) => e.action === 'citizen.read').slice(-1);
    expect(entry).toMatchObject({ decision: 'partial', clientId: adviser.clientId, agreements: [{ id: 'ISA-1', version: 1 }] });
    expect(entry!.categoriesDisclosed).toEqual(['identity', 'contact', 'address']);
    expect(entry!.fieldsDisclosed).toContain('identity.name.surname');

    const v1 = await hub.app.inject({ url: '/v1/register/agreements/ISA-1', headers: auth(dpo) });
    const update = await hub.app.inject({
      method: 'PUT', url: '/v1/register/agreements/ISA-1', headers: auth(dpo),
      payload: { version: (v1.json() as { version: number }).version, art9Condition: { condition: 'g', text: '9(2)(g) substantial public interest, DPA 2018 Sch. 1 para 6' } },
    });
    expect(update.statusCode).toBe(200);
    expect(update.json()).toMatchObject({ version: 2 });
    const after = (await read(adviser.key, '/v1/citizens/C1')).json() as CitizenView;
    expect(after.entitlements?.map((e) => e.entitlement.kind)).toEqual(['disability']);
    expect(after.withheld).not.toContain('health-disability');
  });

  it('answers 404 to a partner without an agreement, and its search neither lists nor counts anyone', async () => {
    const one = await read(health.key, '/v1/citizens/C1', { 'x-purpose': 'safeguarding' });
    expect(one.statusCode).toBe(404);
    const missing = await read(health.key, '/v1/citizens/NOPE', { 'x-purpose': 'safeguarding' });
    expect(one.json().detail).toBe(missing.json().detail);
    const search = await read(health.key, '/v1/citizens?surname=ALPHA', { 'x-purpose': 'safeguarding' });
    expect(search.statusCode).toBe(200);
    expect(search.json()).toEqual({ count: 0, citizens: [] });
    const occupants = await read(health.key, '/v1/properties/100000001/occupants', { 'x-purpose': 'safeguarding' });
    expect(occupants.json()).toEqual({ count: 0, citizens: [] });
    const denials = (await log(`client=${health.clientId}`)).filter((e) => e.citizenRef === 'C1');
    expect(denials.length).toBeGreaterThanOrEqual(3);
    expect(denials.every((e) => e.decision === 'deny' && e.categoriesDisclosed.length === 0)).toBe(true);
  });

  it('lets a consent-based agreement disclose only citizens who consented; withdrawal takes effect on the next request', async () => {
    const safeguarding = { 'x-purpose': 'safeguarding' };
    expect((await read(police.key, '/v1/citizens/C1', safeguarding)).statusCode).toBe(404);
    const consent = await post('/v1/citizens/C1/consents', {
      purpose: 'safeguarding', recipientOrgId: police.orgId, from: '2026-06-01T00:00:00.000Z', to: null, channel: 'in-person', evidence: 'DOC-001',
    });
    expect(consent.statusCode).toBe(201);
    const consentId = (consent.json() as { id: string }).id;
    const seen = await read(police.key, '/v1/citizens/C1', safeguarding);
    expect(seen.statusCode).toBe(200);
    const partial = seen.json() as CitizenView;
    expect(partial.identity?.name.value.surname).toBe('ALPHA');
    expect(partial.addresses).toHaveLength(1);
    expect(partial.contact).toBeUndefined();
    expect(partial.entitlements).toEqual([]);
    const search = (await read(police.key, '/v1/citizens?surname=ALPHA', safeguarding)).json() as { count: number; citizens: CitizenView[] };
    expect(search.count).toBe(1);
    expect(search.citizens.map((c) => c.ref)).toEqual(['C1']);
    const [entry] = (await logOf('C1', `client=${police.clientId}`)).filter((e) => e.decision !== 'deny').slice(-1);
    expect(entry!.consentIds).toEqual([consentId]);

    expect((await post(`/v1/citizens/C1/consents/${consentId}/withdraw`, {})).statusCode).toBe(200);
    expect((await read(police.key, '/v1/citizens/C1', safeguarding)).statusCode).toBe(404);
    expect(((await read(police.key, '/v1/citizens?surname=ALPHA', safeguarding)).json() as { count: number }).count).toBe(0);
  });

  it('denies everything while a restriction of processing is in force, and again discloses once it is lifted', async () => {
    expect((await read(adviser.key, '/v1/citizens/C3')).statusCode).toBe(200);
    const restriction = await post('/v1/citizens/C3/restrictions', { from: '2026-06-01T00:00:00.000Z', to: null, reason: 'accuracy contested (Art. 18(1)(a))' });
    expect(restriction.statusCode).toBe(201);
    expect((await read(adviser.key, '/v1/citizens/C3')).statusCode).toBe(404);
    expect((await read(adviser.key, '/v1/citizens/C3', { 'x-purpose': 'emergency', 'x-break-glass-reason': 'welfare check' })).statusCode).toBe(404);
    const byPhone = (await read(adviser.key, '/v1/citizens?phone=%2B447700900003')).json() as { count: number };
    expect(byPhone.count).toBe(0);
    const id = (restriction.json() as { id: string }).id;
    expect((await post(`/v1/citizens/C3/restrictions/${id}/lift`, {})).statusCode).toBe(200);
    expect((await read(adviser.key, '/v1/citizens/C3')).statusCode).toBe(200);
  });

  it('finds a caller by phone number (call pop-up)', async () => {
    const response = await read(adviser.key, '/v1/citizens?phone=%2B447700900002');
    expect(response.statusCode).toBe(200);
    const body = response.json() as { count: number; citizens: CitizenView[] };
    expect(body.citizens.map((c) => c.ref)).toEqual(['C2']);
    expect(body.citizens[0]!.contact?.[0]?.contact.value).toBe('+447700900002');
  });

  it('denies with a suspended agreement, and discloses again once it is active', async () => {
    const current = (await hub.app.inject({ url: '/v1/register/agreements/ISA-1', headers: auth(dpo) })).json() as { version: number };
    const suspended = await post('/v1/register/agreements/ISA-1/status', { version: current.version, status: 'suspended' });
    expect(suspended.statusCode).toBe(200);
    expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(404);
    const active = await post('/v1/register/agreements/ISA-1/status', { version: current.version + 1, status: 'active' });
    expect(active.statusCode).toBe(200);
    expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(200);
  });

  it('denies with an agreement that has ended by date', async () => {
    const put = (payload: object) => hub.app.inject({ method: 'PUT', url: '/v1/register/agreements/ISA-1', headers: auth(dpo), payload });
    const current = (await hub.app.inject({ url: '/v1/register/agreements/ISA-1', headers: auth(dpo) })).json() as { version: number };
    expect((await put({ version: current.version, endDate: '2026-06-14' })).statusCode).toBe(200);
    expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(404);
    expect((await put({ version: current.version + 1, endDate: null })).statusCode).toBe(200);
    expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(200);
  });

  it('requires a reason for break-glass, flags it for review, and lets the grant expire', async () => {
    // A client of its own: grants belong to the client that opened them.
    const adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    const noReason = await read(adviser.key, '/v1/citizens/C2', { 'x-purpose': 'emergency' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ code: 'purpose-required' });
    const refused = (await log(`client=${adviser.clientId}&purpose=emergency`)).at(-1)!;
    expect(refused).toMatchObject({ decision: 'deny', reviewRequired: true, citizenRef: 'C2' });

    const granted = await read(adviser.key, '/v1/citizens/C2', { 'x-purpose': 'emergency', 'x-break-glass-reason': 'caller reports a fall at home' });
    expect(granted.statusCode).toBe(200);
    const view = granted.json() as CitizenView;
    expect(view.entitlements?.map((e) => e.category)).toEqual(['health-disability']);
    const flagged = (await log('reviewRequired=true&purpose=emergency')).at(-1)!;
    expect(flagged).toMatchObject({ decision: 'partial', breakGlassReason: 'caller reports a fall at home', citizenRef: 'C2' });

    const start = hub.clock.now;
    try {
      hub.clock.now = new Date(start.getTime() + 30 * 60_000);
      expect((await read(adviser.key, '/v1/citizens/C2', { 'x-purpose': 'emergency' })).statusCode).toBe(200);
      hub.clock.now = new Date(start.getTime() + 61 * 60_000);
      expect((await read(adviser.key, '/v1/citizens/C2', { 'x-purpose': 'emergency' })).statusCode).toBe(400);
    } finally {
      hub.clock.now = start;
    }
  });

  it('refuses a break-glass reason that says nothing, and lets the DPO review each flagged entry once', async () => {
    const adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    const terse = await read(adviser.key, '/v1/citizens/C1', { 'x-purpose': 'emergency', 'x-break-glass-reason': ' urgent  ' });
    expect(terse.statusCode).toBe(400);
    expect(terse.json()).toMatchObject({ code: 'bad-request', detail: expect.stringContaining('X-Break-Glass-Reason') });
    expect((await read(adviser.key, '/v1/citizens/C1', { 'x-purpose': 'emergency', 'x-break-glass-reason': 'ambulance crew asked for medical needs' })).statusCode).toBe(200);

    const waiting = async () => (await log(`client=${adviser.clientId}&reviewRequired=true&reviewed=false`)).map((e) => e.seq);
    const [flagged] = await waiting();
    expect(flagged).toBeDefined();
    const review = (body: object) => hub.app.inject({ method: 'POST', url: '/v1/audit/reviews', headers: auth(dpo), payload: body });
    // Only a DPO reviews; only a flagged entry; a missing entry is named.
    expect((await hub.app.inject({ method: 'POST', url: '/v1/audit/reviews', headers: auth(adviser.key), payload: { seqs: [flagged], outcome: 'justified', note: 'mine' } })).statusCode).toBe(403);
    const unflagged = (await log(`client=${adviser.clientId}&reviewRequired=false`)).map((e) => e.seq);
    const notFlagged = await review({ seqs: [flagged, unflagged[0] ?? 1], outcome: 'justified', note: 'checked with the crew' });
    expect(notFlagged.statusCode).toBe(400);
    expect(notFlagged.json()).toMatchObject({ detail: expect.stringContaining('not flagged') });
    expect((await review({ seqs: [9_000_000_000], outcome: 'justified', note: 'x' })).statusCode).toBe(404);
    expect((await review({ seqs: [flagged], outcome: 'maybe', note: 'x' })).statusCode).toBe(400);
    expect((await review({ seqs: [flagged], outcome: 'justified', note: '   ' })).statusCode).toBe(400);
    // Nothing above was recorded: the entry still waits.
    expect(await waiting()).toContain(flagged);

    const done = await review({ seqs: [flagged], outcome: 'justified', note: 'checked with the ambulance service' });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ reviews: [{ seq: flagged, outcome: 'justified', note: 'checked with the ambulance service' }] });
    expect(await waiting()).not.toContain(flagged);
    const [shown] = (await log(`client=${adviser.clientId}&reviewRequired=true&reviewed=true`)).filter((e) => e.seq === flagged);
    expect(shown).toMatchObject({ review: { seq: flagged, outcome: 'justified' } });
    expect((await log('action=audit.review')).at(-1)).toMatchObject({ citizenRef: 'C1', purpose: 'data-protection-oversight', detail: { seqs: [flagged], outcome: 'justified' } });
    // A review is final.
    const again = await review({ seqs: [flagged], outcome: 'not-justified', note: 'second thoughts' });
    expect(again.statusCode).toBe(409);
    // The DPO role may not rewrite it in the database either.
    await expect(hub.db.appPool.query("UPDATE audit_review SET outcome = 'not-justified' WHERE seq = $1", [flagged])).rejects.toThrow();
  });

  it('refuses a search by a date of birth that is no day of the calendar', async () => {
    const response = await read(adviser.key, '/v1/citizens?dob=2026-02-30');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation-failed', errors: [expect.objectContaining({ path: expect.stringContaining('dob') })] });
    expect((await read(adviser.key, '/v1/citizens?dob=1960-01-02')).statusCode).toBe(200);
  });

  it('refuses a period whose end is before its start', async () => {
    const response = await hub.app.inject({ url: '/v1/audit/disclosures?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', headers: auth(dpo) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'bad-request', detail: expect.stringContaining('before from') });
  });

  it('redirects a merged reference to the survivor, but only for a caller who may see the survivor', async () => {
    hub.source.merged.set('C9', 'C1');
    const moved = await read(adviser.key, '/v1/citizens/C9');
    expect(moved.statusCode).toBe(308);
    expect(moved.headers.location).toBe('/v1/citizens/C1');
    // The survivor's reference was disclosed, and nothing else of them: audited as theirs.
    const { rows } = await hub.db.pool.query<{ citizen_ref: string; client_id: string; categories_disclosed: string[] }>(
      "SELECT citizen_ref, client_id::text, categories_disclosed FROM audit_log WHERE action = 'citizen.read.redirect'");
    expect(rows).toEqual([{ citizen_ref: 'C1', client_id: String(adviser.clientId), categories_disclosed: [] }]);
    expect((await read(health.key, '/v1/citizens/C9', { 'x-purpose': 'safeguarding' })).statusCode).toBe(404);
  });

  it('keeps one unbroken audit chain under 20 parallel reads', async () => {
    const before = (await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) })).json() as { ok: boolean; count: number };
    expect(before.ok).toBe(true);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => read(adviser.key, `/v1/citizens/C${(i % 3) + 1}`)));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const after = (await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) })).json() as { count: number };
    expect(after).toEqual({ ok: true, count: before.count + 20, pending: 0 });
    // One chain: every seal follows exactly one other, and no entry is sealed twice.
    const { rows } = await hub.db.pool.query<{ seals: number; entries: number; chains: number; last: number }>(
      'SELECT count(*)::int AS seals, count(DISTINCT audit_seq)::int AS entries, count(DISTINCT chain_hash)::int AS chains, max(seal_seq)::int AS last FROM audit_seal');
    expect(rows[0]).toEqual({ seals: after.count, entries: after.count, chains: after.count, last: after.count });
  });

  it('tells the DPO which categories an organisation may see and why; only the DPO', async () => {
    const response = await hub.app.inject({ url: `/v1/citizens/C1/access-explanation?org=${police.orgId}&purpose=safeguarding`, headers: auth(dpo) });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { explanations: { caller: { role: string }; categories: { category: string; permit: boolean; reason: string }[]; sourceSystems: { named: boolean } }[] };
    expect(body.explanations.map((e) => e.caller.role)).toEqual(['partner']);
    expect(body.explanations[0]!.sourceSystems.named).toBe(false);
    const identity = body.explanations[0]!.categories.find((c) => c.category === 'identity')!;
    expect(identity.permit).toBe(false);
    expect(identity.reason).toMatch(/withdrawn/);
    // The answer tells the DPO about the person's consents and objections, so it is audited too.
    const [asked] = (await logOf('C1', 'action=citizen.access-explanation')).slice(-1);
    expect(asked).toMatchObject({ action: 'citizen.access-explanation', citizenRef: 'C1', purpose: 'data-protection-oversight', role: 'dpo', decision: 'permit' });
    expect((asked as { detail?: unknown }).detail).toEqual({ explainedFor: { org: police.orgId, purpose: 'safeguarding', roles: ['partner'] } });
    expect((await hub.app.inject({ url: `/v1/citizens/C1/access-explanation?org=${police.orgId}&purpose=safeguarding`, headers: auth(adviser.key) })).statusCode).toBe(403);
    // An unknown purpose is refused and audited alike for a citizen who exists and one who does not.
    for (const ref of ['C1', 'C0000000077']) {
      const unknown = await hub.app.inject({ url: `/v1/citizens/${ref}/access-explanation?org=${police.orgId}&purpose=Gossip%20about%20C1`, headers: auth(dpo) });
      expect([unknown.statusCode, unknown.json().code]).toEqual([400, 'purpose-required']);
      const { rows } = await hub.db.pool.query('SELECT action, citizen_ref, decision, purpose, detail FROM audit_log WHERE request_id = $1', [unknown.headers['x-request-id']]);
      expect(rows).toEqual([{
        action: 'citizen.access-explanation', citizen_ref: ref, decision: 'deny', purpose: 'data-protection-oversight',
        detail: { explainedFor: { org: police.orgId, purpose: '(not recorded)' }, refused: 'purpose-unknown' },
      }]);
    }
    // Refused requests about a person are denials of access to them: audited, so the DPO sees the attempts.
    expect((await hub.app.inject({ url: '/v1/citizens/C2/subject-access', headers: auth(adviser.key) })).statusCode).toBe(403);
    expect((await hub.app.inject({ url: '/v1/citizens/C2/restrictions', headers: auth(adviser.key) })).statusCode).toBe(403);
    const { rows } = await hub.db.pool.query<{ action: string; citizen_ref: string; decision: string; purpose: string }>(
      "SELECT action, citizen_ref, decision, purpose FROM audit_log WHERE client_id = $1 AND decision = 'deny' AND purpose = 'data-protection-oversight' ORDER BY seq",
      [adviser.clientId]);
    expect(rows).toEqual([
      { action: 'citizen.access-explanation', citizen_ref: 'C1', decision: 'deny', purpose: 'data-protection-oversight' },
      { action: 'citizen.subject-access', citizen_ref: 'C2', decision: 'deny', purpose: 'data-protection-oversight' },
      { action: 'register.restrictions.read', citizen_ref: 'C2', decision: 'deny', purpose: 'data-protection-oversight' },
    ]);
  });

  it('keeps personal values out of the log', () => {
    const text = hub.logLines.join('\n');
    expect(text).not.toContain('ALPHA');
    expect(text).not.toContain('900002');
    expect(text).not.toContain('caller reports a fall');
  });
});
