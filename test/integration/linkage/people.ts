/** Synthetic source records for the linkage tests: a seeded background population and builders for hard cases. */
import type pg from 'pg';
import { seededRandom } from '../../../matching/person/index.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { nhsCheckDigit } from '../../../fixtures/people/identifiers.js';
import { createClient } from '../../../src/auth/clients.js';
import { closeIntake, createIntake } from '../../../src/intake/ingest.js';
import { storeItem } from '../../../src/intake/store.js';
import { createCitizen, MODEL, type Actor } from '../../../src/linkage/accounts.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { personFeatures } from '../../../src/linkage/features.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { linkOne } from '../../../src/linkage/link.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

export interface PersonSpec {
  system: string;
  ref: string;
  forenames: string[];
  surname: string;
  suffix?: string | null;
  dob?: string | null;
  sex?: 'M' | 'F' | null;
  nhs?: string | null;
  nino?: string | null;
  lines?: string[];
  postcode?: string | null;
  uprn?: number | null;
  phone?: string | null;
  email?: string | null;
  closed?: boolean;
  updatedAt?: string | null;
  entitlements?: SourceRecord['entitlements'];
  /** Source accounts the record is a party of (joint liable parties, joint tenants). */
  accounts?: string[];
}

export function sourceRecord(p: PersonSpec): SourceRecord {
  return {
    system: p.system,
    sourceRef: p.ref,
    names: [{ title: null, forenames: p.forenames, surname: p.surname, suffix: p.suffix ?? null, raw: null, kind: 'current' }],
    dateOfBirth: p.dob ?? null,
    dateOfBirthRaw: null,
    sex: p.sex ?? null,
    identifiers: [
      ...(p.nhs ? [{ scheme: 'nhs-number' as const, value: p.nhs, raw: p.nhs, valid: true }] : []),
      ...(p.nino ? [{ scheme: 'nino' as const, value: p.nino, raw: p.nino, valid: true }] : []),
    ],
    contacts: [
      ...(p.phone ? [{ kind: 'phone' as const, value: p.phone, raw: p.phone, valid: true, use: 'home' }] : []),
      ...(p.email ? [{ kind: 'email' as const, value: p.email, raw: p.email, valid: true, use: null }] : []),
    ],
    addresses: p.lines ? [{ lines: p.lines, postcode: p.postcode ?? null, uprn: p.uprn ?? null, crossReference: null, kind: 'residential', from: null, to: null }] : [],
    entitlements: p.entitlements ?? [],
    involvements: (p.accounts ?? []).map((reference) => ({ service: 'test', reference, role: null, status: 'open' as const, from: null, to: null })),
    closed: p.closed ?? false,
    sourceUpdatedAt: p.updatedAt ?? null,
    warnings: [],
  };
}

