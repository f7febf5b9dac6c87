import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/linkage/accounts.js';
import type { LinkageContext } from '../../../src/linkage/context.js';
import { decidePersonReview, manualLink } from '../../../src/linkage/decisions.js';
import { linkOne } from '../../../src/linkage/link.js';
import type { TestDatabase } from '../../support/db.js';
import { addLinked, linkedPopulation, sourceRecord, store, type PersonSpec } from './people.js';

/** A review item is a question about two records as they were: a new version or a steward's placement answers it. */
describe('person review items go stale', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  let steward: Actor;
  const add = (...specs: PersonSpec[]) => addLinked(ctx, db.pool, ...specs);
  interface Item { id: string; system: string; source_ref: string; candidate_system: string; candidate_ref: string; status: string; withdrawn_why: string | null; weight: number }
  const items = async (...refs: string[]) =>
    (await db.pool.query<Item>('SELECT id, system, source_ref, candidate_system, candidate_ref, status, withdrawn_why, weight FROM person_review WHERE source_ref = ANY($1) ORDER BY id', [refs])).rows;
  const refOfRecord = async (system: string, ref: string) =>
    (await db.pool.query<{ ref: string }>('SELECT c.ref FROM citizen_link l JOIN citizen c ON c.id = l.citizen_id WHERE l.system = $1 AND l.source_ref = $2 AND l.ended_at IS NULL', [system, ref])).rows[0]!.ref;
  /** A pair the model is unsure of (same name, one undated, same address): one open item. */
  const unsure = async (prefix: string, forename: string, dob: string, street: string): Promise<{ item: Item; record: PersonSpec }> => {
    const person = { surname: 'JONES', lines: [street, 'NORTHBY'], postcode: 'ZZ5 5AB' };
    const a: PersonSpec = { system: 'housing', ref: `${prefix}1`, forenames: [forename], ...person };
    const b: PersonSpec = { system: 'revenues', ref: `${prefix}2`, forenames: [forename], surname: 'JONES', dob };
    await add(a, b);
    const open = (await items(a.ref, b.ref)).filter((i) => i.status === 'open');
    expect(open, JSON.stringify(await items(a.ref, b.ref))).toHaveLength(1);
    return { item: open[0]!, record: open[0]!.source_ref === a.ref ? a : b };
  };
  const someoneElse = (record: PersonSpec): PersonSpec =>
    ({ ...record, forenames: ['RUTH'], surname: 'ABERCROMBIE', dob: '1944-04-04', lines: ['40 MILL LANE', 'SOUTHBY'], postcode: 'ZZ9 9ZZ' });

  beforeAll(async () => {
    ({ db, ctx, steward } = await linkedPopulation(3, 150));
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('withdraws an open item when a new version of its record is linked, and refuses a decision on it', async () => {
    const { item, record } = await unsure('ST', 'DAVID', '1971-03-03', '6 OAK ROW');
    await add(someoneElse(record));
    const [after] = (await items(item.source_ref)).filter((i) => i.id === item.id);
    expect(after).toMatchObject({ status: 'withdrawn', withdrawn_why: 'the record has changed since' });
    await expect(decidePersonReview(ctx, Number(item.id), 'link', steward)).rejects.toThrow(/withdrawn: the record has changed since/);
  });

  it('refuses a decision on an item whose record has a new version not linked yet, and withdraws it', async () => {
    const { item, record } = await unsure('SU', 'DAVID', '1965-05-06', '9 ELM ROW');
    await store(db.pool, [sourceRecord(someoneElse(record))]);
    const candidateAccount = await refOfRecord(item.candidate_system, item.candidate_ref);
    await expect(decidePersonReview(ctx, Number(item.id), 'link', steward)).rejects.toThrow(/withdrawn: the record has changed since/);
    expect((await items(item.source_ref)).find((i) => i.id === item.id)?.status).toBe('withdrawn');
    // Nothing moved: the candidate's account was not given the new content.
    expect(await refOfRecord(item.candidate_system, item.candidate_ref)).toBe(candidateAccount);
    await linkOne(ctx, record.system, record.ref);
    expect((await items(item.source_ref)).filter((i) => i.status === 'open' && i.id === item.id)).toHaveLength(0);
  });

  it("withdraws the record's other open items when a steward places it", async () => {
    const { item, record } = await unsure('SW', 'DAVID', '1958-07-08', '12 ASH ROW');
    const elsewhere: PersonSpec = { system: 'smartcard', ref: 'SW9', forenames: ['DAVID'], surname: 'JONES', dob: '1940-01-01', lines: ['1 ELM WAY', 'SOUTHBY'], postcode: 'ZZ8 8AA' };
    await add(elsewhere);
    await manualLink(ctx, await refOfRecord('smartcard', 'SW9'), record.system, record.ref, steward);
    expect((await items(item.source_ref)).find((i) => i.id === item.id)).toMatchObject({ status: 'withdrawn', withdrawn_why: 'a steward has placed the record since' });
    await expect(decidePersonReview(ctx, Number(item.id), 'link', steward)).rejects.toThrow(/withdrawn: a steward has placed the record since/);
    expect(await refOfRecord(record.system, record.ref)).toBe(await refOfRecord('smartcard', 'SW9'));
  });
});
