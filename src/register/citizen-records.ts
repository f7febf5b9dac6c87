/**
 * Consents, objections and restrictions of processing, per citizen. Records
 * are never deleted: a withdrawal or a lift sets its time, so the register
 * shows what was in force when any past disclosure was decided.
 */
import type pg from 'pg';
import type {
  Consent, ConsentCreate, ConsentUpdate, Objection, ObjectionCreate, Restriction, RestrictionCreate, RestrictionUpdate,
} from '../../schemas/register.js';
import type { CitizenRegister } from '../policy/decide.js';
import { invalidField, RegisterError } from './errors.js';

type Db = pg.Pool | pg.PoolClient;

/** Timestamps come as Date from a column and as text from json_agg; both end as ISO 8601 UTC with milliseconds. */
type Stamp = Date | string;
const at = (d: Stamp): string => new Date(d).toISOString();
const iso = (d: Stamp | null): string | null => (d === null ? null : at(d));

export const CONSENT = 'id, citizen_ref, purpose, recipient_org_id, valid_from, valid_to, channel, evidence, withdrawn_at';
export const OBJECTION = 'id, citizen_ref, purpose, recipient_org_id, valid_from, withdrawn_at';
export const RESTRICTION = 'id, citizen_ref, valid_from, valid_to, reason, lifted_at';

export interface ConsentRow { id: string; citizen_ref: string; purpose: string; recipient_org_id: number | null; valid_from: Stamp; valid_to: Stamp | null; channel: Consent['channel']; evidence: string; withdrawn_at: Stamp | null }
export interface ObjectionRow { id: string; citizen_ref: string; purpose: string | null; recipient_org_id: number | null; valid_from: Stamp; withdrawn_at: Stamp | null }
export interface RestrictionRow { id: string; citizen_ref: string; valid_from: Stamp; valid_to: Stamp | null; reason: string; lifted_at: Stamp | null }

const orgOf = (id: number | null) => (id === null ? null : Number(id));

export const consentOf = (r: ConsentRow): Consent => ({
  id: r.id, citizenRef: r.citizen_ref, purpose: r.purpose, recipientOrgId: orgOf(r.recipient_org_id), from: at(r.valid_from),
  to: iso(r.valid_to), channel: r.channel, evidence: r.evidence, withdrawnAt: iso(r.withdrawn_at),
});
export const objectionOf = (r: ObjectionRow): Objection => ({
  id: r.id, citizenRef: r.citizen_ref, purpose: r.purpose, recipientOrgId: orgOf(r.recipient_org_id), from: at(r.valid_from),
  withdrawnAt: iso(r.withdrawn_at),
});
export const restrictionOf = (r: RestrictionRow): Restriction => ({
  id: r.id, citizenRef: r.citizen_ref, from: at(r.valid_from), to: iso(r.valid_to), reason: r.reason, liftedAt: iso(r.lifted_at),
});

/** A recipient the register does not know would fail the foreign key as a 500: refused as bad input instead. */
async function checkRecipient(db: Db, orgId: number | null): Promise<void> {
  if (orgId === null) return;
  const { rowCount } = await db.query('SELECT 1 FROM organisation WHERE id = $1', [orgId]);
  if (!rowCount) throw invalidField('recipientOrgId', `no organisation with id ${orgId}`);
}

/** A period ending before it starts would never be in force: a restriction recorded so would silently restrict nothing. */
function checkPeriod(from: string, to: string | null): void {
  if (to !== null && Date.parse(to) < Date.parse(from)) throw invalidField('to', `is before from (${from})`);
}

export async function addConsent(db: Db, c: ConsentCreate, recordedBy: number): Promise<Consent> {
  checkPeriod(c.from, c.to);
  await checkRecipient(db, c.recipientOrgId);
  const { rows } = await db.query<ConsentRow>(
    `INSERT INTO consent (citizen_ref, purpose, recipient_org_id, valid_from, valid_to, channel, evidence, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${CONSENT}`,
    [c.citizenRef, c.purpose, c.recipientOrgId, c.from, c.to, c.channel, c.evidence, recordedBy],
  );
  return consentOf(rows[0]!);
}

export async function addObjection(db: Db, o: ObjectionCreate, recordedBy: number): Promise<Objection> {
  await checkRecipient(db, o.recipientOrgId);
  const { rows } = await db.query<ObjectionRow>(
    `INSERT INTO objection (citizen_ref, purpose, recipient_org_id, valid_from, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${OBJECTION}`,
    [o.citizenRef, o.purpose, o.recipientOrgId, o.from, recordedBy],
  );
  return objectionOf(rows[0]!);
}

