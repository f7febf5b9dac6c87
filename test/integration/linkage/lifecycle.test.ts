/** The account lifecycle across merges, splits and stewards' decisions: what a later run, a reference or a register record finds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { currentLink, mergeCitizens, type Actor } from '../../../src/linkage/accounts.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { inTransaction, loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { manualLink, markDistinct } from '../../../src/linkage/decisions.js';
import { linkOne } from '../../../src/linkage/link.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { population, sourceRecord, store, type PersonSpec } from './people.js';

describe('account lifecycle', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  let steward: Actor;
  const citizenOf = async (system: string, ref: string) => (await currentLink(db.pool, system, ref))?.citizenId ?? null;
  const refOf = async (id: number | null) => (await db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
  const membersOf = async (id: number | null) =>
    Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM citizen_link WHERE citizen_id = $1 AND ended_at IS NULL', [id])).rows[0]!.n);
  const add = async (...specs: PersonSpec[]) => {
    await store(db.pool, specs.map(sourceRecord));
    for (const s of specs) await linkOne(ctx, s.system, s.ref);
  };
  const merge = (merged: number, survivor: number) => inTransaction(db.pool, (c) => mergeCitizens(c, merged, survivor, steward, survivor));

  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(7, 150));
    const tables = await loadPrepareTables();
    await trainFromDatabase(db.pool, tables, { seed: 5 });
    ctx = await openLinkage(db.pool, { tables });
    await linkAll(ctx);
    const { client } = await createClient(db.pool, { org: 'Data Team', role: 'steward' });
    steward = { clientId: client.id, reason: 'checked with the service' };
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
});
