import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLink, resolveRef, type Actor } from '../../../src/linkage/accounts.js';
import { openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { decidePersonReview, manualLink, manualUnlink, markDistinct } from '../../../src/linkage/decisions.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { linkOne } from '../../../src/linkage/link.js';
import { addObjection } from '../../../src/register/citizen-records.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import type { TestDatabase } from '../../support/db.js';
import { addLinked, linkedPopulation, type PersonSpec } from './people.js';

describe('steward decisions override the model', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  let steward: Actor;
  const citizenOf = async (system: string, ref: string) => (await currentLink(db.pool, system, ref))?.citizenId ?? null;
  const refOf = async (id: number | null) => (await db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
  const add = (...specs: PersonSpec[]) => addLinked(ctx, db.pool, ...specs);
  const rerun = async (retrain: boolean) => {
    if (retrain) {
      await trainFromDatabase(db.pool, ctx.tables, { seed: 99 });
      ctx = await openLinkage(db.pool, { tables: ctx.tables });
    }
    await linkAll(ctx, { relink: true });
  };
  const same = { surname: 'WRIGHT', dob: '1966-09-09', lines: ['2 ASH GROVE', 'NORTHBY'], postcode: 'ZZ6 6AA' };

  beforeAll(async () => {
    ({ db, ctx, steward } = await linkedPopulation(3, 150));
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it("keeps 'not the same person' through re-runs, re-training and a bridging record", async () => {
    await add({ system: 'housing', ref: 'SD1', forenames: ['SUSAN'], ...same }, { system: 'revenues', ref: 'SD2', forenames: ['SUSAN'], ...same });
    const together = await citizenOf('housing', 'SD1');
    expect(await citizenOf('revenues', 'SD2')).toBe(together);
    await markDistinct(ctx, await refOf(together), 'revenues', 'SD2', steward);
    expect(await citizenOf('revenues', 'SD2')).not.toBe(together);
    await rerun(false);
    expect(await citizenOf('revenues', 'SD2')).not.toBe(await citizenOf('housing', 'SD1'));
    await rerun(true);
    expect(await citizenOf('revenues', 'SD2')).not.toBe(await citizenOf('housing', 'SD1'));
    await add({ system: 'smartcard', ref: 'SD3', forenames: ['SUSAN'], ...same });
    expect(await citizenOf('revenues', 'SD2')).not.toBe(await citizenOf('housing', 'SD1'));
    const history = await db.pool.query("SELECT kind, client_id FROM citizen_event WHERE citizen_id = $1 AND kind = 'split'", [together]);
    expect(history.rows.map((r: { client_id: unknown }) => Number(r.client_id))).toEqual([steward.clientId]);
  });

  it('keeps a manual unlink through a re-run', async () => {
    const person = { surname: 'GREEN', dob: '1944-04-14', lines: ['8 ASH GROVE', 'NORTHBY'], postcode: 'ZZ6 6AB' };
    await add({ system: 'housing', ref: 'UL1', forenames: ['MARGARET'], ...person }, { system: 'social-care', ref: 'UL2', forenames: ['PEGGY'], ...person });
    const account = await citizenOf('housing', 'UL1');
    expect(await citizenOf('social-care', 'UL2')).toBe(account);
    const ref = await refOf(account);
    const { citizenRef } = await manualUnlink(ctx, ref, 'social-care', 'UL2', steward);
    expect(citizenRef).not.toBe(ref);
    await expect(manualUnlink(ctx, ref, 'social-care', 'UL2', steward)).rejects.toThrow(/not linked/);
    await expect(manualUnlink(ctx, ref, 'housing', 'UL1', steward)).rejects.toThrow(/only record/);
    await rerun(false);
    expect(await citizenOf('social-care', 'UL2')).not.toBe(account);
    expect(await citizenOf('housing', 'UL1')).toBe(account);
  });

  it('links by hand against the model, and the emptied account resolves to the target', async () => {
    await add(
      { system: 'housing', ref: 'ML1', forenames: ['ANDREW'], surname: 'HALL', dob: '1990-01-01', lines: ['4 OAK ROW', 'NORTHBY'], postcode: 'ZZ5 5AA' },
      { system: 'smartcard', ref: 'ML2', forenames: ['DREW'], surname: 'HALL-SMYTHE', dob: '1990-10-01' },
    );
    const a = await citizenOf('housing', 'ML1');
    const b = await citizenOf('smartcard', 'ML2');
    expect(a).not.toBe(b);
    const [refA, refB] = [await refOf(a), await refOf(b)];
    expect((await manualLink(ctx, refA, 'smartcard', 'ML2', steward)).citizenRef).toBe(refA);
    expect(await citizenOf('smartcard', 'ML2')).toBe(a);
    expect((await resolveRef(db.pool, refB))?.ref).toBe(refA);
    await rerun(true);
    expect(await citizenOf('smartcard', 'ML2')).toBe(a);
    await expect(manualLink(ctx, 'C0000000000', 'smartcard', 'ML2', steward)).rejects.toThrow(/no citizen/);
  });

  it("keeps an account's own records, reference and register records when a steward links another record to it, through re-runs", async () => {
    const home = { forenames: ['DAVID'], surname: 'FARBURY', lines: ['12 ELM COURT', 'NORTHBY'], postcode: 'ZZ7 7AF', uprn: 700012 };
    await add(
      { system: 'revenues', ref: 'FB1-1', dob: '1957-06-02', ...home }, { system: 'housing', ref: 'FB2-1', dob: '1957-06-02', ...home },
      { system: 'smartcard', ref: 'FB3', dob: '1957-06-02', ...home },
      { system: 'revenues', ref: 'FB1-2', dob: '2002-06-20', ...home }, { system: 'housing', ref: 'FB2-2', dob: '2002-06-20', ...home },
    );
    const father = await citizenOf('smartcard', 'FB3');
    const son = await citizenOf('housing', 'FB2-2');
    expect(await citizenOf('revenues', 'FB1-2')).toBe(son);
    expect(son).not.toBe(father);
    const sonRef = await refOf(son);
    await addObjection(db.pool, { citizenRef: sonRef, purpose: null, recipientOrgId: null, from: '2025-01-01T00:00:00Z' }, steward.clientId!);
    // Against the model (the dates of birth differ): the steward's word.
    await manualLink(ctx, sonRef, 'smartcard', 'FB3', steward);
    const placed = { smartcard: ['FB3'], revenues: ['FB1-2'], housing: ['FB2-2'] };
    const expectPlaced = async () => {
      for (const [system, refs] of Object.entries(placed)) for (const ref of refs) expect(await citizenOf(system, ref)).toBe(son);
      expect(await citizenOf('revenues', 'FB1-1')).toBe(father);
      expect(await citizenOf('housing', 'FB2-1')).toBe(father);
      const account = (await db.pool.query<{ ref: string; merged_into: string | null }>('SELECT ref, merged_into FROM citizen WHERE id = $1', [son])).rows[0]!;
      expect(account).toEqual({ ref: sonRef, merged_into: null });
      expect((await resolveRef(db.pool, sonRef))?.id).toBe(son);
      const objections = await db.pool.query<{ citizen_ref: string }>('SELECT citizen_ref FROM objection WHERE citizen_ref = $1', [sonRef]);
      expect(objections.rows).toHaveLength(1);
    };
    await expectPlaced();
    // Read batch by batch, kept in memory, and one record at a time: the son's records do not leave for a new account,
    // and the account is not merged into the father's on the next run.
    await linkAll(ctx, { relink: true, mirror: false });
    await expectPlaced();
    await linkAll(ctx, { relink: true, mirror: true });
    await expectPlaced();
    for (const [system, ref] of [['revenues', 'FB1-2'], ['housing', 'FB2-2']] as const) await linkOne(ctx, system, ref, { force: true });
    await expectPlaced();
    const left = await db.pool.query("SELECT 1 FROM citizen_event WHERE citizen_id = $1 AND kind IN ('split', 'unlink', 'merge') AND source_ref <> 'FB3'", [son]);
    expect(left.rows).toHaveLength(0);
  });

  it('re-runs over unchanged records as a fixed point: no link changes, no history, no outbox rows', async () => {
    const home = { surname: 'WALLOCK', lines: ['11 MARKET PLACE', 'NORTHBY'], postcode: 'ZZ7 7AW', uprn: 700011 };
    // A father on a council tax account beside an undated WILLIAM WALLOCK (his son, as the SNR says), and on a tenancy
    // with his son: the father's tenancy record once took the undated record out of the son's account, and a record of
    // the son's bridged it back, run after run.
    await add(
      { system: 'revenues', ref: 'WL1-1', forenames: ['WILLIAM'], suffix: 'SNR', dob: '1955-09-12', accounts: ['WL1'], ...home },
      { system: 'housing', ref: 'WL2-1', forenames: ['WILLIAM'], dob: '1955-09-12', accounts: ['WL2'], ...home },
      { system: 'housing', ref: 'WL2-2', forenames: ['WILLIAM'], dob: '1993-10-03', accounts: ['WL2'], ...home },
      { system: 'social-care', ref: 'WL3', forenames: ['WILLIAM'], dob: '1993-10-03', ...home },
      { system: 'revenues', ref: 'WL1-2', forenames: ['WILLIAM'], accounts: ['WL1'], ...home },
    );
    // A steward's decision stands (the re-read after it once announced every later record of the batch as changed).
    const decided = await citizenOf('housing', 'WL2-2');
    await manualLink(ctx, await refOf(decided), 'social-care', 'WL3', steward);
    await linkAll(ctx, { relink: true });
    const state = async () => ({
      links: (await db.pool.query('SELECT citizen_id, system, source_ref, linked_by FROM citizen_link WHERE ended_at IS NULL ORDER BY system, source_ref')).rows,
      ids: (await db.pool.query<{ link: string; event: string; outbox: string; citizen: string }>(
        `SELECT (SELECT max(id) FROM citizen_link) AS link, (SELECT max(id) FROM citizen_event) AS event,
                (SELECT max(id) FROM citizen_outbox) AS outbox, (SELECT max(id) FROM citizen) AS citizen`,
      )).rows[0],
    });
    const before = await state();
    for (const mirror of [false, true]) {
      const counts = await linkAll(ctx, { relink: true, mirror });
      expect(counts).toMatchObject({ created: 0, joined: 0, moved: 0, merges: 0 });
      expect(await state()).toEqual(before);
    }
  });

  it('decides review items: distinct keeps the pair apart from then on', async () => {
    const person = { surname: 'JONES', lines: ['6 OAK ROW', 'NORTHBY'], postcode: 'ZZ5 5AB' };
    await add({ system: 'housing', ref: 'RV1', forenames: ['DAVID'], ...person }, { system: 'revenues', ref: 'RV2', forenames: ['DAVID'], surname: 'JONES', dob: '1971-03-03' });
    const review = (await db.pool.query<{ id: string; model_decision: string }>("SELECT id, model_decision FROM person_review WHERE status = 'open' AND source_ref IN ('RV1', 'RV2')")).rows[0];
    if (!review) return expect.fail('a review item for the partial pair');
    expect(review.model_decision).toBe('review');
    expect(await citizenOf('housing', 'RV1')).not.toBe(await citizenOf('revenues', 'RV2'));
    await decidePersonReview(ctx, Number(review.id), 'distinct', steward);
    await expect(decidePersonReview(ctx, Number(review.id), 'link', steward)).rejects.toThrow(/already decided/);
    await add({ system: 'social-care', ref: 'RV3', forenames: ['DAVID'], dob: '1971-03-03', ...person });
    expect(await citizenOf('housing', 'RV1')).not.toBe(await citizenOf('revenues', 'RV2'));
  });
});
