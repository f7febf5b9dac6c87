import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectLine } from '../../../src/cli/ingest.js';
import type { RejectRow } from '../../../src/intake/queries.js';
import { createTestHub, type TestHub } from '../../support/app.js';

const account = (over: Record<string, string> = {}) => ({
  ACCOUNT_REF: 'CT000101',
  LIABLE_PARTY_1: 'MR ALAN QUENTIN TESTER',
  LIABLE_PARTY_2: '',
  DOB_1: '03/04/1961',
  DOB_2: '',
  NINO_1: 'AB123456C',
  NINO_2: '',
  PROPERTY_REF: 'CTR0001001',
  ADDR_1: '12 MILL LANE',
  ADDR_2: 'NORTHBY',
  ADDR_3: '',
  ADDR_4: '',
  POSTCODE: 'ZZ1 1AB',
  PHONE: '07700 900123',
  EMAIL: 'alan.tester@example.org',
  DISCOUNT_CODES: 'SPD;DIS',
  DISCOUNT_VERIFIED_DATE: '01/02/2020',
  ACCOUNT_STATUS: 'LIVE',
  LAST_UPDATED: '01/06/2026 10:00:00',
  ...over,
});

describe('push intake', () => {
  let hub: TestHub;
  let source: string;
  let other: string;
  let steward: string;
  beforeAll(async () => {
    hub = await createTestHub();
    source = await hub.keyFor('source-system', 'Revenues System', ['revenues']);
    other = await hub.keyFor('source-system', 'Housing System', ['housing']);
    steward = await hub.keyFor('steward', 'Data Team');
  });
  afterAll(async () => {
    await hub.close();
  });

  const push = (key: string, payload: unknown, contentType = 'application/json') =>
    hub.app.inject({
      method: 'POST',
      url: '/v1/sources/revenues/records',
      headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });

  const versions = async (ref: string) =>
    (await hub.db.pool.query<{ version: number; current: boolean; raw: string }>(
      'SELECT version, current, raw FROM source_record WHERE system = $1 AND source_ref = $2 ORDER BY version', ['revenues', ref],
    )).rows;

  it('stores a pushed record with its raw payload and provenance, and answers 202 with an intake id', async () => {
    const response = await push(source, account());
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number; accepted: number; read: number };
    expect(body).toMatchObject({ read: 1, accepted: 1, rejected: 0 });
    const stored = await versions('CT000101-1');
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.raw)).toMatchObject({ ACCOUNT_REF: 'CT000101' });
    const row = (await hub.db.pool.query('SELECT position, record FROM source_record WHERE source_ref = $1', ['CT000101-1'])).rows[0];
    expect(row.position).toMatchObject({ index: 0, requestId: expect.any(String) });
    expect(row.record.entitlements.map((e: { kind: string }) => e.kind)).toEqual(['single-person-discount', 'disability-reduction']);

    const intake = await hub.app.inject({ url: `/v1/intakes/${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    expect(intake.json()).toMatchObject({ status: 'done', read: 1, accepted: 1, unchanged: 0, rejected: 0, channel: 'push' });
  });

  it('treats the same record twice as one, supersedes on change, and keeps an out-of-order older version as history only', async () => {
    expect((await push(source, account())).json()).toMatchObject({ read: 1, accepted: 0, unchanged: 1 });
    const changed = await push(source, account({ ADDR_1: '14 MILL LANE', LAST_UPDATED: '02/06/2026 09:00:00' }));
    expect(changed.json()).toMatchObject({ accepted: 1, unchanged: 0 });
    const stale = await push(source, account({ ADDR_1: '10 MILL LANE', LAST_UPDATED: '01/01/2026 09:00:00' }));
    expect(stale.json()).toMatchObject({ accepted: 1 });
    const stored = await versions('CT000101-1');
    expect(stored.map((v) => [v.version, v.current])).toEqual([[1, false], [2, true], [3, false]]);
    const current = (await hub.db.pool.query("SELECT record FROM source_record WHERE source_ref = 'CT000101-1' AND current")).rows[0];
    expect(current.record.addresses[0].lines[0]).toBe('14 MILL LANE');
  });

  it('keeps the rest of a batch when one record cannot be mapped, and reports the reject with position and rule', async () => {
    const response = await push(source, { records: [account({ ACCOUNT_REF: 'CT000201' }), account({ ACCOUNT_REF: 'CT000202', DOB_1: '31/02/1961' }), account({ ACCOUNT_REF: 'CT000203', LIABLE_PARTY_1: '' })] });
    const body = response.json() as { intakeId: number; read: number; accepted: number; rejected: number; unchanged: number };
    expect(body.read).toBe(body.accepted + body.unchanged + body.rejected);
    expect(body.rejected).toBeGreaterThanOrEqual(1);
    expect(body.accepted).toBeGreaterThanOrEqual(2);
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    const list = (rejects.json() as { rejects: { position: { index: number }; field: string; rule: string; reason: string }[] }).rejects;
    expect(list.length).toBe(body.rejected);
    expect(list[0]!.position.index).toBe(2);
    expect(list[0]!.reason).not.toContain('TESTER');
  });

  it('names the source reference of a rejected record where it could be read, in the API and in hub rejects', async () => {
    const duplicated = JSON.stringify(account({ ACCOUNT_REF: 'CT000984' })).replace('"DOB_1":', '"DOB_1":"01/01/1960","DOB_1":');
    const batch = [
      account({ ACCOUNT_REF: 'CT000981', LIABLE_PARTY_1: '' }),
      account({ ACCOUNT_REF: 'CT000982', LIABLE_PARTY_1: 'X'.repeat(300), LIABLE_PARTY_2: 'MRS BETH TESTER' }),
      account({ ACCOUNT_REF: 'C'.repeat(300) }),
      account({ ACCOUNT_REF: 'CT000985', LIABLE_PARTY_1: 'MR ALAN\u0000 TESTER' }),
    ];
    const body = `{"records":[${batch.map((r) => JSON.stringify(r)).join(',')},${duplicated}]}`;
    const response = await push(source, body);
    const pushed = response.json() as { intakeId: number };
    expect(pushed).toMatchObject({ accepted: 1, rejected: 5 });
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${pushed.intakeId}`, headers: { authorization: `Bearer ${source}` } });
    const list = (rejects.json() as { rejects: RejectRow[] }).rejects;
    expect(list.map((r) => [r.position.index, r.rule, r.sourceRef])).toEqual([
      [0, 'required', 'CT000981'],
      [1, 'too-long', 'CT000982-1'],
      // A reference too long to be one is not repeated.
      [2, 'too-long', null],
      [3, 'nul-character', 'CT000985'],
      [4, 'duplicate-field', 'CT000984'],
    ]);
    expect(rejectLine(list[1]!)).toBe(`${pushed.intakeId}\tindex 1, requestId ${list[1]!.position.requestId}, ref CT000982-1\tLIABLE_PARTY_1\ttoo-long\tat most 200 characters`);
    expect(rejectLine(list[2]!)).toMatch(/\tindex 2, requestId [^,\t]+\t/);

    // A record the reader could not read has no reference to give.
    const malformed = await push(source, `<Records><Record><ACCOUNT_REF>CT000986</ACCOUNT_REF><LIABLE_PARTY_1>O<BRIEN</LIABLE_PARTY_1></Record></Records>`, 'application/xml');
    const unread = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${(malformed.json() as { intakeId: number }).intakeId}`, headers: { authorization: `Bearer ${source}` } });
    expect((unread.json() as { rejects: RejectRow[] }).rejects.map((r) => [r.rule, r.sourceRef])).toEqual([['unreadable', null]]);
  });

  it('says a source system it does not know, or an intake of another system, is not found rather than listing no rejects', async () => {
    const pushed = (await push(source, { records: [account({ ACCOUNT_REF: 'CT000251', LIABLE_PARTY_1: '' })] })).json() as { intakeId: number };
    const get = (url: string) => hub.app.inject({ url, headers: { authorization: `Bearer ${steward}` } });
    const unknown = await get('/v1/sources/revenews/rejects');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'not-found', detail: expect.stringContaining('unknown source system revenews') });
    const elsewhere = await get(`/v1/sources/housing/rejects?intake=${pushed.intakeId}`);
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().detail).toContain(`no intake ${pushed.intakeId} of the housing system`);
    expect((await get(`/v1/sources/revenues/rejects?intake=${pushed.intakeId}`)).json().rejects).toHaveLength(1);
  });

  it('accepts XML and refuses hostile XML without losing the request', async () => {
    const xml = `<Records><Record>${Object.entries(account({ ACCOUNT_REF: 'CT000301' })).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</Record></Records>`;
    const ok = await push(source, xml, 'application/xml');
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ accepted: 1 });
    const hostile = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><Records><Record><ACCOUNT_REF>&b;</ACCOUNT_REF></Record></Records>`;
    const refused = await push(source, hostile, 'application/xml');
    expect(refused.statusCode).toBe(202);
    expect(refused.json()).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('reads pushed XML in the charset it is sent in: the content type\'s, else its declaration\'s, else UTF-8', async () => {
    const xml = (ref: string, declaration = '') =>
      `${declaration}<Records><Record>${Object.entries(account({ ACCOUNT_REF: ref, LIABLE_PARTY_1: 'MR JOSÉ TESTER' })).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</Record></Records>`;
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    expect((await push(source, latin1(xml('CT000951')), 'application/xml; charset=ISO-8859-1')).json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await push(source, latin1(xml('CT000952', '<?xml version="1.0" encoding="windows-1252"?>')), 'text/xml')).json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await push(source, Buffer.from(xml('CT000953'), 'utf8'), 'application/xml')).json()).toMatchObject({ accepted: 1, rejected: 0 });
    for (const ref of ['CT000951-1', 'CT000952-1', 'CT000953-1']) expect((await versions(ref))[0]?.raw, ref).toContain('JOSÉ');
    // Latin-1 bytes sent as UTF-8 are refused by record, not stored mangled; a charset the hub cannot read is a 415.
    const mislabelled = await push(source, latin1(xml('CT000954')), 'application/xml; charset=utf-8');
    expect(mislabelled.json()).toMatchObject({ accepted: 0, rejected: 1 });
    const unknown = await push(source, latin1(xml('CT000955')), 'application/xml; charset=klingon-1');
    expect(unknown.statusCode).toBe(415);
    expect(unknown.json()).toMatchObject({ code: 'unsupported-media-type', detail: expect.stringContaining('klingon-1') });
  });

  it('rejects pushed XML under another root instead of taking it as an empty batch, and a misspelt record in a batch', async () => {
    const fields = (ref: string) => Object.entries(account({ ACCOUNT_REF: ref })).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
    const wrongRoot = await push(source, `<Accounts><Record>${fields('CT000311')}</Record></Accounts>`, 'application/xml');
    expect(wrongRoot.statusCode).toBe(202);
    expect(wrongRoot.json()).toMatchObject({ accepted: 0, rejected: 1 });
    const misspelt = await push(source, `<Records><Record>${fields('CT000312')}</Record><Recrod>${fields('CT000313')}</Recrod></Records>`, 'application/xml');
    const body = misspelt.json() as { intakeId: number };
    expect(body).toMatchObject({ accepted: 1, rejected: 1 });
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    expect((rejects.json() as { rejects: { reason: string }[] }).rejects.map((r) => r.reason)).toEqual(['unexpected-element: <Recrod> among the <Record> records']);
  });

  it('rejects a pushed record holding NUL by its field, and takes in the rest of the batch', async () => {
    const response = await push(source, { records: [account({ ACCOUNT_REF: 'CT000401' }), account({ ACCOUNT_REF: 'CT000402', LIABLE_PARTY_1: 'MR ALAN\u0000 TESTER' }), account({ ACCOUNT_REF: 'CT000403' })] });
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 3, accepted: 2, rejected: 1 });
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    expect(rejects.statusCode).toBe(200);
    const [reject, ...more] = (rejects.json() as { rejects: { position: { index: number }; field: string; rule: string; reason: string }[] }).rejects;
    expect(more).toEqual([]);
    expect(reject).toMatchObject({ position: { index: 1 }, field: 'LIABLE_PARTY_1', rule: 'nul-character' });
    expect(reject!.reason).not.toContain('TESTER');
  });

  it('rejects pushed XML records holding NUL, in text or in a tag name, and takes in the rest', async () => {
    const record = (over: Record<string, string>) => `<Record>${Object.entries(account(over)).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</Record>`;
    const xml = `<Records>${record({ ACCOUNT_REF: 'CT000501' })}${record({ ACCOUNT_REF: 'CT000502', ADDR_2: 'NORTH\u0000BY' })}`
      + `${record({ ACCOUNT_REF: 'CT000503' }).replace('<ADDR_3>', '<ADDR\u00003>').replace('</ADDR_3>', '</ADDR\u00003>')}${record({ ACCOUNT_REF: 'CT000504' })}</Records>`;
    const response = await push(source, xml, 'application/xml');
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 4, accepted: 2, rejected: 2 });
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    expect(rejects.statusCode).toBe(200);
    const list = (rejects.json() as { rejects: { position: { index: number }; field: string; rule: string }[] }).rejects;
    expect(list.map((r) => r.position.index)).toEqual([1, 2]);
    expect(list[0]).toMatchObject({ field: 'ADDR_2', rule: 'nul-character' });
    expect(rejects.payload).not.toContain('\u0000');
    expect(rejects.payload).not.toContain('\\u0000');
  });

  it('refuses a push without a body, or in a content type it does not read, instead of failing or taking in nothing', async () => {
    const intakes = async () => Number((await hub.db.pool.query('SELECT count(*) FROM intake')).rows[0].count);
    const before = await intakes();
    const empty = await hub.app.inject({ method: 'POST', url: '/v1/sources/revenues/records', headers: { authorization: `Bearer ${source}` } });
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['content-type']).toContain('application/problem+json');
    expect(empty.json()).toMatchObject({ code: 'bad-request' });
    const plain = await push(source, JSON.stringify(account({ ACCOUNT_REF: 'CT000601' })), 'text/plain');
    expect(plain.statusCode).toBe(415);
    expect(plain.json()).toMatchObject({ code: 'unsupported-media-type' });
    expect(await intakes()).toBe(before);
  });

  it('rejects pushed XML that holds no element at all instead of taking it as an empty batch', async () => {
    const response = await push(source, 'MR ALAN QUENTIN TESTER, 03/04/1961', 'application/xml');
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 1, accepted: 0, rejected: 1 });
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    const [reject] = (rejects.json() as { rejects: { rule: string; reason: string }[] }).rejects;
    expect(reject).toMatchObject({ rule: 'unreadable', reason: expect.stringMatching(/^malformed-xml: /) });
    expect(reject!.reason).not.toContain('TESTER');
  });

  it('rejects one malformed pushed XML record and takes in every record after it', async () => {
    const record = (over: Record<string, string>) => `<Record>${Object.entries(account(over)).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</Record>`;
    const refs = ['CT001001', 'CT001002', 'CT001003', 'CT001004', 'CT001005'];
    const xml = `<Records>\n${refs.map((ref, i) => record({ ACCOUNT_REF: ref, ...(i === 1 ? { LIABLE_PARTY_1: 'MR ALAN O<ZZBRIEN' } : {}) })).join('\n')}\n</Records>`;
    const response = await push(source, xml, 'application/xml');
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 5, accepted: 4, unchanged: 0, rejected: 1 });
    for (const ref of refs) expect(await versions(`${ref}-1`), ref).toHaveLength(ref === 'CT001002' ? 0 : 1);
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    const list = (rejects.json() as { rejects: { position: { index: number }; rule: string; reason: string }[] }).rejects;
    expect(list).toEqual([expect.objectContaining({ position: expect.objectContaining({ index: 1 }), rule: 'unreadable', reason: expect.stringMatching(/^malformed-xml: InvalidTag \(record line 1, column \d+\)$/) })]);
    expect(rejects.json().rejects[0].reason).not.toContain('ZZ');
  });

  it('reads character references in pushed XML', async () => {
    const record = (over: Record<string, string>) => `<Record>${Object.entries(account(over)).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</Record>`;
    const xml = `<Records>${record({ ACCOUNT_REF: 'CT001101', LIABLE_PARTY_1: 'MRS ZO&#xCB; O&#39;TESTER', ADDR_1: '12 ST MARY&#39;S ROAD' })}`
      + `${record({ ACCOUNT_REF: 'CT001102', LIABLE_PARTY_1: 'MR X&#x0;Y TESTER' })}</Records>`;
    expect((await push(source, xml, 'application/xml')).json()).toMatchObject({ read: 2, accepted: 1, rejected: 1 });
    const { rows } = await hub.db.pool.query("SELECT record FROM source_record WHERE source_ref = 'CT001101-1' AND current");
    expect(rows[0].record.names[0]).toMatchObject({ forenames: ['ZOË'], surname: "O'TESTER" });
    expect(rows[0].record.addresses[0].lines[0]).toBe("12 ST MARY'S ROAD");
  });

  it('refuses an empty or blank XML push with 400, as an empty JSON one, and starts no intake', async () => {
    const intakes = async () => Number((await hub.db.pool.query('SELECT count(*) FROM intake')).rows[0].count);
    const before = await intakes();
    for (const contentType of ['application/xml', 'text/xml', 'application/xml; charset=utf-8', 'application/json']) {
      for (const payload of ['', ' \r\n\t ']) {
        if (contentType === 'application/json' && payload !== '') continue;
        const response = await push(source, payload, contentType);
        expect(response.statusCode, `${contentType} ${JSON.stringify(payload)}`).toBe(400);
        expect(response.json()).toMatchObject({ code: 'bad-request' });
      }
    }
    expect(await intakes()).toBe(before);
  });

  it('refuses an XML batch over the limit without storing any of it', async () => {
    const record = (i: number) => `<Record><ACCOUNT_REF>CT7${String(i).padStart(5, '0')}</ACCOUNT_REF><LIABLE_PARTY_1>MR ALAN TESTER</LIABLE_PARTY_1></Record>`;
    const xml = `<Records>${Array.from({ length: 1001 }, (_, i) => record(i)).join('')}</Records>`;
    const response = await push(source, xml, 'application/xml');
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'payload-too-large' });
    const stored = await hub.db.pool.query("SELECT count(*) FROM source_record WHERE system = 'revenues' AND source_ref LIKE 'CT7%'");
    expect(Number(stored.rows[0].count)).toBe(0);
  });

  it('rejects a pushed JSON record whose bytes are not UTF-8 instead of storing it mangled, and takes in the rest', async () => {
    const records = [account({ ACCOUNT_REF: 'CT000801' }), account({ ACCOUNT_REF: 'CT000802', LIABLE_PARTY_1: 'MR JOS@ TESTER' })];
    const bytes = Buffer.from(JSON.stringify(records), 'utf8');
    bytes[bytes.indexOf('JOS@') + 3] = 0xc9;
    const response = await push(source, bytes);
    expect(response.statusCode).toBe(202);
    const body = response.json() as { intakeId: number };
    expect(body).toMatchObject({ read: 2, accepted: 1, rejected: 1 });
    const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${body.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
    const [reject] = (rejects.json() as { rejects: { position: { index: number }; field: string; rule: string; reason: string }[] }).rejects;
    expect(reject).toMatchObject({ position: { index: 1 }, field: 'LIABLE_PARTY_1', rule: 'unreadable', reason: expect.stringMatching(/^invalid-encoding: /) });
    expect(await versions('CT000802-1')).toEqual([]);
  });

  it('rejects pushed XML in UTF-16 without a byte-order mark as unreadable, saying its encoding, declared or not', async () => {
    const xml = (ref: string, declaration = '') =>
      `${declaration}<Records><Record>${Object.entries(account({ ACCOUNT_REF: ref })).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</Record></Records>`;
    const bigEndian = (text: string) => Buffer.from(text, 'utf16le').swap16();
    const bodies = [
      Buffer.from(xml('CT000961'), 'utf16le'),
      Buffer.from(xml('CT000962', '<?xml version="1.0" encoding="UTF-16"?>'), 'utf16le'),
      bigEndian(xml('CT000963', '<?xml version="1.0" encoding="UTF-16"?>')),
    ];
    for (const body of bodies) {
      const response = await push(source, body, 'application/xml');
      expect(response.statusCode).toBe(202);
      const pushed = response.json() as { intakeId: number };
      expect(pushed).toMatchObject({ accepted: 0, rejected: 1 });
      const rejects = await hub.app.inject({ url: `/v1/sources/revenues/rejects?intake=${pushed.intakeId}`, headers: { authorization: `Bearer ${steward}` } });
      const [reject] = (rejects.json() as { rejects: { rule: string; reason: string }[] }).rejects;
      expect(reject).toMatchObject({ rule: 'unreadable', reason: expect.stringMatching(/^wrong-encoding: .*UTF-16.*byte-order mark/) });
      expect(reject!.reason).not.toContain('\u0000');
      expect(reject!.reason).not.toContain('\uFFFD');
    }
    // With a byte-order mark, or its charset in the content type, UTF-16 is read.
    expect((await push(source, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml('CT000964'), 'utf16le')]), 'application/xml')).json())
      .toMatchObject({ accepted: 1, rejected: 0 });
    expect((await push(source, Buffer.from(xml('CT000965'), 'utf16le'), 'application/xml; charset=utf-16le')).json()).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('reads pushed JSON in the charset its content type names, and refuses one it cannot read', async () => {
    const record = account({ ACCOUNT_REF: 'CT000971', LIABLE_PARTY_1: 'MR JOSÉ TESTER' });
    const latin1 = await push(source, Buffer.from(JSON.stringify(record), 'latin1'), 'application/json; charset=iso-8859-1');
    expect(latin1.statusCode).toBe(202);
    expect(latin1.json()).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await versions('CT000971-1'))[0]?.raw).toContain('JOSÉ');
    const utf8 = await push(source, Buffer.from(JSON.stringify(account({ ACCOUNT_REF: 'CT000972', LIABLE_PARTY_1: 'MR JOSÉ TESTER' })), 'utf8'), 'application/json; charset="UTF-8"');
    expect(utf8.json()).toMatchObject({ accepted: 1, rejected: 0 });
    const unknown = await push(source, JSON.stringify(account({ ACCOUNT_REF: 'CT000973' })), 'application/json; charset=klingon-1');
    expect(unknown.statusCode).toBe(415);
    expect(unknown.json()).toMatchObject({ code: 'unsupported-media-type', detail: expect.stringContaining('klingon-1') });
  });

  it('lets only a source-system client for that system push', async () => {
    expect((await push(other, account())).statusCode).toBe(403);
    expect((await push(steward, account())).statusCode).toBe(403);
    expect((await push(source, { records: Array.from({ length: 1001 }, () => account()) })).statusCode).toBe(413);
  });
});
