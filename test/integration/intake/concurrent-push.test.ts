import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

// A smartcard record has no update time of its own: its versions are ordered by their intakes' source times.
const card = (over: Record<string, string> = {}) => ({
  CARD_NUMBER: '633597000000000088',
  FIRST_NAME: 'SAME',
  LAST_NAME: 'RETRYWELL',
  DATE_OF_BIRTH: '01/01/1970',
  ADDRESS: '1 MILL LANE',
  POSTCODE: 'ZZ1 2BB',
  ...over,
});

describe('concurrent pushes of one record', () => {
  let hub: TestHub;
  let first: string;
  let second: string;
  beforeAll(async () => {
    hub = await createTestHub();
    first = await hub.keyFor('source-system', 'Smartcard System', ['smartcard']);
    second = await hub.keyFor('source-system', 'Smartcard Bureau', ['smartcard']);
  });
  afterAll(async () => {
    await hub.close();
  });

  const push = (key: string, payload: unknown) => hub.app.inject({
    method: 'POST',
    url: '/v1/sources/smartcard/records',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });

  const versions = async (ref: string) => (await hub.db.pool.query<{ version: number; current: boolean; address: string; madeAt: Date }>(
    `SELECT s.version, s.current, s.record->'addresses'->0->'lines'->>0 AS address, i.extracted_at AS "madeAt"
       FROM source_record s JOIN intake i ON i.id = s.intake_id
      WHERE s.system = 'smartcard' AND s.source_ref = $1 ORDER BY s.version`, [ref])).rows;

  it('takes in the same record pushed twice at once as one record, every time', async () => {
    for (let round = 0; round < 10; round++) {
      const ref = `63359700000000${String(1000 + round)}`;
      const answers = await Promise.all([push(first, card({ CARD_NUMBER: ref })), push(first, card({ CARD_NUMBER: ref }))]);
      expect(answers.map((a) => a.statusCode)).toEqual([202, 202]);
      expect(answers.map((a) => (a.json() as { accepted: number }).accepted).sort()).toEqual([0, 1]);
      expect((await versions(ref)).map((v) => [v.version, v.current])).toEqual([[1, true]]);
    }
    expect(hub.logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  it('keeps every version of a record pushed with different contents at once, current by source time', async () => {
    const ref = '633597000000002000';
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([first, second, first, second].map((key, i) => push(key, card({ CARD_NUMBER: ref, ADDRESS: `${round * 4 + i + 1} MILL LANE` }))));
      expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202, 202]);
    }
    const stored = await versions(ref);
    expect(stored.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const current = stored.filter((v) => v.current);
    expect(current).toHaveLength(1);
    // The current version is one of the latest intake's (pushes received in the same microsecond are equally late).
    const latest = Math.max(...stored.map((v) => v.madeAt.getTime()));
    expect(current[0]!.madeAt.getTime()).toBe(latest);
    const failed = (await hub.db.pool.query(`SELECT id FROM intake WHERE system = 'smartcard' AND status <> 'done'`)).rows;
    expect(failed).toEqual([]);
  });

  it('shows no internal error\'s text in an intake that failed on one, but a stable code', async () => {
    // A fault of the hub's own while storing: the database refuses the row, saying why in words that name the record.
    await hub.db.pool.query(`
      CREATE FUNCTION refuse_card() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.source_ref = '633597000000003000' THEN RAISE EXCEPTION 'refused % at %', NEW.source_ref, NEW.record->'addresses'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_card BEFORE INSERT ON source_record FOR EACH ROW EXECUTE FUNCTION refuse_card();`);
    try {
      const answer = await push(first, card({ CARD_NUMBER: '633597000000003000' }));
      expect(answer.statusCode).toBe(500);
      const { rows } = await hub.db.pool.query<{ id: number }>(`SELECT id FROM intake WHERE status = 'failed' ORDER BY id DESC LIMIT 1`);
      const intake = await hub.app.inject({ url: `/v1/intakes/${rows[0]!.id}`, headers: { authorization: `Bearer ${first}` } });
      const body = intake.json() as { status: string; error: string };
      expect(body.status).toBe('failed');
      expect(body.error).toMatch(/^internal-error: /);
      expect(body.error).not.toMatch(/633597000000003000|MILL|refused/);
    } finally {
      await hub.db.pool.query('DROP TRIGGER refuse_card ON source_record; DROP FUNCTION refuse_card()');
    }
  });
});
