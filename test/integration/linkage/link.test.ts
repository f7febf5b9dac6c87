import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCitizen, currentLink, MODEL, resolveRef, unlinkRecord } from '../../../src/linkage/accounts.js';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { inTransaction, linkageForWorker, loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { linkAll, linkSourceRecords } from '../../../src/linkage/batch.js';
import { manualLink } from '../../../src/linkage/decisions.js';
import { linkOne, strongConflict } from '../../../src/linkage/link.js';
import { BatchLinkStore } from '../../../src/linkage/batch-store.js';
import { personFeatures } from '../../../src/linkage/features.js';
import { LinkMirror } from '../../../src/linkage/link-state.js';
import { blockKeys, indexSourceRecord } from '../../../src/linkage/person-index.js';
import { emptyNicknameTable, prepare } from '../../../matching/person/index.js';
import { citizenRef, isValidCitizenRef } from '../../../src/linkage/reference.js';
import { createLogger } from '../../../src/logging.js';
import { pipelineJobs } from '../../../src/pipeline/jobs.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { nhsNumber, population, sourceRecord, store, type PersonSpec } from './people.js';

const citizenOf = async (ctx: LinkageContext, system: string, ref: string) => (await currentLink(ctx.pool, system, ref))?.citizenId ?? null;

describe('citizen references', () => {
  it('are C, nine digits and a check digit that catches a mistyped or swapped digit', () => {
    const ref = citizenRef(1234);
    expect(ref).toMatch(/^C\d{10}$/);
    expect(isValidCitizenRef(ref)).toBe(true);
    const digits = ref.slice(1);
    for (let i = 0; i < digits.length; i++) {
      const wrong = String((Number(digits[i]) + 3) % 10);
      expect(isValidCitizenRef(`C${digits.slice(0, i)}${wrong}${digits.slice(i + 1)}`)).toBe(false);
    }
    const swapped = `C${digits[1]}${digits[0]}${digits.slice(2)}`;
    if (digits[0] !== digits[1]) expect(isValidCitizenRef(swapped)).toBe(false);
    expect(isValidCitizenRef(`C${digits.slice(0, 8)}${digits[9]}${digits[8]}`)).toBe(digits[8] === digits[9]);
    expect(isValidCitizenRef('X0000000013')).toBe(false);
  });
});

describe('evidence that keeps accounts apart', () => {
  const tables = { nicknames: emptyNicknameTable() };
  const born = (id: string, dob: string | null) => prepare({ id, forenames: ['ALEX'], surname: 'MORROW', dob }, tables);
  it('counts a date of birth sharing only the year as two people, a transposition or one wrong digit as a slip', () => {
    expect(strongConflict(born('a', '1970-03-12'), born('b', '1970-11-25'))).toBe(true);
    expect(strongConflict(born('a', '1970-03-12'), born('b', '1981-03-12'))).toBe(true);
    expect(strongConflict(born('a', '1970-03-12'), born('b', '1970-12-03'))).toBe(false);
    expect(strongConflict(born('a', '1970-03-12'), born('b', '1970-03-13'))).toBe(false);
    expect(strongConflict(born('a', '1970-03-12'), born('b', null))).toBe(false);
  });
});

describe('incremental person linkage', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  const add = async (...specs: PersonSpec[]) => {
    await store(db.pool, specs.map(sourceRecord));
    const outcomes = [];
    for (const s of specs) outcomes.push(await linkOne(ctx, s.system, s.ref));
    return outcomes;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(11, 200));
    const tables = await loadPrepareTables();
    await trainFromDatabase(db.pool, tables, { seed: 5 });
    ctx = await openLinkage(db.pool, { tables });
    await linkAll(ctx);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('links the background population into one account per person', async () => {
    const { rows } = await db.pool.query<{ person: string; accounts: string }>(
      `SELECT split_part(source_ref, '-', 1) AS person, count(DISTINCT citizen_id) AS accounts FROM citizen_link WHERE ended_at IS NULL GROUP BY 1`,
    );
    expect(rows).toHaveLength(200);
    const split = rows.filter((r) => Number(r.accounts) > 1).length;
    expect(split).toBeLessThan(10);
    const { rows: mixed } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT citizen_id FROM citizen_link WHERE ended_at IS NULL GROUP BY 1 HAVING count(DISTINCT split_part(source_ref, '-', 1)) > 1) x`,
    );
    expect(Number(mixed[0]!.n)).toBe(0);
  });

  it('keeps twins apart: same surname and address, different forename and date of birth', async () => {
    const home = { surname: 'ZBOROWSKI', lines: ['7 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZZ', uprn: 900001 };
    const [a, b] = await add(
      { system: 'housing', ref: 'TW1', forenames: ['AMELIA'], dob: '2010-03-04', ...home },
      { system: 'revenues', ref: 'TW2', forenames: ['OLIVIA'], dob: '2010-03-05', ...home },
    );
    expect(a!.citizenId).not.toBe(b!.citizenId);
  });

  it('keeps father and son of the same name at one address apart', async () => {
    const home = { forenames: ['JOHN'], surname: 'OKONKWO', lines: ['9 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZY', uprn: 900002 };
    const [father, son] = await add(
      { system: 'revenues', ref: 'FS1', suffix: 'SNR', dob: '1960-05-01', ...home },
      { system: 'housing', ref: 'FS2', suffix: 'JNR', dob: '1988-07-12', ...home },
    );
    expect(father!.citizenId).not.toBe(son!.citizenId);
  });

  it('sends a record of either a father or his son (same name, no date of birth) to review, and keeps them apart', async () => {
    const home = { forenames: ['PETER'], surname: 'ABERNATHY', lines: ['3 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZY', uprn: 900003 };
    const [father, son, either] = await add(
      { system: 'revenues', ref: 'AB1', dob: '1958-02-11', ...home },
      { system: 'housing', ref: 'AB2', dob: '1990-09-23', ...home },
      { system: 'smartcard', ref: 'AB3', ...home },
    );
    expect(father!.citizenId).not.toBe(son!.citizenId);
    expect([father!.citizenId, son!.citizenId]).not.toContain(either!.citizenId);
    const { rows } = await db.pool.query<{ citizen_id: string }>("SELECT citizen_id FROM person_review WHERE system = 'smartcard' AND source_ref = 'AB3' AND status = 'open' ORDER BY citizen_id");
    expect(rows.map((r) => Number(r.citizen_id)).sort()).toEqual([father!.citizenId, son!.citizenId].sort());
    // The son's next record, still without a date of birth on the other side, does not join his father through AB3.
    const [later] = await add({ system: 'social-care', ref: 'AB4', dob: '1990-09-23', ...home });
    expect(later!.citizenId).not.toBe(father!.citizenId);
  });

  it('joins a record matching a father and a son to the one whose email it shares, and asks about the other', async () => {
    const home = { forenames: ['GERALD'], surname: 'OKONKWO', lines: ['8 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZV', uprn: 900008 };
    const [father, son, withEmail] = await add(
      { system: 'revenues', ref: 'GO1', dob: '1961-04-19', email: 'gerald.okonkwo@example.org', ...home },
      { system: 'housing', ref: 'GO2', dob: '1993-12-02', email: 'g.okonkwo93@example.net', ...home },
      { system: 'smartcard', ref: 'GO3', email: 'g.okonkwo93@example.net', ...home },
    );
    expect(father!.citizenId).not.toBe(son!.citizenId);
    expect(withEmail!.citizenId).toBe(son!.citizenId);
    const { rows } = await db.pool.query<{ citizen_id: string }>("SELECT citizen_id FROM person_review WHERE system = 'smartcard' AND source_ref = 'GO3' AND status = 'open'");
    expect(rows.map((r) => Number(r.citizen_id))).toEqual([father!.citizenId]);
  });

  it('sends each twin of one tenancy to review against a record with an initial and their date of birth, in one batch', async () => {
    const twin = { surname: 'RAVENSHAW', dob: '1980-01-02', lines: ['28 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZR', uprn: 900020 };
    const [initial] = await add({ system: 'revenues', ref: 'RV1-2', forenames: ['S'], accounts: ['RV1'], ...twin });
    const ids = await store(db.pool, [
      sourceRecord({ system: 'housing', ref: 'RV2-1', forenames: ['SARAH'], accounts: ['RV2'], ...twin }),
      sourceRecord({ system: 'housing', ref: 'RV2-2', forenames: ['SAMANTHA'], accounts: ['RV2'], ...twin }),
    ]);
    await linkSourceRecords(ctx, ids);
    const sarah = await citizenOf(ctx, 'housing', 'RV2-1');
    const samantha = await citizenOf(ctx, 'housing', 'RV2-2');
    // Either twin matches S as well as the other: neither joins it (without the rule SARAH, first, did).
    expect(new Set([initial!.citizenId, sarah, samantha]).size).toBe(3);
    const { rows } = await db.pool.query<{ source_ref: string; reason: string }>(
      "SELECT source_ref, reason FROM person_review WHERE system = 'housing' AND source_ref LIKE 'RV2-%' AND citizen_id = $1 AND status = 'open' ORDER BY source_ref", [initial!.citizenId],
    );
    expect(rows.map((r) => r.source_ref)).toEqual(['RV2-1', 'RV2-2']);
    expect(rows[0]!.reason).toContain('joint party');
  });

  it('finds a record\'s joint parties among its neighbours in a batch, linked or not', async () => {
    const home = { surname: 'KINGSLEY', lines: ['40 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZK', uprn: 900021 };
    const snr: PersonSpec = { system: 'revenues', ref: 'KG1-1', forenames: ['J', 'D'], suffix: 'SNR', accounts: ['KG1'], ...home };
    const jnr: PersonSpec = { system: 'revenues', ref: 'KG1-2', forenames: ['JOHN', 'DAVID'], suffix: 'JNR', accounts: ['KG1'], ...home };
    await add({ system: 'social-care', ref: 'KG2', forenames: ['JOHN'], dob: '1976-02-14', ...home });
    await store(db.pool, [sourceRecord(snr), sourceRecord(jnr)]);
    const batch = [snr, jnr].map((spec) => {
      const me = prepare(personFeatures(sourceRecord(spec)), ctx.tables);
      return { system: spec.system, sourceRef: spec.ref, me, keys: blockKeys(ctx, me) };
    });
    // Read from the database, and from a run's mirror loaded after the batch was indexed.
    for (const mirrored of [false, true]) {
      const found = await inTransaction(db.pool, async (client) => {
        for (const r of batch) await indexSourceRecord(client, ctx, r.system, r.sourceRef);
        const linkStore = await BatchLinkStore.load(client, ctx, batch, mirrored ? await LinkMirror.load(client) : null);
        return linkStore.neighbours(batch[0]!.keys, 'revenues', 'KG1-1');
      });
      // The JNR, indexed with the batch but not linked yet, is there; the social-care record (linked, named on no account)
      // and the record itself are not.
      expect(found.map((p) => p.id)).toEqual(['revenues|KG1-2']);
    }
  });

  it('takes an undated record out of an account when a later joint party of its record matches it as well', async () => {
    const home = { surname: 'NORTHAWE', lines: ['91 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZN', uprn: 900023 };
    // The son, with his date of birth, on the tenancy; then the council tax's "KIT M", undated, joins him by nickname.
    const [son] = await add({ system: 'housing', ref: 'NW1-3', forenames: ['CHRISTOPHER'], dob: '2006-04-28', accounts: ['NW1'], ...home });
    const [kit] = await add({ system: 'revenues', ref: 'NW2-1', forenames: ['KIT', 'M'], accounts: ['NW2'], ...home });
    expect(kit!.citizenId).toBe(son!.citizenId);
    // The father, on the same tenancy as his son, undated, known by his NI number and another nickname: KIT M may be him.
    const [father] = await add({ system: 'housing', ref: 'NW1-1', forenames: ['TOPHER'], nino: 'ZH264800D', accounts: ['NW1'], ...home });
    expect(father!.citizenId).not.toBe(son!.citizenId);
    const kitNow = await citizenOf(ctx, 'revenues', 'NW2-1');
    expect(kitNow).not.toBe(son!.citizenId);
    const { rows } = await db.pool.query<{ citizen_id: string; reason: string }>(
      "SELECT citizen_id, reason FROM person_review WHERE system = 'revenues' AND source_ref = 'NW2-1' AND status = 'open'");
    expect(rows.map((r) => Number(r.citizen_id))).toContain(son!.citizenId);
    expect(rows.find((r) => Number(r.citizen_id) === son!.citizenId)!.reason).toContain('left the account');
  });

  it('does not take a record marked SNR for someone too young to have a grown son', async () => {
    const home = { forenames: ['MICHAEL'], surname: 'FARNHAM', lines: ['52 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZF', uprn: 900022 };
    const [young, snr] = await add(
      { system: 'social-care', ref: 'FN1', dob: '1999-10-14', ...home },
      { system: 'revenues', ref: 'FN2-1', suffix: 'SNR', accounts: ['FN2'], ...home },
    );
    expect(snr!.citizenId).not.toBe(young!.citizenId);
    const { rows } = await db.pool.query<{ reason: string }>("SELECT reason FROM person_review WHERE system = 'revenues' AND source_ref = 'FN2-1' AND status = 'open'");
    expect(rows.map((r) => r.reason)).toEqual([expect.stringContaining('marked SNR')]);
  });

  it('compares the UPRN address matching found when the source gave none', async () => {
    const [record] = await store(db.pool, [sourceRecord({ system: 'revenues', ref: 'MU1', forenames: ['ADA'], surname: 'QUARRIE', lines: ['5 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZU' })]);
    await db.pool.query(
      `INSERT INTO address_match (source_record_id, input_key, uprn, status, score, evidence, explanation) VALUES ($1, 'k', 900005, 'matched', 0.99, 'test', '{}')`, [record],
    );
    await linkOne(ctx, 'revenues', 'MU1');
    const { rows } = await db.pool.query<{ uprn: number }>("SELECT (features->>'uprn')::bigint AS uprn FROM person_record WHERE system = 'revenues' AND source_ref = 'MU1'");
    expect(Number(rows[0]!.uprn)).toBe(900005);
  });

  it('links spelling variants and a nickname into one account', async () => {
    const home = { lines: ['14 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZX', uprn: 900003, dob: '1975-11-23' };
    const outcomes = await add(
      { system: 'housing', ref: 'KM1', forenames: ['KATHERINE'], surname: 'MACDONALD', ...home },
      { system: 'revenues', ref: 'KM2', forenames: ['KATE'], surname: 'MCDONALD', ...home },
      { system: 'social-care', ref: 'KM3', forenames: ['KATHERINE', 'JANE'], surname: "M'DONALD", nhs: nhsNumber(777), ...home },
    );
    expect(new Set(outcomes.map((o) => o.citizenId)).size).toBe(1);
    expect(outcomes[0]!.action).toBe('created');
    expect(outcomes[1]!.action).toBe('joined');
  });

  it('does not merge two accounts with different valid NHS numbers through a record that matches both', async () => {
    const person = { forenames: ['PETER'], surname: 'WOOD', dob: '1950-02-02', lines: ['3 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZW' };
    const [a, b] = await add(
      { system: 'social-care', ref: 'NH1', nhs: nhsNumber(5001), ...person },
      { system: 'social-care', ref: 'NH2', nhs: nhsNumber(6001), ...person },
    );
    expect(a!.citizenId).not.toBe(b!.citizenId);
    const [bridge] = await add({ system: 'revenues', ref: 'NH3', ...person });
    expect(await citizenOf(ctx, 'social-care', 'NH1')).not.toBe(await citizenOf(ctx, 'social-care', 'NH2'));
    expect(bridge!.merges).toBe(0);
    const reviews = await db.pool.query("SELECT 1 FROM person_review WHERE status = 'open' AND source_ref IN ('NH2', 'NH3')");
    expect(reviews.rowCount).toBeGreaterThan(0);
  });

  it('merges two accounts bridged by a record when nothing conflicts, and the merged reference resolves to the survivor', async () => {
    const [a, b] = await add(
      { system: 'housing', ref: 'BR1', forenames: ['ROBERT'], surname: 'HUGHES', lines: ['1 ELM ROW', 'NORTHBY'], postcode: 'ZZ8 1AA', phone: '+447700911111' },
      { system: 'smartcard', ref: 'BR2', forenames: ['BOB'], surname: 'HUGHES', dob: '1982-06-30', email: 'bob.hughes@example.org' },
    );
    if (a!.citizenId === b!.citizenId) return expect.fail('the two partial records should start apart');
    const refs = await db.pool.query<{ id: string; ref: string }>('SELECT id, ref FROM citizen WHERE id IN ($1, $2) ORDER BY id', [a!.citizenId, b!.citizenId]);
    const [older, newer] = refs.rows;
    const [bridge] = await add({
      system: 'revenues', ref: 'BR3', forenames: ['ROBERT'], surname: 'HUGHES', dob: '1982-06-30', lines: ['1 ELM ROW', 'NORTHBY'], postcode: 'ZZ8 1AA',
      phone: '+447700911111', email: 'bob.hughes@example.org',
    });
    expect(bridge!.merges).toBe(1);
    expect(bridge!.citizenId).toBe(Number(older!.id));
    expect(await resolveRef(db.pool, newer!.ref)).toEqual({ id: Number(older!.id), ref: older!.ref, mergedFrom: newer!.ref, aliases: [newer!.ref] });
    const events = await db.pool.query("SELECT kind FROM citizen_event WHERE citizen_id = $1 AND kind = 'merge'", [newer!.id]);
    expect(events.rowCount).toBe(1);
  });

  it('re-links a changed record and keeps a closed one linked', async () => {
    const spec: PersonSpec = { system: 'housing', ref: 'CH1', forenames: ['JACK'], surname: 'PATEL', dob: '1991-01-15', lines: ['5 BIRCH ROAD', 'NORTHBY'], postcode: 'ZZ7 7AA' };
    const other: PersonSpec = { system: 'revenues', ref: 'CH2', forenames: ['JACK'], surname: 'PATEL', dob: '1991-01-15', lines: ['5 BIRCH ROAD', 'NORTHBY'], postcode: 'ZZ7 7AA' };
    const [a, b] = await add(spec, other);
    expect(a!.citizenId).toBe(b!.citizenId);
    const [moved] = await add({ ...spec, forenames: ['SOPHIE'], dob: '1970-08-08', sex: 'F' });
    expect(moved!.action).toBe('moved');
    expect(moved!.citizenId).not.toBe(b!.citizenId);
    const [closed] = await add({ ...other, closed: true });
    expect(closed!.action).toBe('kept');
    expect(await citizenOf(ctx, 'revenues', 'CH2')).toBe(b!.citizenId);
  });

  it('replaces a changed record\'s blocking keys, linked alone or in a batch', async () => {
    const keysOf = async (ref: string) => (await db.pool.query<{ block: string[]; kept: string[] }>(
      `SELECT ARRAY(SELECT key::text FROM person_block b WHERE b.system = p.system AND b.source_ref = p.source_ref ORDER BY 1) AS block,
              ARRAY(SELECT unnest(p.block_keys) ORDER BY 1) AS kept FROM person_record p WHERE p.system = 'housing' AND p.source_ref = $1`, [ref])).rows[0]!;
    const spec: PersonSpec = { system: 'housing', ref: 'RK1', forenames: ['NOAH'], surname: 'WALKER', dob: '1988-02-14', lines: ['7 FERN LANE', 'NORTHBY'], postcode: 'ZZ6 6FL' };
    await add(spec);
    const first = await keysOf('RK1');
    expect(first.block).toEqual(first.kept);
    await add({ ...spec, surname: 'EDWARDS', postcode: 'ZZ2 2ED', lines: ['40 QUEENS ROAD', 'NORTHBY'] });
    const second = await keysOf('RK1');
    expect(second.block).toEqual(second.kept);
    expect(second.block).not.toEqual(first.block);
    const ids = await store(db.pool, [sourceRecord({ ...spec, forenames: ['OSCAR'], dob: '1990-09-09' })]);
    await linkSourceRecords(ctx, ids);
    const third = await keysOf('RK1');
    expect(third.block).toEqual(third.kept);
    expect(third.block).not.toEqual(second.block);
  });

  it('links the pipeline\'s batch of new versions by source record id', async () => {
    const spec: PersonSpec = { system: 'smartcard', ref: 'PL1', forenames: ['KATE'], surname: 'MACDONALD', dob: '1975-11-23', lines: ['14 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZX' };
    const ids = await store(db.pool, [sourceRecord(spec), sourceRecord({ ...spec, ref: 'PL2', forenames: ['ISLA'], surname: 'OKONKWO', dob: '2001-01-01' })]);
    const counts = await linkSourceRecords(ctx, ids);
    expect(counts).toMatchObject({ records: 2, joined: 1, created: 1 });
    expect(await citizenOf(ctx, 'smartcard', 'PL1')).toBe(await citizenOf(ctx, 'housing', 'KM1'));
  });

  it('links through the pipeline\'s link-person job with the active model', async () => {
    const spec: PersonSpec = { system: 'social-care', ref: 'PJ1', forenames: ['KATHERINE'], surname: 'MACDONALD', dob: '1975-11-23', lines: ['14 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZX' };
    const ids = await store(db.pool, [sourceRecord(spec)]);
    const step = pipelineJobs({ pool: db.pool, logger: createLogger('silent'), matcher: new AddressMatcher(db.pool), linkage: linkageForWorker(db.pool, null) })
      .find((j) => j.name === 'pipeline.link-person')!;
    await step.handler({ ids }, { jobId: 'test', retryCount: 0 });
    expect(await citizenOf(ctx, 'social-care', 'PJ1')).toBe(await citizenOf(ctx, 'housing', 'KM1'));
  });

  it('is idempotent: linking the same record again changes nothing', async () => {
    const before = await db.pool.query('SELECT count(*) FROM citizen_link');
    const again = await linkOne(ctx, 'housing', 'KM1');
    expect(again.action).toBe('unchanged');
    expect((await db.pool.query('SELECT count(*) FROM citizen_link')).rows).toEqual(before.rows);
  });
});

describe('a merge in the middle of a batch', () => {
  it('moves the links of the batch\'s later records with it: they stay where the merge put them', async () => {
    const db = await createTestDatabase();
    try {
      await store(db.pool, population(3, 60));
      const person = { forenames: ['MARGARET'], surname: 'ZBOROWSKI', dob: '1961-04-17', lines: ['3 QUARRY HILL', 'NORTHBY'], postcode: 'ZZ4 4QH', email: 'mz@example.org' };
      await store(db.pool, [sourceRecord({ system: 'housing', ref: 'MB1', ...person }), sourceRecord({ system: 'revenues', ref: 'MB2', ...person })]);
      const tables = await loadPrepareTables();
      await trainFromDatabase(db.pool, tables, { seed: 3 });
      const ctx = await openLinkage(db.pool, { tables });
      await linkAll(ctx);
      // One person left in two accounts (as an older model might have): re-linking MB1 merges them, and MB2, later in the same batch, was read in the merged account.
      await inTransaction(db.pool, async (tx) => {
        await unlinkRecord(tx, 'revenues', 'MB2', MODEL, 'test');
        await createCitizen(tx, MODEL, { system: 'revenues', sourceRef: 'MB2', linkedBy: 'model' });
      });
      const apart = await citizenOf(ctx, 'revenues', 'MB2');
      expect(apart).not.toBe(await citizenOf(ctx, 'housing', 'MB1'));
      const counts = await linkAll(ctx, { relink: true });
      expect(counts.merges).toBe(1);
      expect(counts.moved).toBe(0);
      expect(await citizenOf(ctx, 'revenues', 'MB2')).toBe(await citizenOf(ctx, 'housing', 'MB1'));
      const unlinks = await db.pool.query("SELECT 1 FROM citizen_event WHERE source_ref = 'MB2' AND kind = 'unlink'");
      expect(unlinks.rowCount).toBe(1);
    } finally {
      await db.drop();
    }
  }, 120_000);
});

/** A generated population stored, the model trained on it and every record linked; the context to link more with. */
async function linkedPopulation(db: TestDatabase, seed: number, people: number): Promise<LinkageContext> {
  await store(db.pool, population(seed, people));
  const tables = await loadPrepareTables();
  await trainFromDatabase(db.pool, tables, { seed: 9 });
  const ctx = await openLinkage(db.pool, { tables });
  await linkAll(ctx);
  return ctx;
}

describe('determinism', () => {
  it('gives the same accounts and reviews for the same input order and model, with the linkage state read batch by batch or kept in memory', async () => {
    const runs: { partition: string[]; reviews: string[] }[] = [];
    // Twice as a run chooses (it keeps the state in memory: nothing is indexed yet), then read batch by batch and kept, in small
    // batches. (The worker thread's preparing is compared with this thread's in content-worker.test.ts: a run this small ends
    // before the thread has loaded.)
    for (const options of [{}, {}, { mirror: false, batchSize: 40 }, { mirror: true, batchSize: 40 }]) {
      const db = await createTestDatabase();
      try {
        await store(db.pool, population(5, 80));
        const tables = await loadPrepareTables();
        await trainFromDatabase(db.pool, tables, { seed: 9 });
        await linkAll(await openLinkage(db.pool, { tables }), options);
        const { rows } = await db.pool.query<{ members: string }>(
          `SELECT string_agg(system || '/' || source_ref, ',' ORDER BY system, source_ref) AS members
             FROM citizen_link WHERE ended_at IS NULL GROUP BY citizen_id ORDER BY 1`,
        );
        const reviews = await db.pool.query<{ item: string }>(
          "SELECT concat_ws('/', r.system, r.source_ref, r.candidate_system, r.candidate_ref, r.status) AS item FROM person_review r ORDER BY 1",
        );
        runs.push({ partition: rows.map((r) => r.members), reviews: reviews.rows.map((r) => r.item) });
      } finally {
        await db.drop();
      }
    }
    expect(runs[0]!.partition.length).toBeGreaterThan(70);
    for (const run of runs.slice(1)) expect(run).toEqual(runs[0]);
  }, 240_000);

  it('indexes a large run\'s new records ahead of their batch, and indexes again one whose address match changed meanwhile', async () => {
    const db = await createTestDatabase();
    try {
      const ctx = await linkedPopulation(db, 4, 30);
      const specs: PersonSpec[] = [
        { system: 'revenues', ref: 'IA1', forenames: ['ORLA'], surname: 'FENWICK', dob: '1975-02-14', lines: ['4 WEIR LANE', 'NORTHBY'], postcode: 'ZZ7 7ZA' },
        { system: 'housing', ref: 'IA2', forenames: ['ORLA'], surname: 'FENWICK', dob: '1975-02-14', lines: ['4 WEIR LANE', 'NORTHBY'], postcode: 'ZZ7 7ZA' },
        { system: 'benefits', ref: 'IA3', forenames: ['ORLA'], surname: 'FENWICK', dob: '1975-02-14', lines: ['4 WEIR LANE', 'NORTHBY'], postcode: 'ZZ7 7ZA' },
      ];
      const ids = await store(db.pool, specs.map(sourceRecord));
      let indexedAhead = false;
      let batches = 0;
      await linkAll(ctx, {
        mirror: true, batchSize: 1,
        onProgress: async () => {
          if (++batches !== 2) return;
          // The third record is read and indexed ahead, beside the batches before it (waited for here): indexed, not yet linked.
          const indexed = async () => (await db.pool.query('SELECT 1 FROM person_record WHERE system = $1 AND source_ref = $2', ['benefits', 'IA3'])).rows.length > 0;
          for (let wait = 0; !(await indexed()) && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
          indexedAhead = (await indexed()) && (await citizenOf(ctx, 'benefits', 'IA3')) === null;
          await db.pool.query(
            `INSERT INTO address_match (source_record_id, input_key, uprn, status, score, evidence, explanation) VALUES ($1, 'k', 900077, 'matched', 0.99, 'test', '{}')`, [ids[2]],
          );
        },
      });
      expect(batches).toBe(3);
      expect(indexedAhead).toBe(true);
      // One account, and the third record's keys are those of its content as linked (with the UPRN matched meanwhile), in both places.
      const accounts = await Promise.all(specs.map((p) => citizenOf(ctx, p.system, p.ref)));
      expect(new Set(accounts).size).toBe(1);
      const { rows: [indexed] } = await db.pool.query<{ uprn: string; keys: string[]; blocks: string[] }>(
        `SELECT p.features->>'uprn' AS uprn, p.block_keys AS keys,
                ARRAY(SELECT b.key FROM person_block b WHERE b.system = p.system AND b.source_ref = p.source_ref ORDER BY b.key) AS blocks
           FROM person_record p WHERE p.system = 'benefits' AND p.source_ref = 'IA3'`,
      );
      expect(indexed!.uprn).toBe('900077');
      expect([...indexed!.keys].sort()).toEqual(indexed!.blocks);
      const uprnRule = ctx.rules.findIndex((r) => r.name === 'uprn');
      expect(indexed!.blocks).toContain(`${uprnRule}:900077`);
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('loads the state a run keeps in memory again when a steward changed links between its batches', async () => {
    const db = await createTestDatabase();
    try {
      const ctx = await linkedPopulation(db, 3, 60);
      const home = { surname: 'HALLORAN', lines: ['3 ORCHARD CLOSE', 'NORTHBY'], postcode: 'ZZ9 9ZH', uprn: 900031 };
      const first: PersonSpec = { system: 'revenues', ref: 'HL1', forenames: ['PETRA'], dob: '1961-04-09', ...home };
      const other: PersonSpec = { system: 'housing', ref: 'HL2', forenames: ['QUENTIN'], surname: 'MARLOWE', dob: '1990-11-30', lines: ['9 MILL LANE', 'NORTHBY'], postcode: 'ZZ8 8ZQ', uprn: 900032 };
      const again: PersonSpec = { ...first, system: 'housing', ref: 'HL3' };
      await store(db.pool, [first, other, again].map(sourceRecord));
      let batches = 0;
      let emptied: number | null = null;
      await linkAll(ctx, {
        mirror: true, batchSize: 1,
        onProgress: async () => {
          if (++batches !== 2) return;
          // Between the run's batches: the steward moves PETRA's record to QUENTIN's account; hers is left empty and merged.
          emptied = await citizenOf(ctx, 'revenues', 'HL1');
          const { rows } = await db.pool.query<{ ref: string }>('SELECT c.ref FROM citizen c JOIN citizen_link l ON l.citizen_id = c.id AND l.ended_at IS NULL WHERE l.system = $1 AND l.source_ref = $2', ['housing', 'HL2']);
          await manualLink(ctx, rows[0]!.ref, 'revenues', 'HL1', { clientId: null, reason: 'test' });
        },
      });
      expect(batches).toBe(3);
      expect(emptied).not.toBeNull();
      // Kept in memory without loading again, the state still had PETRA's first account, and her second record joined it.
      const status = await db.pool.query<{ status: string }>('SELECT c.status FROM citizen c WHERE c.id = $1', [await citizenOf(ctx, 'housing', 'HL3')]);
      expect(await citizenOf(ctx, 'housing', 'HL3')).not.toBe(emptied);
      expect(status.rows[0]!.status).toBe('active');
    } finally {
      await db.drop();
    }
  }, 120_000);
});