export async function addRestriction(db: Db, r: RestrictionCreate, recordedBy: number): Promise<Restriction> {
  checkPeriod(r.from, r.to);
  const { rows } = await db.query<RestrictionRow>(
    `INSERT INTO restriction (citizen_ref, valid_from, valid_to, reason, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${RESTRICTION}`,
    [r.citizenRef, r.from, r.to, r.reason, recordedBy],
  );
  return restrictionOf(rows[0]!);
}

/**
 * A withdrawal or lift is a recorded fact: a later change may move it
 * earlier or leave it, never clear it or move it later, which would rewrite
 * the register to show the record in force when disclosures were decided
 * otherwise. Compared in PostgreSQL, as the column holds microseconds a
 * JavaScript Date drops; `$p` is the time the update writes.
 */
const kept = (column: string, p: string) => `(${column} IS NULL OR ${p}::timestamptz <= ${column})`;

function undone(field: string, what: string, recorded: string | null): RegisterError {
  const rule = `${what} at ${recorded}; it may be moved earlier, not later or cleared, which would rewrite when it took effect`;
  return new RegisterError('conflict', `${field}: ${rule}`, [{ path: field, message: rule }]);
}

/**
 * A withdrawal or lift dated before the record's own from would end it
 * before it began: a mistyped time, refused, naming the field. Compared in
 * PostgreSQL, like kept().
 */
async function notBeforeFrom(db: pg.PoolClient, table: string, id: string, field: string, time: string | null | undefined, from: string): Promise<void> {
  if (time === null || time === undefined) return;
  const { rows } = await db.query<{ early: boolean }>(`SELECT $2::timestamptz < valid_from AS early FROM ${table} WHERE id = $1`, [id, time]);
  const ended = table === 'restriction' ? 'lifted' : 'withdrawn';
  if (rows[0]?.early) throw invalidField(field, `is before from (${from}): a ${table} cannot be ${ended} before it begins`);
}

/** One record of the citizen: `refs` is its reference and those merged into it, whose records are its own. */
async function locked<R>(db: pg.PoolClient, table: string, columns: string, refs: readonly string[], id: string): Promise<R> {
  const { rows } = await db.query(`SELECT ${columns} FROM ${table} WHERE id = $1 AND citizen_ref = ANY($2::text[]) FOR UPDATE`, [id, refs]);
  if (!rows[0]) throw new RegisterError('not-found', `no ${table} ${id} for this citizen`);
  return rows[0] as R;
}

/** A column an update sets, with its type and new value; a field the update leaves out is not one, so its column stays as stored, to the microsecond. */
type ColumnSet = readonly [column: string, cast: 'text' | 'timestamptz', value: unknown];

/**
 * Sets the given columns of one locked row and returns it, or 'unchanged'
 * when they hold those values already (an update that changes nothing
 * writes nothing and is not audited), or null when `guard` refused it.
 * Compared in PostgreSQL, like kept().
 */
async function setColumns<R>(db: pg.PoolClient, table: string, id: string, sets: readonly ColumnSet[], guard: (param: (column: string) => string) => string, returning: string): Promise<R | 'unchanged' | null> {
  const given = sets.map(([, cast], i) => `$${i + 2}::${cast}`);
  const columns = sets.map(([column]) => column);
  const values = [id, ...sets.map(([, , value]) => value)];
  const same = sets.length === 0 || (await db.query<{ same: boolean }>(
    `SELECT (${columns.join(', ')}) IS NOT DISTINCT FROM (${given.join(', ')}) AS same FROM ${table} WHERE id = $1`, values)).rows[0]!.same;
  if (same) return 'unchanged';
  const param = (column: string) => (columns.includes(column) ? given[columns.indexOf(column)]! : column);
  const { rows } = await db.query<R & pg.QueryResultRow>(
    `UPDATE ${table} SET ${columns.map((c, i) => `${c} = ${given[i]}`).join(', ')} WHERE id = $1 AND ${guard(param)} RETURNING ${returning}`, values);
  return rows[0] ?? null;
}

const setsOf = (fields: readonly ColumnSet[]): ColumnSet[] => fields.filter(([, , value]) => value !== undefined);

/** Changes the period, channel, evidence or withdrawal of one consent; returns it before and after, and whether it changed. */
export async function updateConsent(db: pg.PoolClient, refs: readonly string[], id: string, u: ConsentUpdate): Promise<{ before: Consent; after: Consent; changed: boolean }> {
  const before = consentOf(await locked<ConsentRow>(db, 'consent', CONSENT, refs, id));
  if (u.to !== undefined) checkPeriod(before.from, u.to);
  await notBeforeFrom(db, 'consent', id, 'withdrawnAt', u.withdrawnAt, before.from);
  const sets = setsOf([['valid_to', 'timestamptz', u.to], ['channel', 'text', u.channel], ['evidence', 'text', u.evidence], ['withdrawn_at', 'timestamptz', u.withdrawnAt]]);
  const row = await setColumns<ConsentRow>(db, 'consent', id, sets, (p) => kept('withdrawn_at', p('withdrawn_at')), CONSENT);
  if (row === null) throw undone('withdrawnAt', `consent ${id} was withdrawn`, before.withdrawnAt);
  return row === 'unchanged' ? { before, after: before, changed: false } : { before, after: consentOf(row), changed: true };
}

