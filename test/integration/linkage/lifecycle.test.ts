/** The account lifecycle across merges, splits and stewards' decisions: what a later run, a reference or a register record finds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLink, mergeCitizens, resolveRef, type Actor } from '../../../src/linkage/accounts.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { inTransaction, type LinkageContext } from '../../../src/linkage/context.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { manualLink, manualUnlink, markDistinct } from '../../../src/linkage/decisions.js';
import { linkOne } from '../../../src/linkage/link.js';
import { addRestriction, restrictionsOf } from '../../../src/register/citizen-records.js';
import type { TestDatabase } from '../../support/db.js';
import { addLinked, linkedPopulation, type PersonSpec } from './people.js';

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
});
