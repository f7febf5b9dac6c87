import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../src/intake/ingest-file.js';
import { citizenRef } from '../../../src/linkage/reference.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

interface Export {
  citizenRef: string;
  mergedRefs: string[];
  sourceRecords: { system: string; sourceRef: string; version: number; raw: string; record: unknown; addressMatch: { uprn: number; status: string } | null }[];
  consents: { id: string }[];
  restrictions: unknown[];
  disclosures: { action: string; clientId: number; purpose: string; decision: string }[];
}

describe('subject access and the audit write guarding every disclosure', () => {
  let hub: RegisterHub;
  let dpo: string;
  let adviser: { key: string; clientId: number; orgId: number };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const raw = JSON.stringify({ ACCOUNT_REF: 'CT9', LIABLE_PARTY_1: 'MS TESTA ALPHA', PHONE: '07700 900001' });

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA')).add(person('C2', 'BRAVO'));
    dpo = (await hub.key('dpo', 'Information Governance')).key;
    adviser = await hub.key('adviser', 'Contact Centre');
    const { rows } = await hub.db.pool.query<{ id: number }>("INSERT INTO intake (system, channel) VALUES ('revenues', 'push') RETURNING id");
    const intake = rows[0]!.id;
    const stored = await hub.db.pool.query<{ id: number }>(
      `INSERT INTO source_record (system, source_ref, version, current, content_hash, record, raw, raw_format, intake_id, position)
       VALUES ('revenues', 'C1-CT', 1, false, '\\x01', '{"v":1}', $1, 'json', $2, '{"index":0}'),
              ('revenues', 'C1-CT', 2, true, '\\x02', '{"v":2}', $1, 'json', $2, '{"index":1}') RETURNING id`,
      [raw, intake],
    );
    await hub.db.pool.query(
      `INSERT INTO address_match (source_record_id, input_key, uprn, status, score, evidence, explanation) VALUES ($1, 'k', 100000001, 'matched', 0.97, 'address', '{}')`,
      [stored.rows[1]!.id],
    );
    const agreement = {
      id: 'ISA-1', title: 'Contact centre', parties: { provider: { orgId: adviser.orgId }, recipients: [adviser.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'LGA 1972 s.111', dpiaReference: 'D-1', startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
    };
    expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(dpo), payload: agreement })).statusCode).toBe(201);
    await hub.app.inject({
      method: 'POST', url: '/v1/citizens/C1/consents', headers: auth(dpo),
      payload: { purpose: 'safeguarding', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'paper', evidence: 'FORM-1' },
    });
    expect((await hub.app.inject({ url: '/v1/citizens/C1', headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } })).statusCode).toBe(200);
  });
  afterAll(async () => hub.close());

  it('exports source records as received, matching decisions, consents and the disclosure log, to the DPO only', async () => {
    const response = await hub.app.inject({ url: '/v1/citizens/C1/subject-access', headers: auth(dpo) });
    expect(response.statusCode).toBe(200);
    const body = response.json() as Export;
    expect(body.sourceRecords.map((r) => [r.version, r.raw])).toEqual([[1, raw], [2, raw]]);
    expect(body.sourceRecords[1]!.record).toEqual({ v: 2 });
    expect(body.sourceRecords[1]!.addressMatch).toMatchObject({ uprn: 100000001, status: 'matched' });
    expect(body.consents).toHaveLength(1);
    const read = body.disclosures.find((d) => d.action === 'citizen.read');
    expect(read).toMatchObject({ clientId: adviser.clientId, purpose: 'contact-centre-enquiry', decision: 'partial' });
    expect(body.disclosures.map((d) => d.action)).toContain('register.consent.create');

    expect((await hub.app.inject({ url: '/v1/citizens/C1/subject-access', headers: auth(adviser.key) })).statusCode).toBe(403);
    expect((await hub.app.inject({ url: '/v1/citizens/NOBODY/subject-access', headers: auth(dpo) })).statusCode).toBe(404);
    const again = (await hub.app.inject({ url: '/v1/citizens/C1/subject-access', headers: auth(dpo) })).json() as Export;
    expect(again.disclosures.map((d) => d.action)).toContain('citizen.subject-access');
  });

  it('includes the register and log of references merged into the citizen', async () => {
    hub.source.merged.set('C0', 'C1');
    const body = (await hub.app.inject({ url: '/v1/citizens/C1/subject-access', headers: auth(dpo) })).json() as Export;
    expect(body.mergedRefs).toEqual(['C0']);
    const moved = await hub.app.inject({ url: '/v1/citizens/C0/subject-access', headers: auth(dpo) });
    expect(moved.statusCode).toBe(308);
    expect(moved.headers.location).toBe('/v1/citizens/C1/subject-access');
  });

  it('discloses nothing when the audit write fails', async () => {
    await hub.db.pool.query('ALTER TABLE audit_log ADD CONSTRAINT test_refuse_all CHECK (seq < 0) NOT VALID');
    try {
      const response = await hub.app.inject({ url: '/v1/citizens/C2', headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } });
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain('BRAVO');
      const search = await hub.app.inject({ url: '/v1/citizens?surname=BRAVO', headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } });
      expect(search.statusCode).toBe(500);
      expect(search.body).not.toContain('BRAVO');
    } finally {
      await hub.db.pool.query('ALTER TABLE audit_log DROP CONSTRAINT test_refuse_all');
    }
    expect((await hub.app.inject({ url: '/v1/citizens/C2', headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } })).statusCode).toBe(200);
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) })).json()).toMatchObject({ ok: true });
  });
});