/** Stores records through intake, one intake per call; returns the new current version ids. */
export async function store(pool: pg.Pool, records: readonly SourceRecord[]): Promise<number[]> {
  const system = records[0]?.system ?? 'revenues';
  const intakeId = await createIntake(pool, { system, channel: 'file', fileName: 'test.json', rawFormat: 'json' });
  const client = await pool.connect();
  const ids: number[] = [];
  try {
    await client.query('BEGIN');
    for (const [index, record] of records.entries()) {
      const { id } = await storeItem(client, intakeId, record.system, { kind: 'record', record, raw: JSON.stringify(record), rawFormat: 'json', position: { index } });
      if (id !== null) ids.push(id);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await closeIntake(intakeId);
  return ids;
}

export function nhsNumber(seed: number): string {
  for (let n = seed; ; n++) {
    const nine = String(400000000 + (n % 500000000)).padStart(9, '0');
    const check = nhsCheckDigit(nine);
    if (check !== null) return `${nine}${check}`;
  }
}

const FORENAMES = ['OLIVER', 'GEORGE', 'HARRY', 'JACK', 'JACOB', 'NOAH', 'CHARLIE', 'THOMAS', 'OSCAR', 'WILLIAM', 'AMELIA', 'OLIVIA', 'ISLA', 'EMILY', 'POPPY', 'AVA', 'ISABELLA', 'JESSICA', 'LILY', 'SOPHIE', 'MARGARET', 'ELIZABETH', 'ROBERT', 'JAMES', 'DAVID', 'SUSAN', 'PATRICIA', 'PETER', 'ANDREW', 'KATHERINE'];
const SURNAMES = ['SMITH', 'JONES', 'TAYLOR', 'BROWN', 'WILLIAMS', 'WILSON', 'JOHNSON', 'DAVIES', 'ROBINSON', 'WRIGHT', 'THOMPSON', 'EVANS', 'WALKER', 'WHITE', 'ROBERTS', 'GREEN', 'HALL', 'WOOD', 'JACKSON', 'CLARKE', 'ZBOROWSKI', 'OKONKWO', 'MACDONALD', 'PATEL', 'KHAN', 'HUGHES', 'EDWARDS', 'HILL', 'MOORE', 'CLARK'];
const NICKNAMES: Record<string, string> = {
  ROBERT: 'BOB', MARGARET: 'PEGGY', ELIZABETH: 'LIZ', JAMES: 'JIM', THOMAS: 'TOM', WILLIAM: 'BILL', KATHERINE: 'KATE', PETER: 'PETE',
  ANDREW: 'ANDY', DAVID: 'DAVE', SUSAN: 'SUE', PATRICIA: 'PAT', JESSICA: 'JESS', OLIVER: 'OLLIE',
};
const STREETS = ['HIGH STREET', 'MILL LANE', 'CHURCH ROAD', 'STATION ROAD', 'PARK AVENUE', 'VICTORIA ROAD', 'GREEN LANE', 'MANOR WAY', 'QUEENS ROAD', 'KINGS DRIVE'];

/**
 * A seeded background population: each person held by two or three systems,
 * the copies varying by typos, nicknames or a missing field, so that
 * EM has matches and non-matches to learn from.
 */
export function population(seed: number, people: number): SourceRecord[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const systems = ['revenues', 'housing', 'social-care', 'smartcard'];
  const out: SourceRecord[] = [];
  for (let i = 0; i < people; i++) {
    const forename = pick(FORENAMES);
    const surname = pick(SURNAMES);
    const y = 1930 + Math.floor(random() * 75);
    const dob = `${y}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    const number = 1 + Math.floor(random() * 120);
    const street = pick(STREETS);
    const postcode = `ZZ${1 + Math.floor(random() * 9)} ${1 + Math.floor(random() * 9)}${pick(['AB', 'CD', 'EF', 'GH'])}`;
    const uprn = 200000 + i;
    const nhs = nhsNumber(1000 + i * 7);
    const copies = 2 + Math.floor(random() * 2);
    for (let c = 0; c < copies; c++) {
      const system = systems[(i + c) % systems.length] as string;
      const variant = random();
      const nickname = NICKNAMES[forename];
      const given = variant < 0.15 ? `${forename.slice(0, -1)}E` : variant < 0.35 && nickname ? nickname : forename;
      out.push(sourceRecord({
        system, ref: `BG${i}-${c}`,
        forenames: [given], surname,
        email: random() < 0.4 ? `${forename.toLowerCase()}.${surname.toLowerCase()}${i}@example.org` : null,
        dob: random() < 0.1 ? null : dob,
        nhs: system === 'social-care' ? nhs : null,
        lines: [`${number} ${street}`, 'NORTHBY'], postcode, uprn: random() < 0.5 ? uprn : null,
        phone: random() < 0.5 ? `+4477009${String(i).padStart(5, '0')}` : null,
      }));
    }
  }
  return out;
}

/** A test database holding a population linked by a model trained on it, and a steward to decide with: the setup of the stewardship tests. */
export async function linkedPopulation(seed: number, size: number): Promise<{ db: TestDatabase; ctx: LinkageContext; steward: Actor }> {
  const db = await createTestDatabase();
  await store(db.pool, population(seed, size));
  const tables = await loadPrepareTables();
  await trainFromDatabase(db.pool, tables, { seed: 5 });
  const ctx = await openLinkage(db.pool, { tables });
  await linkAll(ctx);
  const { client } = await createClient(db.pool, { org: 'Data Team', role: 'steward' });
  return { db, ctx, steward: { clientId: client.id, reason: 'checked with the service' } };
}

/** Stores the records and links each, as the pipeline does one record at a time. */
export async function addLinked(ctx: LinkageContext, pool: pg.Pool, ...specs: PersonSpec[]): Promise<void> {
  await store(pool, specs.map(sourceRecord));
  for (const s of specs) await linkOne(ctx, s.system, s.ref);
}

/**
 * Indexes the stored current versions of the records for linkage and puts
 * them in one new account, as the model would have, without training one;
 * returns its reference. The records must be stored already.
 */
export async function oneAccount(pool: pg.Pool, records: readonly SourceRecord[]): Promise<string> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    for (const record of records) {
      await db.query(`INSERT INTO person_record (system, source_ref, source_record_id, features)
        SELECT system, source_ref, id, $3 FROM source_record WHERE current AND system = $1 AND source_ref = $2`, [record.system, record.sourceRef, JSON.stringify(personFeatures(record))]);
    }
    const [first, ...rest] = records;
    const id = await createCitizen(db, MODEL, { system: first!.system, sourceRef: first!.sourceRef, linkedBy: 'model' });
    for (const record of rest) {
      await db.query("INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by) VALUES ($1, $2, $3, 'model')", [id, record.system, record.sourceRef]);
    }
    await db.query('COMMIT');
    return (await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  } finally {
    db.release();
  }
}