export async function withdrawObjection(db: pg.PoolClient, refs: readonly string[], id: string, at: string): Promise<{ before: Objection; after: Objection; changed: boolean }> {
  const before = objectionOf(await locked<ObjectionRow>(db, 'objection', OBJECTION, refs, id));
  await notBeforeFrom(db, 'objection', id, 'withdrawnAt', at, before.from);
  const row = await setColumns<ObjectionRow>(db, 'objection', id, [['withdrawn_at', 'timestamptz', at]], (p) => kept('withdrawn_at', p('withdrawn_at')), OBJECTION);
  if (row === null) throw undone('withdrawnAt', `objection ${id} was withdrawn`, before.withdrawnAt);
  return row === 'unchanged' ? { before, after: before, changed: false } : { before, after: objectionOf(row), changed: true };
}

export async function updateRestriction(db: pg.PoolClient, refs: readonly string[], id: string, u: RestrictionUpdate): Promise<{ before: Restriction; after: Restriction; changed: boolean }> {
  const before = restrictionOf(await locked<RestrictionRow>(db, 'restriction', RESTRICTION, refs, id));
  if (u.to !== undefined) checkPeriod(before.from, u.to);
  await notBeforeFrom(db, 'restriction', id, 'liftedAt', u.liftedAt, before.from);
  const sets = setsOf([['valid_to', 'timestamptz', u.to], ['reason', 'text', u.reason], ['lifted_at', 'timestamptz', u.liftedAt]]);
  const row = await setColumns<RestrictionRow>(db, 'restriction', id, sets, (p) => kept('lifted_at', p('lifted_at')), RESTRICTION);
  if (row === null) throw undone('liftedAt', `restriction ${id} was lifted`, before.liftedAt);
  return row === 'unchanged' ? { before, after: before, changed: false } : { before, after: restrictionOf(row), changed: true };
}

export async function consentsOf(db: Db, refs: readonly string[]): Promise<Consent[]> {
  return (await db.query<ConsentRow>(`SELECT ${CONSENT} FROM consent WHERE citizen_ref = ANY($1::text[]) ORDER BY id`, [refs])).rows.map(consentOf);
}

export async function objectionsOf(db: Db, refs: readonly string[]): Promise<Objection[]> {
  return (await db.query<ObjectionRow>(`SELECT ${OBJECTION} FROM objection WHERE citizen_ref = ANY($1::text[]) ORDER BY id`, [refs])).rows.map(objectionOf);
}

export async function restrictionsOf(db: Db, refs: readonly string[]): Promise<Restriction[]> {
  return (await db.query<RestrictionRow>(`SELECT ${RESTRICTION} FROM restriction WHERE citizen_ref = ANY($1::text[]) ORDER BY id`, [refs])).rows.map(restrictionOf);
}

/** The citizens' own references and those merged into them. */
export function withAliases(refs: readonly string[], aliases: ReadonlyMap<string, readonly string[]>): string[] {
  return [...new Set(refs.flatMap((ref) => [ref, ...(aliases.get(ref) ?? [])]))];
}

/** Sorts loaded records to their citizens, records of merged references going to the survivor. */
export function groupRegisters(
  refs: readonly string[],
  aliases: ReadonlyMap<string, readonly string[]>,
  records: { consents: Consent[]; objections: Objection[]; restrictions: Restriction[] },
): Map<string, CitizenRegister> {
  const ownerOf = new Map<string, string>();
  for (const ref of refs) {
    ownerOf.set(ref, ref);
    for (const alias of aliases.get(ref) ?? []) ownerOf.set(alias, ref);
  }
  const consents = new Map<string, Consent[]>(refs.map((ref) => [ref, []]));
  const objections = new Map<string, Objection[]>(refs.map((ref) => [ref, []]));
  const restrictions = new Map<string, Restriction[]>(refs.map((ref) => [ref, []]));
  const owned = <T extends { citizenRef: string }>(r: T, into: Map<string, T[]>) => {
    const owner = ownerOf.get(r.citizenRef);
    if (owner !== undefined) into.get(owner)!.push({ ...r, citizenRef: owner });
  };
  for (const c of records.consents) owned(c, consents);
  for (const o of records.objections) owned(o, objections);
  for (const r of records.restrictions) owned(r, restrictions);
  return new Map(refs.map((ref) => [ref, { ref, consents: consents.get(ref)!, objections: objections.get(ref)!, restrictions: restrictions.get(ref)! }]));
}