describe("subject access tells the person nothing of the people they live with (Art. 15(4))", () => {
  let hub: RegisterHub;
  let dpo: string;
  let adviser: { key: string; clientId: number; orgId: number };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const [amy, ben] = [citizenRef(101), citizenRef(102)];
  let objectionId: string;

  beforeAll(async () => {
    hub = await createRegisterHub();
    // Two people at one UPRN, each named in the other's household.
    const a = person(amy, 'ALPHAMY', { uprn: 100000090 });
    a.household = [{ citizenRef: ben, name: 'TESTA BRAVOBEN' }];
    const b = person(ben, 'BRAVOBEN', { uprn: 100000090 });
    b.household = [{ citizenRef: amy, name: 'TESTA ALPHAMY' }];
    hub.source.add(a).add(b);
    dpo = (await hub.key('dpo', 'Information Governance')).key;
    adviser = await hub.key('adviser', 'Contact Centre');
    const agreement = (id: string, categories: string[], lawfulBasis: string) => ({
      id, title: id, parties: { provider: { orgId: adviser.orgId }, recipients: [adviser.orgId] }, roles: null, purposes: ['contact-centre-enquiry'],
      categories, lawfulBasis, art9Condition: null, legalGateway: 'LGA 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null,
      reviewDate: null, status: 'active',
    });
    for (const isa of [agreement('ISA-CC', ['identity', 'contact', 'address', 'household'], 'public-task'), agreement('ISA-LO', ['identity', 'address', 'household'], 'legal-obligation')]) {
      expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(dpo), payload: isa })).statusCode).toBe(201);
    }
    // Ben objects: the public-task agreement no longer shows his contact details; the legal obligation still shows who lives with him.
    const objection = await hub.app.inject({
      method: 'POST', url: `/v1/citizens/${ben}/objections`, headers: auth(dpo), payload: { purpose: null, recipientOrgId: null, from: '2026-06-01T00:00:00Z' },
    });
    expect(objection.statusCode, objection.body).toBe(201);
    objectionId = (objection.json() as { id: string }).id;
    const read = await hub.app.inject({ url: `/v1/citizens/${ben}`, headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } });
    expect(read.statusCode).toBe(200);
    expect((read.json() as { household?: unknown[] }).household).toEqual([{ citizenRef: amy, name: 'TESTA ALPHAMY' }]);
  });
  afterAll(async () => hub.close());

  it("keeps of a read of the other person only that it named the subject, to whom and why; and names no other resident", async () => {
    const response = await hub.app.inject({ url: `/v1/citizens/${amy}/subject-access`, headers: auth(dpo) });
    expect(response.statusCode, response.body).toBe(200);
    const text = response.body;
    for (const other of [ben, 'BRAVOBEN', objectionId]) expect(text).not.toContain(other);
    const body = response.json() as { view: { household?: unknown }; householdOthers: number; disclosures: Record<string, unknown>[] };
    expect(body.view).not.toHaveProperty('household');
    expect(body.householdOthers).toBe(1);
    const named = body.disclosures.filter((e) => e.action === 'citizen.read');
    expect(named).toHaveLength(1);
    expect(named[0]).toEqual({
      seq: expect.any(Number), at: expect.any(String), requestId: expect.any(String), action: 'citizen.read', clientId: adviser.clientId,
      orgId: adviser.orgId, role: 'adviser', purpose: 'contact-centre-enquiry', agreements: expect.arrayContaining([{ id: 'ISA-LO', version: 1 }]),
      namedAs: 'household-member', householdRefs: [amy], decision: 'permit', categoriesDisclosed: ['household'],
      fieldsDisclosed: ['household[].citizenRef', 'household[].name'], policyVersion: expect.any(String),
    });
    // The DPO's own listing by citizen still shows the whole entry: the trail is the council's.
    const listed = (await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${amy}`, headers: auth(dpo) })).json() as { entries: Record<string, unknown>[] };
    expect(listed.entries.find((e) => e.action === 'citizen.read')).toMatchObject({ citizenRef: ben, decision: 'partial' });
  });
});

describe('subject access includes the rejected rows, linkage reviews and break-glass grants about the person', () => {
  let hub: RegisterHub;
  let dpo: string;
  let steward: { key: string; clientId: number; orgId: number };
  let adviser: { key: string; clientId: number; orgId: number };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const [amy, ben] = [citizenRef(201), citizenRef(202)];
  const card = '633800000201';
  const reviewIds: number[] = [];
  let dir: string;

  beforeAll(async () => {
    hub = await createRegisterHub();
    const a = person(amy, 'ALPHAMY');
    a.sourceRecords = [{ system: 'smartcard', sourceRef: card, linkedAt: '2026-01-01T00:00:00.000Z', linkedBy: 'model', closed: false }];
    const b = person(ben, 'BRAVOBEN');
    b.sourceRecords = [{ system: 'housing', sourceRef: 'HB202', linkedAt: '2026-01-01T00:00:00.000Z', linkedBy: 'model', closed: false }];
    hub.source.add(a).add(b);
    dpo = (await hub.key('dpo', 'Information Governance')).key;
    steward = await hub.key('steward', 'Data Quality');
    adviser = await hub.key('adviser', 'Contact Centre');

    // Amy's card taken in, then sent again with an address too long to store: rejected, the row kept whole.
    // A row without a card number cannot be told to be anyone's; another card's reject is someone else's.
    dir = await mkdtemp(path.join(tmpdir(), 'sar-'));
    const file = path.join(dir, 'cards.csv');
    const long = 'X'.repeat(600);
    await writeFile(file, [
      'CARD_NUMBER,TITLE,FIRST_NAME,LAST_NAME,DATE_OF_BIRTH,ADDRESS,POSTCODE,CONCESSION,CONCESSION_EVIDENCE,ISSUED,EXPIRES,EMAIL,MOBILE',
      `${card},MS,AMY,ALPHAMY,02/01/1960,1 TEST STREET,ZZ1 1AA,NONE,,,,,`,
      `${card},MS,AMY,ALPHAMY,02/01/1960,${long},ZZ1 1AA,NONE,,,,,`,
      `,MR,NOREF,NOBODYREF,03/03/1970,${long},ZZ1 1AA,NONE,,,,,`,
      `633800000999,MR,ZED,ZULUOTHER,04/04/1980,${long},ZZ1 1AA,NONE,,,,,`,
      '',
    ].join('\n'));
    const { counts } = await ingestFile(hub.db.pool, 'smartcard', file, { worker: false, today: '2026-06-15' });
    expect(counts).toMatchObject({ accepted: 1, rejected: 3 });

    const ids = new Map<string, number>();
    for (const ref of [amy, ben]) ids.set(ref, Number((await hub.db.pool.query<{ id: string }>('INSERT INTO citizen (ref) VALUES ($1) RETURNING id', [ref])).rows[0]!.id));
    const review = async (values: unknown[], decided = false) => {
      const { rows } = await hub.db.pool.query<{ id: string }>(
        `INSERT INTO person_review (system, source_ref, citizen_id, candidate_system, candidate_ref, weight, fields, model_decision, reason, status, decision, decided_by, decided_at)
         VALUES ($1, $2, $3, $4, $5, 4.5, '[{"field":"dob","level":"exact","baseWeight":5,"tfAdjustment":0,"weight":5,"counted":5}]', 'review',
                 'the surnames differ and only forename and date of birth agree', $6, $7, $8, $9) RETURNING id`,
        [...values, decided ? 'decided' : 'open', decided ? 'distinct' : null, decided ? steward.clientId : null, decided ? '2026-06-10T09:00:00Z' : null]);
      return Number(rows[0]!.id);
    };
    // Ben's record weighed against Amy's account; Amy's card weighed against Ben's and found to be someone else; one of Ben's alone.
    reviewIds.push(await review(['housing', 'HB202', ids.get(amy), 'smartcard', card]));
    reviewIds.push(await review(['smartcard', card, ids.get(ben), 'housing', 'HB202'], true));
    await review(['housing', 'HB203', ids.get(ben), 'housing', 'HB202']);

    for (const [ref, reason] of [[amy, 'collapsed at the bus station, next of kin needed'], [ben, 'BRAVOBEN missing, welfare check by police']] as const) {
      await hub.db.pool.query(
        `INSERT INTO break_glass_grant (client_id, reason, granted_at, expires_at, citizen_ref) VALUES ($1, $2, '2026-06-14T08:00:00Z', '2026-06-14T09:00:00Z', $3)`,
        [adviser.clientId, reason, ref]);
    }
  });
  afterAll(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports them, and nothing of the other records they were weighed against', async () => {
    const response = await hub.app.inject({ url: `/v1/citizens/${amy}/subject-access`, headers: auth(dpo) });
    expect(response.statusCode, response.body).toBe(200);
    for (const other of [ben, 'BRAVOBEN', 'HB202', 'HB203', 'NOBODYREF', 'ZULUOTHER', '633800000999']) expect(response.body).not.toContain(other);
    const body = response.json() as {
      rejects: { system: string; sourceRef: string; raw: string; field: string; rule: string; reason: string; position: unknown; receivedAt: string }[];
      personReviews: Record<string, unknown>[];
      breakGlassGrants: Record<string, unknown>[];
    };
    expect(body.rejects).toEqual([expect.objectContaining({ system: 'smartcard', sourceRef: card, field: 'ADDRESS', rule: 'too-long', position: expect.objectContaining({ line: 3 }) })]);
    expect(body.rejects[0]!.raw).toContain('AMY,ALPHAMY,02/01/1960');
    expect(body.personReviews).toEqual([
      {
        id: reviewIds[0], status: 'open', createdAt: expect.any(String), record: null, candidate: { system: 'smartcard', sourceRef: card },
        candidateCitizenRef: amy, weight: 4.5, fields: [expect.objectContaining({ field: 'dob', level: 'exact' })], modelDecision: 'review',
        reason: 'the surnames differ and only forename and date of birth agree', modelVersion: null, decision: null, decidedBy: null, decidedAt: null,
        withdrawnAt: null, withdrawnWhy: null,
      },
      expect.objectContaining({
        id: reviewIds[1], status: 'decided', record: { system: 'smartcard', sourceRef: card }, candidate: null, candidateCitizenRef: null,
        decision: 'distinct', decidedBy: steward.clientId, decidedAt: '2026-06-10T09:00:00.000Z',
      }),
    ]);
    expect(body.breakGlassGrants).toEqual([{
      id: expect.any(Number), clientId: adviser.clientId, orgId: adviser.orgId, citizenRef: amy, reason: 'collapsed at the bus station, next of kin needed',
      grantedAt: '2026-06-14T08:00:00.000Z', expiresAt: '2026-06-14T09:00:00.000Z',
    }]);
  });
});
