import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDisclosures, citizenOption } from '../../../src/cli/audit.js';
import { citizenRef } from '../../../src/linkage/reference.js';
import { run } from '../../support/process.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

describe('audit routes, hub audit verify and hub audit disclosures', () => {
  const C1 = citizenRef(1);
  let hub: RegisterHub;
  let dpo: string;
  let admin: string;
  let adviser: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const cli = () => run('test/integration/audit/audit-cli.ts', ['audit', 'verify'], { DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person(C1, 'ALPHA'));
    dpo = (await hub.key('dpo', 'Information Governance')).key;
    admin = (await hub.key('admin', 'Information Governance')).key;
    adviser = (await hub.key('adviser', 'Contact Centre')).key;
    for (let i = 0; i < 5; i += 1) {
      const response = await hub.app.inject({ url: `/v1/citizens/${C1}`, headers: { ...auth(adviser), 'x-purpose': 'contact-centre-enquiry' } });
      expect(response.statusCode).toBe(404);
    }
  });
  afterAll(async () => hub.close());

  it('lets the DPO and admin verify, and only the DPO query disclosures', async () => {
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) })).json()).toEqual({ ok: true, count: 5, pending: 0 });
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(admin) })).statusCode).toBe(200);
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(adviser) })).statusCode).toBe(403);
    expect((await hub.app.inject({ url: '/v1/audit/disclosures', headers: auth(admin) })).statusCode).toBe(403);
    const page = await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${C1}&after=2&limit=2`, headers: auth(dpo) });
    expect((page.json() as { entries: { seq: number }[] }).entries.map((e) => e.seq)).toEqual([3, 4]);
    // A full page says where the next starts; the short last one does not.
    expect(page.json()).toMatchObject({ next: 4 });
    const last = (await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${C1}&after=4&limit=100`, headers: auth(dpo) })).json() as { next?: number };
    expect(last.next).toBeUndefined();
    const period = await hub.app.inject({ url: '/v1/audit/disclosures?from=2026-06-15T09:00:00Z&to=2026-06-15T09:59:59Z', headers: auth(dpo) });
    expect((period.json() as { entries: unknown[] }).entries).toEqual([]);
  });

  it('answers 400, not 500, for a date-time or number in range for the schema that PostgreSQL cannot take', async () => {
    for (const query of [
      'from=0000-01-01T00:00:00Z', 'to=2026-06-15T10:00:00%2B23:59', 'org=99999999999999999999', 'client=99999999999999999999',
      'after=99999999999999999999',
    ]) {
      const response = await hub.app.inject({ url: `/v1/audit/disclosures?${query}`, headers: auth(dpo) });
      expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
    }
    const verify = await hub.app.inject({ url: `/v1/audit/verify?after=99999999999999999999&chainHash=${'a'.repeat(64)}`, headers: auth(dpo) });
    expect(verify.statusCode).toBe(400);
    const fine = await hub.app.inject({ url: '/v1/audit/disclosures?from=0001-01-01T00:00:00Z&to=2026-06-15T11:00:00.001%2B01:00', headers: auth(dpo) });
    expect((fine.json() as { entries: unknown[] }).entries).toHaveLength(5);
  });

  it('verifies in calls of at most limit seals that join up, and refuses a continuation the chain does not hold', async () => {
    type Verified = { ok: boolean; count: number; pending: number; next?: { sealSeq: number; chainHash: string } };
    const verify = async (query: string) => hub.app.inject({ url: `/v1/audit/verify${query}`, headers: auth(dpo) });
    const first = (await verify('?limit=2')).json() as Verified;
    expect(first).toMatchObject({ ok: true, count: 2, next: { sealSeq: 2, chainHash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    let counted = first.count;
    let last = first;
    while (last.next) {
      last = (await verify(`?limit=2&after=${last.next.sealSeq}&chainHash=${last.next.chainHash}`)).json() as Verified;
      expect(last.ok).toBe(true);
      counted += last.count;
    }
    // Five reads, and the DPO's listings of the trail, each audited too.
    const { rows } = await hub.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0]!.n).toBeGreaterThan(5);
    expect(counted).toBe(rows[0]!.n);
    expect(last).toMatchObject({ ok: true, pending: 0 });
    expect(last.next).toBeUndefined();
    const wrong = await verify(`?after=2&chainHash=${'a'.repeat(64)}`);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ code: 'bad-request', detail: expect.stringMatching(/seal 2 is not in the chain/) });
    expect((await verify('?after=2')).statusCode).toBe(400);
    expect((await verify(`?after=99&chainHash=${first.next!.chainHash}`)).statusCode).toBe(400);
    expect((await verify('?limit=0')).statusCode).toBe(400);
  });

  it('hub audit disclosures gives what the route gives for the same filters, and refuses what the route refuses', async () => {
    const disclosuresCli = (args: string[]) => run('test/integration/audit/audit-cli.ts', ['audit', 'disclosures', ...args], { DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });
    const lines = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number });
    const page = await disclosuresCli(['--citizen', C1, '--after', '2', '--limit', '2']);
    expect(page.code).toBe(0);
    const routed = (await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${C1}&after=2&limit=2`, headers: auth(dpo) })).json() as { entries: unknown[] };
    expect(lines(page.stdout)).toEqual(routed.entries);
    expect(lines(page.stdout).map((e) => e.seq)).toEqual([3, 4]);
    const period = await disclosuresCli(['--from', '2026-06-15T09:00:00Z', '--to', '2026-06-15T09:59:59Z']);
    expect(lines(period.stdout)).toEqual([]);
    expect(lines((await disclosuresCli(['--purpose', 'contact-centre-enquiry', '--review-required'])).stdout)).toEqual([]);
    expect(lines((await disclosuresCli(['--purpose', 'contact-centre-enquiry'])).stdout)).toHaveLength(5);
    const refused = await disclosuresCli(['--limit', '5000']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/from 1 to 1000/);
    expect((await disclosuresCli(['--from', 'yesterday'])).code).not.toBe(0);
    const backwards = await disclosuresCli(['--from', '2027-01-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z']);
    expect(backwards.code).not.toBe(0);
    expect(backwards.stderr).toMatch(/is before from/);
  });

  it('hub audit verify exits 0 on an intact chain', async () => {
    const result = await cli();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { rows } = await hub.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    expect(result.stdout).toMatch(new RegExp(`intact: ${rows[0]!.n} entries`));
  });

  it('finds a row edited by the superuser and names its seq, through the API and the CLI', async () => {
    const su = new pg.Client({ connectionString: hub.db.url });
    await su.connect();
    try {
      await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
      await su.query(`UPDATE audit_log SET categories_disclosed = '["identity"]' WHERE seq = 4`);
      await su.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    } finally {
      await su.end();
    }
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) })).json()).toMatchObject({ ok: false, firstBrokenSeq: 4 });
    const result = await cli();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/broken at seq 4/);
  });

  it('answers a DPO listing that meets an entry whose stored part is gone with a stable code naming the entry', async () => {
    const su = new pg.Client({ connectionString: hub.db.url });
    await su.connect();
    try {
      await su.query('ALTER TABLE audit_part DISABLE TRIGGER audit_part_no_delete');
      await su.query('DELETE FROM audit_part WHERE hash = (SELECT reasons_part FROM audit_log WHERE seq = 2)');
      await su.query('ALTER TABLE audit_part ENABLE TRIGGER audit_part_no_delete');
    } finally {
      await su.end();
    }
    // Every entry here shares that part (the same denial), so the first entry is where the trail breaks.
    expect((await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) })).json()).toMatchObject({ ok: false, firstBrokenSeq: 1 });
    const listing = await hub.app.inject({ url: '/v1/audit/disclosures?after=1', headers: auth(dpo) });
    expect(listing.statusCode).toBe(500);
    expect(listing.json()).toMatchObject({ code: 'audit-trail-damaged', detail: expect.stringMatching(/audit entry 2 names a stored part that is missing/) });
  });
});

describe('GET /v1/audit/disclosures?citizen= and hub audit disclosures --citizen', () => {
  let hub: RegisterHub;
  let dpo: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const [survivor, merged] = [citizenRef(1), citizenRef(2)];
  const consent = { purpose: 'safeguarding', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'paper', evidence: 'FORM-1' };

  beforeAll(async () => {
    hub = await createRegisterHub();
    dpo = (await hub.key('dpo', 'Information Governance')).key;
    hub.source.add(person(survivor, 'ALPHA')).add(person(merged, 'ALPHA'));
    for (const ref of [merged, survivor]) {
      expect((await hub.app.inject({ method: 'POST', url: `/v1/citizens/${ref}/consents`, headers: auth(dpo), payload: consent })).statusCode).toBe(201);
    }
    // The accounts turn out to be one person: the second is merged into the first, in the source and in the linkage tables the CLI reads.
    hub.source.merged.set(merged, survivor);
    await hub.db.pool.query(
      `WITH s AS (INSERT INTO citizen (ref) VALUES ($1) RETURNING id)
       INSERT INTO citizen (ref, status, merged_into, merged_at) SELECT $2, 'merged', id, now() FROM s`,
      [survivor, merged],
    );
  });
  afterAll(async () => hub.close());

  const listed = async (ref: string) => {
    const response = await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${ref}`, headers: auth(dpo) });
    expect(response.statusCode).toBe(200);
    return (response.json() as { entries: { seq: number; action: string; citizenRef: string }[] }).entries;
  };

  it('lists the entries under the citizen and under the references merged into it, as subject access does', async () => {
    const entries = await listed(survivor);
    expect(entries.map((e) => e.citizenRef)).toEqual([merged, survivor]);
    const access = (await hub.app.inject({ url: `/v1/citizens/${survivor}/subject-access`, headers: auth(dpo) })).json() as { disclosures: { seq: number; action: string; citizenRef: string }[] };
    const listing = (e: { action: string }) => e.action === 'audit.disclosures.list';
    expect(access.disclosures.filter((e) => !listing(e)).map((e) => e.seq)).toEqual(entries.map((e) => e.seq));
    // Each listing by citizen is a read about that person: the person's subject access shows the DPO looked.
    expect(access.disclosures.filter(listing).map((e) => e.citizenRef)).toEqual([survivor]);
  });

  it('lists the same person for an old reference as for the survivor, and records the listing about the survivor', async () => {
    const notListing = <E extends { action: string }>(entries: E[]) => entries.filter((e) => e.action !== 'audit.disclosures.list');
    const bySurvivor = notListing(await listed(survivor));
    expect(new Set(bySurvivor.map((e) => e.citizenRef))).toEqual(new Set([merged, survivor]));
    expect(notListing(await listed(merged))).toEqual(bySurvivor);
    const { rows } = await hub.db.pool.query<{ citizen_ref: string; detail: { filters: { citizen: string[] } } }>(
      "SELECT citizen_ref, detail FROM audit_log WHERE action = 'audit.disclosures.list' ORDER BY seq DESC LIMIT 1");
    expect(rows[0]).toMatchObject({ citizen_ref: survivor, detail: { filters: { citizen: [survivor, merged] } } });
    // hub audit disclosures alike, called in this process.
    const cli = await listDisclosures(hub.db.pool, { citizen: merged, after: 0, limit: 100 });
    expect(notListing(cli)).toEqual(bySurvivor);
  });

  it('refuses a citizen filter that is not a citizen reference, a decision it does not know and a parameter it does not take', async () => {
    const refused = async (query: string, path: string) => {
      const response = await hub.app.inject({ url: `/v1/audit/disclosures?${query}`, headers: auth(dpo) });
      expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
      expect((response.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([path]);
      expect(response.body).not.toContain('SMITH');
    };
    const wrongDigit = `${survivor.slice(0, -1)}${(Number(survivor.at(-1)) + 1) % 10}`;
    await refused('citizen=SMITH', 'querystring.citizen');
    await refused(`citizen=${wrongDigit}`, 'querystring.citizen');
    await refused('decision=maybe', 'querystring.decision');
    await refused('colour=red', 'querystring.colour');
    expect(() => citizenOption('SMITH')).toThrow(/citizen reference/);
    expect(() => citizenOption(wrongDigit)).toThrow(/check digit/);
    expect(citizenOption(` ${merged} `)).toBe(merged);
  });

  it('lists denials alone with decision=deny, on the route and with hub audit disclosures --decision', async () => {
    const adviser = await hub.key('adviser', 'Contact Centre');
    // No agreement: the read is refused, and the refusal recorded about the survivor.
    expect((await hub.app.inject({ url: `/v1/citizens/${survivor}`, headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } })).statusCode).toBe(404);
    const denials = (await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${merged}&decision=deny`, headers: auth(dpo) })).json() as { entries: { decision: string; clientId: number }[] };
    expect(denials.entries.map((e) => [e.decision, e.clientId])).toEqual([['deny', adviser.clientId]]);
    const permits = (await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${survivor}&decision=permit`, headers: auth(dpo) })).json() as { entries: { decision: string }[] };
    expect(permits.entries.length).toBeGreaterThan(1);
    expect(permits.entries.every((e) => e.decision === 'permit')).toBe(true);
    const cli = await listDisclosures(hub.db.pool, { decision: 'deny', after: 0, limit: 100 });
    expect(cli.map((e) => e.clientId)).toEqual([adviser.clientId]);
  });

  it('hub audit disclosures --citizen lists the same', async () => {
    const page = await run('test/integration/audit/audit-cli.ts', ['audit', 'disclosures', '--citizen', survivor], { DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });
    expect(page.code).toBe(0);
    const lines = page.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { citizenRef: string; action: string; clientId: number });
    expect(lines.map((e) => e.citizenRef)).toContain(merged);
    // The route's listing now includes the command's own, audited as the route's are (client 0: no API client).
    const routed = await listed(survivor);
    expect(routed.slice(0, -1)).toEqual(lines);
    expect(routed.at(-1)).toMatchObject({ action: 'audit.disclosures.list', citizenRef: survivor, clientId: 0 });
  });
});
