/** The account lifecycle across merges, splits and stewards' decisions: what a later run, a reference or a register record finds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLink, mergeCitizens, resolveRef, type Actor } from '../../../src/linkage/accounts.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { inTransaction, type LinkageContext } from '../../../src/linkage/context.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { decidePersonReview, manualLink, manualUnlink, markDistinct, markDistinctIn } from '../../../src/linkage/decisions.js';
import { linkOne } from '../../../src/linkage/link.js';
import { personReviewQueue } from '../../../src/linkage/review.js';
import { addConsent, addRestriction, consentsOf, restrictionsOf } from '../../../src/register/citizen-records.js';
import type { TestDatabase } from '../../support/db.js';
import { addLinked, linkedPopulation, sourceRecord, store, type PersonSpec } from './people.js';

describe('account lifecycle', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  let steward: Actor;
  const citizenOf = async (system: string, ref: string) => (await currentLink(db.pool, system, ref))?.citizenId ?? null;
  const refOf = async (id: number | null) => (await db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
  const membersOf = async (id: number | null) =>
    Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM citizen_link WHERE citizen_id = $1 AND ended_at IS NULL', [id])).rows[0]!.n);
  const add = (...specs: PersonSpec[]) => addLinked(ctx, db.pool, ...specs);
  const merge = (merged: number, survivor: number) => inTransaction(db.pool, (c) => mergeCitizens(c, merged, survivor, steward, survivor));
  const statusOf = async (id: number | null) => (await db.pool.query<{ status: string }>('SELECT status FROM citizen WHERE id = $1', [id])).rows[0]!.status;
  /** The outbox rows of the last transaction that wrote any, as [account, event type]. */
  const lastPublished = async () => (await db.pool.query<{ citizen_id: string; event_type: string }>(
    'SELECT citizen_id, event_type FROM citizen_outbox WHERE tx = (SELECT max(tx) FROM citizen_outbox) ORDER BY id')).rows
    .map((r) => [Number(r.citizen_id), r.event_type]);
  const openReview = async (system: string, ref: string) => (await db.pool.query<{ id: string; system: string; source_ref: string; citizen_id: string }>(
    "SELECT id, system, source_ref, citizen_id FROM person_review WHERE status = 'open' AND system = $1 AND source_ref = $2", [system, ref])).rows[0];
  const reviewState = async (id: string) => (await db.pool.query<{ status: string; withdrawn_why: string | null }>(
    'SELECT status, withdrawn_why FROM person_review WHERE id = $1', [id])).rows[0]!;
  const queued = async (id: string) => (await personReviewQueue(db.pool, 0, 500)).some((i) => i.id === Number(id));

  beforeAll(async () => {
    ({ db, ctx, steward } = await linkedPopulation(7, 150));
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it("keeps 'not the same person' after a merge, against a steward's earlier link to the account merged away", async () => {
    await add(
      { system: 'housing', ref: 'LD1', forenames: ['ISLA'], surname: 'OKONKWO', dob: '1958-02-17', lines: ['3 LARCH CLOSE', 'NORTHBY'], postcode: 'ZZ7 7AA' },
      { system: 'revenues', ref: 'LD2', forenames: ['PETER'], surname: 'ZBOROWSKI', dob: '1983-06-30', lines: ['9 ELM WALK', 'NORTHBY'], postcode: 'ZZ7 7AB' },
      { system: 'smartcard', ref: 'LD3', forenames: ['P'], surname: 'ZBOROWSKI' },
    );
    const older = (await citizenOf('housing', 'LD1'))!;
    const younger = (await citizenOf('revenues', 'LD2'))!;
    expect(younger).toBeGreaterThan(older);
    await manualLink(ctx, await refOf(younger), 'smartcard', 'LD3', steward);
    await merge(younger, older);
    expect(await citizenOf('smartcard', 'LD3')).toBe(older);

    const { citizenRef } = await markDistinct(ctx, await refOf(older), 'smartcard', 'LD3', steward);
    const own = await citizenOf('smartcard', 'LD3');
    expect(await refOf(own)).toBe(citizenRef);
    expect(own).not.toBe(older);

    await linkOne(ctx, 'smartcard', 'LD3', { force: true });
    expect(await citizenOf('smartcard', 'LD3')).toBe(own);
    await linkAll(ctx, { relink: true });
    expect(await citizenOf('smartcard', 'LD3')).toBe(own);
    expect(await membersOf(own)).toBe(1);
  });

  it('gives a record split off after a merge back the account it brought, with the register records kept under it', async () => {
    await add(
      { system: 'housing', ref: 'SM1', forenames: ['POPPY'], surname: 'MACDONALD', dob: '1949-11-02', lines: ['5 ROWAN WAY', 'NORTHBY'], postcode: 'ZZ8 8AA' },
      { system: 'social-care', ref: 'SM2', forenames: ['KATHERINE'], surname: 'PATEL', dob: '1975-04-21', lines: ['14 BIRCH ROAD', 'NORTHBY'], postcode: 'ZZ8 8AB' },
    );
    const survivor = (await citizenOf('housing', 'SM1'))!;
    const brought = (await citizenOf('social-care', 'SM2'))!;
    const [survivorRef, broughtRef] = [await refOf(survivor), await refOf(brought)];
    const restriction = await addRestriction(db.pool, { citizenRef: broughtRef, from: '2024-01-01T00:00:00.000Z', to: null, reason: 'accuracy contested' }, steward.clientId!);
    await merge(brought, survivor);
    const source = new LinkedCitizenSource(db.pool);
    expect(await source.mergedInto(survivorRef)).toContain(broughtRef);

    const { citizenRef } = await manualUnlink(ctx, survivorRef, 'social-care', 'SM2', steward);
    expect(citizenRef).toBe(broughtRef);
    expect((await resolveRef(db.pool, broughtRef))?.ref).toBe(broughtRef);
    expect(await source.mergedInto(survivorRef)).not.toContain(broughtRef);
    const held = async (ref: string) => (await restrictionsOf(db.pool, [ref, ...(await source.mergedInto(ref))])).map((r) => r.id);
    expect(await held(broughtRef)).toEqual([restriction.id]);
    expect(await held(survivorRef)).toEqual([]);
    const published = await db.pool.query<{ citizen_id: string; event_type: string; other_citizen: string | null }>(
      'SELECT citizen_id, event_type, other_citizen FROM citizen_outbox WHERE tx = (SELECT max(tx) FROM citizen_outbox) ORDER BY id');
    expect(published.rows.map((r) => [Number(r.citizen_id), r.event_type])).toEqual(expect.arrayContaining([
      [brought, 'citizen.created'], [survivor, 'citizen.split'],
    ]));

    await linkAll(ctx, { relink: true });
    expect(await citizenOf('social-care', 'SM2')).toBe(brought);
    expect(await citizenOf('housing', 'SM1')).toBe(survivor);
  });

  it("gives the account back its reference on the model's split and on 'not the same person', as on an unlink (docs/publishing.md)", async () => {
    await add(
      { system: 'housing', ref: 'RB1', forenames: ['OSWIN'], surname: 'HARTIGAN', dob: '1952-03-08', lines: ['7 TANSY ROW', 'NORTHBY'], postcode: 'ZZ6 6RA' },
      { system: 'social-care', ref: 'RB2', forenames: ['MIRIAM'], surname: 'FENWICK-OYE', dob: '1987-12-01', lines: ['21 TEASEL ROAD', 'NORTHBY'], postcode: 'ZZ6 6RB' },
      { system: 'housing', ref: 'RB3', forenames: ['GODFREY'], surname: 'ALDERTON', dob: '1940-06-25', lines: ['4 TANSY ROW', 'NORTHBY'], postcode: 'ZZ6 6RC' },
      { system: 'revenues', ref: 'RB4', forenames: ['NERYS'], surname: 'PENHALIGON', dob: '1979-10-13', lines: ['30 TEASEL ROAD', 'NORTHBY'], postcode: 'ZZ6 6RD' },
    );
    const source = new LinkedCitizenSource(db.pool);
    const mergedPair = async (kept: [string, string], brought: [string, string]) => {
      const survivor = (await citizenOf(...kept))!;
      const account = (await citizenOf(...brought))!;
      expect(account).not.toBe(survivor);
      await merge(account, survivor);
      expect(await citizenOf(...brought)).toBe(survivor);
      return { survivorRef: await refOf(survivor), broughtRef: await refOf(account), account };
    };
    const backAsItWas = async (ref: string, account: number, survivorRef: string) => {
      expect(await statusOf(account)).toBe('active');
      expect(await resolveRef(db.pool, ref)).toMatchObject({ id: account, ref, mergedFrom: null });
      expect(await source.mergedInto(survivorRef)).not.toContain(ref);
    };

    // The model: re-linked, the record no longer agrees with the account it was merged into, and leaves it.
    const byModel = await mergedPair(['housing', 'RB1'], ['social-care', 'RB2']);
    await linkOne(ctx, 'social-care', 'RB2', { force: true });
    expect(await citizenOf('social-care', 'RB2')).toBe(byModel.account);
    await backAsItWas(byModel.broughtRef, byModel.account, byModel.survivorRef);
    // A steward's "not the same person".
    const bySteward = await mergedPair(['housing', 'RB3'], ['revenues', 'RB4']);
    const { citizenRef } = await markDistinct(ctx, bySteward.survivorRef, 'revenues', 'RB4', steward);
    expect(citizenRef).toBe(bySteward.broughtRef);
    await backAsItWas(bySteward.broughtRef, bySteward.account, bySteward.survivorRef);
  });

  it("keeps each reference with its own person when the model finds the survivor's own record no longer agrees: the merged account's records go back to it (docs/person-linkage.md, Splits)", async () => {
    await add(
      { system: 'housing', ref: 'RB5', forenames: ['CASSIAN'], surname: 'WETHERELL', dob: '1963-02-14', lines: ['9 TANSY ROW', 'NORTHBY'], postcode: 'ZZ6 6RE' },
      { system: 'smartcard', ref: 'RB6', forenames: ['LOVEDAY'], surname: 'TRELAWNEY', dob: '1995-07-19', lines: ['12 TEASEL ROAD', 'NORTHBY'], postcode: 'ZZ6 6RF' },
    );
    const survivor = (await citizenOf('housing', 'RB5'))!;
    const brought = (await citizenOf('smartcard', 'RB6'))!;
    const [survivorRef, broughtRef] = [await refOf(survivor), await refOf(brought)];
    await merge(brought, survivor);
    // A batch re-links records in turn; the survivor's own record comes first and no longer agrees with the rest.
    await linkAll(ctx, { relink: true });
    expect(await citizenOf('housing', 'RB5')).toBe(survivor);
    expect(await citizenOf('smartcard', 'RB6')).toBe(brought);
    expect(await statusOf(brought)).toBe('active');
    expect(await resolveRef(db.pool, broughtRef)).toMatchObject({ id: brought, ref: broughtRef, mergedFrom: null });
    expect(await resolveRef(db.pool, survivorRef)).toMatchObject({ id: survivor, ref: survivorRef, mergedFrom: null });
    // And one record at a time, as the pipeline links a changed record.
    await merge(brought, survivor);
    await linkOne(ctx, 'housing', 'RB5', { force: true });
    expect([await citizenOf('housing', 'RB5'), await citizenOf('smartcard', 'RB6')]).toEqual([survivor, brought]);
    expect(await statusOf(brought)).toBe('active');
  });

  it("gives the records of several wrong merges back to the accounts that brought them when the survivor's own record no longer agrees", async () => {
    await add(
      { system: 'housing', ref: 'RB7', forenames: ['ISOLDE'], surname: 'MARCHBANKS', dob: '1958-09-03', lines: ['2 SEDGE CLOSE', 'NORTHBY'], postcode: 'ZZ6 6RG' },
      { system: 'smartcard', ref: 'RB8', forenames: ['BARNABY'], surname: 'OYELARAN', dob: '1991-01-27', lines: ['40 TEASEL ROAD', 'NORTHBY'], postcode: 'ZZ6 6RH' },
      { system: 'revenues', ref: 'RB9', forenames: ['WINIFRED'], surname: 'CASTELLANOS', dob: '1972-05-11', lines: ['8 TANSY ROW', 'NORTHBY'], postcode: 'ZZ6 6RJ' },
      { system: 'social-care', ref: 'RB10', forenames: ['AUGUSTIN'], surname: 'PELLEW', dob: '1984-12-30', lines: ['17 WELD STREET', 'NORTHBY'], postcode: 'ZZ6 6RK' },
    );
    const survivor = (await citizenOf('housing', 'RB7'))!;
    const first = (await citizenOf('smartcard', 'RB8'))!;
    const second = (await citizenOf('revenues', 'RB9'))!;
    const earlier = (await citizenOf('social-care', 'RB10'))!;
    const [survivorRef, firstRef, secondRef, earlierRef] = [await refOf(survivor), await refOf(first), await refOf(second), await refOf(earlier)];
    const restriction = await addRestriction(db.pool, { citizenRef: firstRef, from: '2024-01-01T00:00:00.000Z', to: null, reason: 'accuracy contested' }, steward.clientId!);
    // Three wrong merges: one into the account that is merged next, and two straight into the survivor.
    await merge(earlier, first);
    await merge(first, survivor);
    await merge(second, survivor);
    const source = new LinkedCitizenSource(db.pool);
    expect((await source.mergedInto(survivorRef)).sort()).toEqual([firstRef, secondRef, earlierRef].sort());

    await linkOne(ctx, 'housing', 'RB7', { force: true });
    expect(await citizenOf('housing', 'RB7')).toBe(survivor);
    // Each record with the account whose merge brought it into the survivor's, under that account's reference.
    expect([await citizenOf('smartcard', 'RB8'), await citizenOf('social-care', 'RB10'), await citizenOf('revenues', 'RB9')]).toEqual([first, first, second]);
    expect([await statusOf(first), await statusOf(second)]).toEqual(['active', 'active']);
    expect(await resolveRef(db.pool, firstRef)).toMatchObject({ id: first, mergedFrom: null });
    expect(await resolveRef(db.pool, secondRef)).toMatchObject({ id: second, mergedFrom: null });
    // The account merged into the first one earlier follows its record there, not the survivor's person.
    expect(await resolveRef(db.pool, earlierRef)).toMatchObject({ id: first, ref: firstRef, mergedFrom: earlierRef });
    expect(await source.mergedInto(survivorRef)).toEqual([]);
    const held = async (ref: string) => (await restrictionsOf(db.pool, [ref, ...(await source.mergedInto(ref))])).map((r) => r.id);
    expect(await held(firstRef)).toEqual([restriction.id]);
    expect(await held(survivorRef)).toEqual([]);
    expect(await lastPublished()).toEqual(expect.arrayContaining([
      [first, 'citizen.created'], [second, 'citizen.created'], [survivor, 'citizen.split'],
    ]));

    // Linked again, the earlier account's record does not agree with the first's either: every person has their own account back.
    await linkAll(ctx, { relink: true });
    expect([await citizenOf('housing', 'RB7'), await citizenOf('smartcard', 'RB8'), await citizenOf('revenues', 'RB9'), await citizenOf('social-care', 'RB10')])
      .toEqual([survivor, first, second, earlier]);
    expect(await resolveRef(db.pool, earlierRef)).toMatchObject({ id: earlier, mergedFrom: null });

    // The same merges undone by a batch, which keeps its accounts in memory.
    await merge(earlier, first);
    await merge(first, survivor);
    await merge(second, survivor);
    await linkAll(ctx, { relink: true });
    expect([await citizenOf('housing', 'RB7'), await citizenOf('smartcard', 'RB8'), await citizenOf('revenues', 'RB9'), await citizenOf('social-care', 'RB10')])
      .toEqual([survivor, first, second, earlier]);
    for (const [ref, id] of [[survivorRef, survivor], [firstRef, first], [secondRef, second], [earlierRef, earlier]] as const) {
      expect(await resolveRef(db.pool, ref!)).toMatchObject({ id, mergedFrom: null });
    }
  });

  it("gives an account emptied by a steward's link, and merged away, its reference back when the steward undoes the link", async () => {
    await add(
      { system: 'housing', ref: 'SE1', forenames: ['PERPETUA'], surname: 'AMBROSE-KELL', dob: '1949-04-02', lines: ['6 WOAD LANE', 'NORTHBY'], postcode: 'ZZ6 6SE' },
      { system: 'revenues', ref: 'SE2', forenames: ['TADHG'], surname: 'VOSPER', dob: '1990-01-21', lines: ['15 WELD STREET', 'NORTHBY'], postcode: 'ZZ6 6SF' },
    );
    const into = (await citizenOf('housing', 'SE1'))!;
    const emptied = (await citizenOf('revenues', 'SE2'))!;
    const emptiedRef = await refOf(emptied);
    await manualLink(ctx, await refOf(into), 'revenues', 'SE2', steward);
    expect(await statusOf(emptied)).toBe('merged');
    expect(await resolveRef(db.pool, emptiedRef)).toMatchObject({ id: into });
    // Undone: the record's person has their reference again, which no longer leads to the other person.
    const { citizenRef } = await manualUnlink(ctx, await refOf(into), 'revenues', 'SE2', steward);
    expect(citizenRef).toBe(emptiedRef);
    expect(await citizenOf('revenues', 'SE2')).toBe(emptied);
    expect(await statusOf(emptied)).toBe('active');
    expect(await resolveRef(db.pool, emptiedRef)).toMatchObject({ id: emptied, ref: emptiedRef, mergedFrom: null });
  });

  it("answers 'not the same person' on an account's only record without moving it, so no empty account is left", async () => {
    await add({ system: 'housing', ref: 'SO1', forenames: ['TOBIAS'], surname: 'QUILLIGAN', dob: '1961-08-14', lines: ['2 SORREL LANE', 'NORTHBY'], postcode: 'ZZ2 2SO' });
    const account = (await citizenOf('housing', 'SO1'))!;
    const accounts = async () => Number((await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM citizen WHERE status = 'active'")).rows[0]!.n);
    const before = await accounts();
    await expect(markDistinct(ctx, await refOf(account), 'housing', 'SO1', steward)).rejects.toThrow(/only record/);
    expect(await citizenOf('housing', 'SO1')).toBe(account);
    expect(await accounts()).toBe(before);

    // A review decision naming the record compared with: kept as a decision between the two records, the record stays.
    await add({ system: 'revenues', ref: 'SO2', forenames: ['TOBIAS'], surname: 'QUILLIGAN', dob: '1990-01-30' });
    expect(await citizenOf('revenues', 'SO2')).not.toBe(account);
    const kept = await inTransaction(db.pool, (c) => markDistinctIn(c, ctx, 'housing', 'SO1', account, { system: 'revenues', sourceRef: 'SO2' }, steward));
    expect(kept).toBe(account);
    expect(await citizenOf('housing', 'SO1')).toBe(account);
    expect(await membersOf(account)).toBe(1);
    expect(await accounts()).toBe(before + 1);
    const decision = await db.pool.query("SELECT 1 FROM link_decision WHERE kind = 'distinct' AND source_ref = 'SO1' AND other_source_ref = 'SO2' AND revoked_at IS NULL");
    expect(decision.rowCount).toBe(1);
  });

  it('withdraws a review item, with its reason, once its two records are in one account, and refuses a decision on it', async () => {
    // Three pairs the model is unsure of (no date of birth on one side); each is then put in one account another way.
    const pairs = [[1, 'JONES', 'DAVID', '1966-02-03'], [2, 'SMITH', 'ROBERT', '1979-05-06'], [3, 'TAYLOR', 'SUSAN', '1983-07-08']] as const;
    const reviews: { id: string; system: string; source_ref: string; citizen_id: string }[] = [];
    for (const [n, surname, forename, dob] of pairs) {
      await add(
        { system: 'housing', ref: `PR${n}a`, forenames: [forename], surname, lines: [`${n} TEASEL ROW`, 'NORTHBY'], postcode: `ZZ3 ${n}PR` },
        { system: 'revenues', ref: `PR${n}b`, forenames: [forename], surname, dob },
      );
      const review = (await openReview('housing', `PR${n}a`)) ?? (await openReview('revenues', `PR${n}b`));
      if (!review) return expect.fail(`a review item for pair ${n}`);
      expect(await citizenOf('housing', `PR${n}a`)).not.toBe(await citizenOf('revenues', `PR${n}b`));
      reviews.push(review);
    }
    const [one, two, three] = reviews as [typeof reviews[0], typeof reviews[0], typeof reviews[0]];

    // A steward links the record to the candidate's account by hand, not through the review.
    await manualLink(ctx, await refOf(Number(one.citizen_id)), one.system, one.source_ref, steward);
    // A merge keeps the candidate's account (the record's account merged into it).
    await merge((await citizenOf(two.system, two.source_ref))!, Number(two.citizen_id));
    // The model links the records once new versions of them share a date of birth and an email.
    const susan = { forenames: ['SUSAN'], surname: 'TAYLOR', dob: '1983-07-08', email: 's.taylor83@example.org' };
    await store(db.pool, [sourceRecord({ system: 'housing', ref: 'PR3a', ...susan, lines: ['3 TEASEL ROW', 'NORTHBY'], postcode: 'ZZ3 3PR' })]);
    await store(db.pool, [sourceRecord({ system: 'revenues', ref: 'PR3b', ...susan })]);
    await linkAll(ctx);

    for (const [i, review] of [one, two, three].entries()) {
      const account = await citizenOf('housing', `PR${i + 1}a`);
      expect(await citizenOf('revenues', `PR${i + 1}b`)).toBe(account);
      expect(await reviewState(review.id)).toEqual({ status: 'withdrawn', withdrawn_why: expect.stringMatching(/one account/) });
      expect(await queued(review.id)).toBe(false);
      await expect(decidePersonReview(ctx, Number(review.id), 'distinct', steward)).rejects.toThrow(/withdrawn/);
      await expect(decidePersonReview(ctx, Number(review.id), 'link', steward)).rejects.toThrow(/withdrawn/);
      expect(await membersOf(account)).toBe(2);
    }
  });

  it("withdraws a review item on a 'link' decision once its candidate record has left the account, and moves nothing", async () => {
    // The model is unsure of PR4a (no date of birth) against the account of PR4b and PR4c, which agree on everything.
    const person = { forenames: ['MARGARET'], surname: 'WILSON' };
    await add(
      { system: 'revenues', ref: 'PR4b', ...person, dob: '1971-04-05' },
      { system: 'smartcard', ref: 'PR4c', ...person, dob: '1971-04-05' },
      { system: 'housing', ref: 'PR4a', ...person, lines: ['4 TEASEL ROW', 'NORTHBY'], postcode: 'ZZ3 4PR' },
    );
    const review = await openReview('housing', 'PR4a');
    if (!review) return expect.fail('a review item for PR4a');
    const candidate = (await db.pool.query<{ candidate_system: string; candidate_ref: string }>(
      'SELECT candidate_system, candidate_ref FROM person_review WHERE id = $1', [review.id])).rows[0]!;
    const account = Number(review.citizen_id);
    expect(await membersOf(account)).toBe(2);
    const home = await citizenOf('housing', 'PR4a');

    // A steward moves the candidate record out of the account before the item is decided.
    await manualUnlink(ctx, await refOf(account), candidate.candidate_system, candidate.candidate_ref, steward);
    await expect(decidePersonReview(ctx, Number(review.id), 'link', steward)).rejects.toThrow(/withdrawn: the candidate record has left the account/);
    expect(await reviewState(review.id)).toEqual({ status: 'withdrawn', withdrawn_why: 'the candidate record has left the account since' });
    expect(await queued(review.id)).toBe(false);
    expect(await citizenOf('housing', 'PR4a')).toBe(home);
    expect(await membersOf(account)).toBe(1);
  });

  it('announces a split once for each account: citizen.split for the one the record left, citizen.created for its own', async () => {
    const person = { forenames: ['WILHELMINA'], surname: 'ARKWRIGHT', dob: '1957-12-24', lines: ['4 YARROW CLOSE', 'NORTHBY'], postcode: 'ZZ4 4YA' };
    await add({ system: 'housing', ref: 'SE1', ...person }, { system: 'smartcard', ref: 'SE2', ...person });
    const account = (await citizenOf('housing', 'SE1'))!;
    expect(await citizenOf('smartcard', 'SE2')).toBe(account);
    await manualUnlink(ctx, await refOf(account), 'smartcard', 'SE2', steward);
    const own = await citizenOf('smartcard', 'SE2');
    expect((await lastPublished()).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([[own, 'citizen.created'], [account, 'citizen.split']]);
  });

  it('keeps an emptied account holding register records, closed, instead of merging them into another person', async () => {
    const person = { forenames: ['CORDELIA'], surname: 'FETHERSTONHAUGH', dob: '1948-03-09', lines: ['6 TANSY WAY', 'NORTHBY'], postcode: 'ZZ5 5TA' };
    await add(
      { system: 'housing', ref: 'EM1', ...person }, { system: 'social-care', ref: 'EM2', ...person },
      { system: 'revenues', ref: 'EM3', forenames: ['RUFUS'], surname: 'BLENKINSOP', dob: '1970-10-10', lines: ['8 TANSY WAY', 'NORTHBY'], postcode: 'ZZ5 5TB' },
    );
    const emptied = (await citizenOf('housing', 'EM1'))!;
    const other = (await citizenOf('revenues', 'EM3'))!;
    expect(await citizenOf('social-care', 'EM2')).toBe(emptied);
    const [emptiedRef, otherRef] = [await refOf(emptied), await refOf(other)];
    const consent = await addConsent(db.pool, {
      citizenRef: emptiedRef, purpose: 'direct-service-delivery', recipientOrgId: null, from: '2024-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'form 12',
    }, steward.clientId!);
    // Its records go two ways: whose the consent is, only a person can say.
    await manualUnlink(ctx, emptiedRef, 'housing', 'EM1', steward);
    await manualLink(ctx, otherRef, 'social-care', 'EM2', steward);
    expect(await membersOf(emptied)).toBe(0);
    expect(await statusOf(emptied)).toBe('closed');
    expect((await resolveRef(db.pool, emptiedRef))?.ref).toBe(emptiedRef);
    const source = new LinkedCitizenSource(db.pool);
    expect(await source.mergedInto(otherRef)).not.toContain(emptiedRef);
    expect((await consentsOf(db.pool, [otherRef, ...(await source.mergedInto(otherRef))])).map((c) => c.id)).not.toContain(consent.id);
    expect((await consentsOf(db.pool, [emptiedRef])).map((c) => c.id)).toEqual([consent.id]);
    expect(await source.search({ surname: 'FETHERSTONHAUGH' }, 10)).not.toContain(emptiedRef);
    // Still found by its reference (the register routes and subject access look it up so), with its history saying why.
    expect(await source.view(emptiedRef, '2026-06-01')).toMatchObject({ view: { ref: emptiedRef } });
    expect((await source.linkHistory(emptiedRef)).at(-1)).toMatchObject({ kind: 'close', citizenRef: emptiedRef, otherRef, clientId: steward.clientId });

    // A steward linking a record to the closed account makes it active again, with its register records.
    await manualLink(ctx, emptiedRef, 'housing', 'EM1', steward);
    expect(await statusOf(emptied)).toBe('active');
    expect(await citizenOf('housing', 'EM1')).toBe(emptied);
  });

  it('still merges an emptied account whose every record went to the same account, register records and all', async () => {
    await add(
      { system: 'smartcard', ref: 'EW1', forenames: ['AUGUSTINE'], surname: 'PENHALIGON', dob: '1985-06-06' },
      { system: 'housing', ref: 'EW2', forenames: ['GUS'], surname: 'PENHALLIGAN', dob: '1985-06-16', lines: ['1 BETONY ROAD', 'NORTHBY'], postcode: 'ZZ6 6BE' },
    );
    const emptied = (await citizenOf('smartcard', 'EW1'))!;
    const target = (await citizenOf('housing', 'EW2'))!;
    expect(emptied).not.toBe(target);
    const restriction = await addRestriction(db.pool, { citizenRef: await refOf(emptied), from: '2024-01-01T00:00:00.000Z', to: null, reason: 'accuracy contested' }, steward.clientId!);
    await manualLink(ctx, await refOf(target), 'smartcard', 'EW1', steward);
    expect((await resolveRef(db.pool, await refOf(emptied)))?.ref).toBe(await refOf(target));
    const source = new LinkedCitizenSource(db.pool);
    const targetRef = await refOf(target);
    expect((await restrictionsOf(db.pool, [targetRef, ...(await source.mergedInto(targetRef))])).map((r) => r.id)).toEqual([restriction.id]);
  });

  it('gives an account that brought several records back its reference once all of them are split off again', async () => {
    const person = { forenames: ['PERPETUA'], surname: 'OYELARAN', dob: '1969-09-29', lines: ['12 VETCH STREET', 'NORTHBY'], postcode: 'ZZ7 7VE' };
    await add(
      { system: 'housing', ref: 'MB1', forenames: ['HUMPHREY'], surname: 'TREVELYAN', dob: '1938-01-19', lines: ['2 VETCH STREET', 'NORTHBY'], postcode: 'ZZ7 7VA' },
      { system: 'social-care', ref: 'MB2', ...person }, { system: 'revenues', ref: 'MB3', ...person },
    );
    const survivor = (await citizenOf('housing', 'MB1'))!;
    const brought = (await citizenOf('social-care', 'MB2'))!;
    expect(await citizenOf('revenues', 'MB3')).toBe(brought);
    const [survivorRef, broughtRef] = [await refOf(survivor), await refOf(brought)];
    const restriction = await addRestriction(db.pool, { citizenRef: broughtRef, from: '2024-01-01T00:00:00.000Z', to: null, reason: 'objection pending' }, steward.clientId!);
    await merge(brought, survivor);

    // The first record out: the other is still in the survivor, so the reference stays there for now.
    const first = await manualUnlink(ctx, survivorRef, 'social-care', 'MB2', steward);
    expect(first.citizenRef).not.toBe(broughtRef);
    // The last one out takes the account back, and the first rejoins it.
    const last = await manualUnlink(ctx, survivorRef, 'revenues', 'MB3', steward);
    expect(last.citizenRef).toBe(broughtRef);
    expect(await statusOf(brought)).toBe('active');
    expect(await citizenOf('revenues', 'MB3')).toBe(brought);
    expect(await citizenOf('social-care', 'MB2')).toBe(brought);
    expect((await resolveRef(db.pool, first.citizenRef))?.ref).toBe(broughtRef);
    const source = new LinkedCitizenSource(db.pool);
    expect((await restrictionsOf(db.pool, [broughtRef, ...(await source.mergedInto(broughtRef))])).map((r) => r.id)).toEqual([restriction.id]);
    expect((await restrictionsOf(db.pool, [survivorRef, ...(await source.mergedInto(survivorRef))])).map((r) => r.id)).toEqual([]);

    await linkAll(ctx, { relink: true });
    expect(await citizenOf('social-care', 'MB2')).toBe(brought);
    expect(await citizenOf('revenues', 'MB3')).toBe(brought);
    expect(await citizenOf('housing', 'MB1')).toBe(survivor);
  });
});
