import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/** The per-citizen register routes: old and unknown references, and withdrawals and lifts without a body. */
describe('register routes under /v1/citizens/{ref}', () => {
  let hub: RegisterHub;
  let dpo: string;
  let admin: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const consent = { purpose: 'safeguarding', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'paper', evidence: 'FORM-1' };
  const objection = { purpose: 'statistics-research', recipientOrgId: null, from: '2026-06-01T00:00:00Z' };
  const restriction = { from: '2026-06-01T00:00:00Z', to: null, reason: 'accuracy contested' };
  const create = async (ref: string, kind: string, body: object) => {
    const response = await hub.app.inject({ method: 'POST', url: `/v1/citizens/${ref}/${kind}`, headers: auth(dpo), payload: body });
    expect(response.statusCode).toBe(201);
    return (response.json() as { id: string }).id;
  };
  const reads = async () => (await hub.db.pool.query<{ action: string; citizen_ref: string }>(
    "SELECT action, citizen_ref FROM audit_log WHERE action LIKE 'register.%.read' ORDER BY seq",
  )).rows.map((r) => [r.action, r.citizen_ref]);

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C_NEW', 'ALPHA')).add(person('C_LIVE', 'BETA'));
    dpo = (await hub.key('dpo', 'Information Governance')).key;
    admin = (await hub.key('admin', 'Information Governance')).key;
    hub.source.merged.set('C_OLD', 'C_NEW');
  });
  afterAll(async () => hub.close());

  it('answers every listing by a merged reference with the survivor\'s URL, query kept, and an unknown reference with 404', async () => {
    await create('C_NEW', 'objections', objection);
    for (const kind of ['consents', 'objections', 'restrictions']) {
      const moved = await hub.app.inject({ url: `/v1/citizens/C_OLD/${kind}?x=1`, headers: auth(admin) });
      expect([kind, moved.statusCode, moved.headers.location]).toEqual([kind, 308, `/v1/citizens/C_NEW/${kind}?x=1`]);
      const unknown = await hub.app.inject({ url: `/v1/citizens/NOPE/${kind}`, headers: auth(dpo) });
      expect([kind, unknown.statusCode, unknown.json().code]).toEqual([kind, 404, 'not-found']);
    }
    // Neither the redirect nor the 404 tells anything of the person's register: only the listing at the survivor is audited.
    expect(await reads()).toEqual([]);
    const listed = await hub.app.inject({ url: '/v1/citizens/C_NEW/objections', headers: auth(admin) });
    expect(listed.json()).toMatchObject({ citizenRef: 'C_NEW', objections: [expect.objectContaining({ purpose: 'statistics-research' })] });
    expect(await reads()).toEqual([['register.objections.read', 'C_NEW']]);
  });

  it('answers changes, withdrawals and lifts by a merged reference with the survivor\'s URL, and by an unknown one with 404', async () => {
    const consentId = await create('C_NEW', 'consents', consent);
    const objectionId = await create('C_NEW', 'objections', objection);
    const restrictionId = await create('C_NEW', 'restrictions', restriction);
    const changes: [method: 'PUT' | 'POST', path: string, payload: object][] = [
      ['PUT', `consents/${consentId}`, { channel: 'email' }],
      ['POST', `consents/${consentId}/withdraw`, { at: '2026-06-10T00:00:00Z' }],
      ['POST', `objections/${objectionId}/withdraw`, {}],
      ['PUT', `restrictions/${restrictionId}`, { reason: 'still contested' }],
      ['POST', `restrictions/${restrictionId}/lift`, {}],
    ];
    for (const [method, path, payload] of changes) {
      const moved = await hub.app.inject({ method, url: `/v1/citizens/C_OLD/${path}?y=2`, headers: auth(dpo), payload });
      expect([path, moved.statusCode, moved.headers.location]).toEqual([path, 308, `/v1/citizens/C_NEW/${path}?y=2`]);
      const unknown = await hub.app.inject({ method, url: `/v1/citizens/NOPE/${path}`, headers: auth(dpo), payload });
      expect([path, unknown.statusCode, unknown.json().detail]).toEqual([path, 404, 'no such citizen']);
      const followed = await hub.app.inject({ method, url: moved.headers.location as string, headers: auth(dpo), payload });
      expect([path, followed.statusCode]).toEqual([path, 200]);
    }
  });

  it('audits a change refused for the role, about a citizen who exists or not, and answers both alike', async () => {
    const adviser = (await hub.key('adviser', 'Contact Centre')).key;
    const ids = { consent: await create('C_LIVE', 'consents', consent), objection: await create('C_LIVE', 'objections', objection), restriction: await create('C_LIVE', 'restrictions', restriction) };
    const changes: [method: 'PUT' | 'POST', path: string, payload: object, action: string][] = [
      ['POST', 'consents', consent, 'register.consent.create'],
      ['PUT', `consents/${ids.consent}`, { channel: 'email' }, 'register.consent.update'],
      ['POST', `consents/${ids.consent}/withdraw`, {}, 'register.consent.withdraw'],
      ['POST', 'objections', objection, 'register.objection.create'],
      ['POST', `objections/${ids.objection}/withdraw`, {}, 'register.objection.withdraw'],
      ['POST', 'restrictions', restriction, 'register.restriction.create'],
      ['PUT', `restrictions/${ids.restriction}`, { reason: 'no longer contested' }, 'register.restriction.update'],
      ['POST', `restrictions/${ids.restriction}/lift`, {}, 'register.restriction.lift'],
    ];
    const entriesOf = async (response: { headers: Record<string, unknown> }) => (await hub.db.pool.query(
      'SELECT action, citizen_ref, decision, purpose FROM audit_log WHERE request_id = $1', [response.headers['x-request-id']])).rows;
    for (const [method, path, payload, action] of changes) {
      const known = await hub.app.inject({ method, url: `/v1/citizens/C_LIVE/${path}`, headers: auth(adviser), payload });
      const unknown = await hub.app.inject({ method, url: `/v1/citizens/NOPE/${path}`, headers: auth(adviser), payload });
      const { requestId: _k, instance: _i, ...knownBody } = known.json() as Record<string, unknown>;
      const { requestId: _u, instance: _j, ...unknownBody } = unknown.json() as Record<string, unknown>;
      expect([path, known.statusCode, unknown.statusCode, unknownBody]).toEqual([path, 403, 403, knownBody]);
      expect(await entriesOf(known)).toEqual([{ action, citizen_ref: 'C_LIVE', decision: 'deny', purpose: 'data-protection-oversight' }]);
      expect(await entriesOf(unknown)).toEqual([{ action, citizen_ref: 'NOPE', decision: 'deny', purpose: 'data-protection-oversight' }]);
    }
    // Nothing was changed.
    const listed = (await hub.app.inject({ url: '/v1/citizens/C_LIVE/restrictions', headers: auth(dpo) })).json() as { restrictions: { id: string; liftedAt: string | null }[] };
    expect(listed.restrictions.find((r) => r.id === ids.restriction)?.liftedAt).toBeNull();
  });

  it('takes a withdrawal or lift without a body, or with an empty one, as now', async () => {
    const now = hub.clock.now.toISOString();
    const bodies: { name: string; headers: Record<string, string>; payload?: string }[] = [
      { name: 'no body', headers: {} },
      { name: 'empty, no content type', headers: {}, payload: '' },
      { name: 'empty JSON', headers: { 'content-type': 'application/json' }, payload: '' },
      { name: 'empty form (curl -d "")', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' },
      { name: 'empty text', headers: { 'content-type': 'text/plain; charset=utf-8' }, payload: '' },
    ];
    for (const body of bodies) {
      const ids = { consents: await create('C_LIVE', 'consents', consent), objections: await create('C_LIVE', 'objections', objection), restrictions: await create('C_LIVE', 'restrictions', restriction) };
      for (const [kind, id, verb, field] of [
        ['consents', ids.consents, 'withdraw', 'withdrawnAt'], ['objections', ids.objections, 'withdraw', 'withdrawnAt'], ['restrictions', ids.restrictions, 'lift', 'liftedAt'],
      ] as const) {
        const response = await hub.app.inject({
          method: 'POST', url: `/v1/citizens/C_LIVE/${kind}/${id}/${verb}`, headers: { ...auth(dpo), ...body.headers }, ...(body.payload === undefined ? {} : { payload: body.payload }),
        });
        expect([body.name, kind, response.statusCode, response.json()[field]]).toEqual([body.name, kind, 200, now]);
      }
    }
  });

  it('still refuses a withdrawal body that is not JSON, or not the schema\'s', async () => {
    const id = await create('C_LIVE', 'consents', consent);
    const url = `/v1/citizens/C_LIVE/consents/${id}/withdraw`;
    const form = await hub.app.inject({ method: 'POST', url, headers: { ...auth(dpo), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'at=now' });
    expect([form.statusCode, form.json().code]).toEqual([415, 'unsupported-media-type']);
    const text = await hub.app.inject({ method: 'POST', url, headers: { ...auth(dpo), 'content-type': 'text/plain' }, payload: 'now' });
    expect([text.statusCode, text.json().code]).toEqual([415, 'unsupported-media-type']);
    const poisoned = await hub.app.inject({ method: 'POST', url, headers: { ...auth(dpo), 'content-type': 'application/json' }, payload: '{"__proto__":{"at":"2026-06-10T00:00:00Z"}}' });
    expect([poisoned.statusCode, poisoned.json().code]).toEqual([400, 'forbidden-property-name']);
    const broken = await hub.app.inject({ method: 'POST', url, headers: { ...auth(dpo), 'content-type': 'application/json' }, payload: '{"at":' });
    expect(broken.statusCode).toBe(400);
    const wrong = await hub.app.inject({ method: 'POST', url, headers: auth(dpo), payload: { at: 'yesterday' } });
    expect([wrong.statusCode, wrong.json().code]).toEqual([400, 'validation-failed']);
    // Other register routes keep Fastify's own parsing: an empty JSON body is refused there.
    const organisation = await hub.app.inject({ method: 'POST', url: '/v1/register/organisations', headers: { ...auth(dpo), 'content-type': 'application/json' }, payload: '' });
    expect(organisation.statusCode).toBe(400);
  });
});
