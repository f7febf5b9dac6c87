/**
 * Sharing agreements in the database. A change never edits a version: it
 * writes version n+1 and marks it current, inside the caller's transaction.
 */
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { SPECIAL_CATEGORIES } from '../../schemas/categories.js';
import {
  COUNCIL_ORG_KIND, type AgreementStatus, type OrgKind, type RegisteredAgreement, type SharingAgreement, type SharingAgreementCreate, type SharingAgreementUpdate,
} from '../../schemas/register.js';
import { ROLES, type Role } from '../../schemas/roles.js';
import { NON_READER_ROLES } from '../policy/options.js';
import { invalidFields, RegisterError, type FieldError } from './errors.js';

type Db = pg.Pool | pg.PoolClient;

export const AGREEMENT_COLUMNS = `id, version, title, provider_org_id, recipient_org_ids, roles, purposes, categories, lawful_basis, art9_condition,
  legal_gateway, dpia_reference, start_date, end_date, review_date, status`;

export interface AgreementRow {
  id: string; version: number; title: string; provider_org_id: number; recipient_org_ids: Array<number | string>;
  roles: SharingAgreement['roles']; purposes: string[]; categories: SharingAgreement['categories']; lawful_basis: SharingAgreement['lawfulBasis'];
  art9_condition: SharingAgreement['art9Condition']; legal_gateway: string; dpia_reference: string | null; start_date: string;
  end_date: string | null; review_date: string | null; status: SharingAgreement['status'];
}

export function agreementOf(r: AgreementRow): SharingAgreement {
  return {
    id: r.id,
    version: r.version,
    title: r.title,
    parties: { provider: { orgId: Number(r.provider_org_id) }, recipients: r.recipient_org_ids.map(Number) },
    roles: r.roles,
    purposes: r.purposes,
    categories: r.categories,
    lawfulBasis: r.lawful_basis,
    art9Condition: r.art9_condition,
    legalGateway: r.legal_gateway,
    dpiaReference: r.dpia_reference,
    startDate: r.start_date,
    endDate: r.end_date,
    reviewDate: r.review_date,
    status: r.status,
  };
}

/**
 * What the DPO should hear about an agreement as registered (today: the UK
 * calendar date; partners: the kind of every organisation that is not the
 * council's): the policy would deny its special categories without an
 * Art. 9 condition, and an active agreement not started yet, or past its
 * end or review date, needs attention. Said, not refused: the register records the agreement as
 * signed; the policy decides what it permits. So is what the register now
 * refuses in a version stored before: a provider that is not the council's,
 * roles that read no citizen data (which the policy ignores).
 */
export function withWarnings(agreement: SharingAgreement, today: string, partners: ReadonlyMap<number, OrgKind> = new Map()): RegisteredAgreement {
  const warnings: string[] = [];
  const providerKind = partners.get(agreement.parties.provider.orgId);
  if (providerKind !== undefined) warnings.push(`parties.provider.orgId ${notCouncil(agreement.parties.provider.orgId, providerKind)}; registered before that was checked`);
  for (const role of agreement.roles ?? []) {
    if (NON_READER_ROLES.includes(role)) warnings.push(`roles names ${role}, which reads no citizen data through an agreement: ignored (registered before that was refused)`);
  }
  if (agreement.art9Condition === null) {
    for (const category of agreement.categories) {
      if (SPECIAL_CATEGORIES.has(category)) warnings.push(`${category} is a special category: not shared under this agreement until it names an Art. 9 condition`);
    }
  }
  if (agreement.status === 'active') {
    if (today < agreement.startDate) warnings.push(`starts on ${agreement.startDate}: it shares nothing until then, though its status is active`);
    if (agreement.endDate !== null && today > agreement.endDate) warnings.push(`ended on ${agreement.endDate}: it shares nothing, though its status is active`);
    if (agreement.reviewDate !== null && today > agreement.reviewDate) warnings.push(`review was due on ${agreement.reviewDate}`);
  }
  return { ...agreement, warnings };
}

/** The policy ignores such a role in an agreement (src/policy/options.ts NON_READER_ROLES): naming it is a mistake, refused. */
const nonReader = (role: Role) =>
  `is ${role}, which reads no citizen data through an agreement; an agreement may name ${ROLES.filter((r) => !NON_READER_ROLES.includes(r)).join(', ')}`;

/** The hub holds only the council's data: no partner can be the one who shares it. */
const notCouncil = (orgId: number, kind: OrgKind) =>
  `is organisation ${orgId}, of kind ${kind}: the provider must be a council organisation (${COUNCIL_ORG_KIND}), as the hub shares only the council's data`;

/**
 * Refuses what the schema cannot: parties the register does not know, a
 * provider that is not the council's, roles that read no citizen data, and
 * an end before the start. `given` holds the fields the request gave, so that a
 * refusal names the field sent (an update's new startDate, say, before the
 * endDate it keeps).
 */
async function checkAgreement(db: Db, agreement: Omit<SharingAgreement, 'version'>, given: Partial<SharingAgreementCreate>): Promise<void> {
  const fields: FieldError[] = [];
  if (given.parties !== undefined) {
    const { provider, recipients } = agreement.parties;
    const { rows } = await db.query<{ id: number; kind: OrgKind }>('SELECT id, kind FROM organisation WHERE id = ANY($1::bigint[])', [[provider.orgId, ...recipients]]);
    const kinds = new Map(rows.map((r) => [Number(r.id), r.kind]));
    const unknown = (id: number) => `no organisation with id ${id}`;
    const providerKind = kinds.get(provider.orgId);
    if (providerKind === undefined) fields.push({ path: 'parties.provider.orgId', message: unknown(provider.orgId) });
    else if (providerKind !== COUNCIL_ORG_KIND) fields.push({ path: 'parties.provider.orgId', message: notCouncil(provider.orgId, providerKind) });
    recipients.forEach((id, i) => {
      if (!kinds.has(id)) fields.push({ path: `parties.recipients.${i}`, message: unknown(id) });
    });
  }
  (given.roles ?? []).forEach((role, i) => {
    if (NON_READER_ROLES.includes(role)) fields.push({ path: `roles.${i}`, message: nonReader(role) });
  });
  if (agreement.endDate !== null && agreement.endDate < agreement.startDate) {
    fields.push(given.endDate === undefined
      ? { path: 'startDate', message: `is after endDate (${agreement.endDate})` }
      : { path: 'endDate', message: `is before startDate (${agreement.startDate})` });
  }
  if (fields.length) throw invalidFields(fields);
}

async function insertVersion(db: Db, a: SharingAgreement, changedBy: number): Promise<SharingAgreement> {
  const { rows } = await db.query<AgreementRow>(
    `INSERT INTO sharing_agreement (id, version, current, title, provider_org_id, recipient_org_ids, roles, purposes, categories, lawful_basis,
       art9_condition, legal_gateway, dpia_reference, start_date, end_date, review_date, status, changed_by)
     VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING ${AGREEMENT_COLUMNS}`,
    [
      a.id, a.version, a.title, a.parties.provider.orgId, a.parties.recipients, a.roles, a.purposes, a.categories, a.lawfulBasis,
      a.art9Condition === null ? null : JSON.stringify(a.art9Condition), a.legalGateway, a.dpiaReference, a.startDate, a.endDate,
      a.reviewDate, a.status, changedBy,
    ],
  );
  return agreementOf(rows[0]!);
}

export async function createAgreement(db: pg.PoolClient, input: SharingAgreementCreate, changedBy: number): Promise<SharingAgreement> {
  const agreement: SharingAgreement = { ...input, version: 1 };
  await checkAgreement(db, agreement, input);
  const existing = await db.query('SELECT 1 FROM sharing_agreement WHERE id = $1 LIMIT 1', [input.id]);
  if (existing.rowCount) throw new RegisterError('conflict', `agreement ${input.id} already exists; PUT a new version instead`);
  return insertVersion(db, agreement, changedBy);
}

/**
 * The status changes an agreement may make: a draft comes into force (or is
 * abandoned), one in force is suspended and resumed, and any ends. Ended is
 * final; one that was in force never becomes a draft again, and one never
 * in force has nothing to suspend.
 */
const NEXT_STATUS: Readonly<Record<AgreementStatus, readonly AgreementStatus[]>> = {
  draft: ['active', 'ended'],
  active: ['suspended', 'ended'],
  suspended: ['active', 'ended'],
  ended: [],
};

/** The agreement's content as a set of facts: lists whose order means nothing are compared sorted. */
const content = (a: SharingAgreement) => ({
  ...a,
  version: 0,
  parties: { provider: a.parties.provider, recipients: [...a.parties.recipients].sort((x, y) => x - y) },
  roles: a.roles === null ? null : [...a.roles].sort(),
  purposes: [...a.purposes].sort(),
  categories: [...a.categories].sort(),
});

/**
 * Writes version n+1 from the current version and the changed fields;
 * `update.version` must be the current one. A change that changes nothing
 * (the same values, lists in another order) writes nothing and answers the
 * current version with `changed` false: a version identical to the one
 * before would only bump every process's cached agreements and fill the
 * history with versions that differ in nothing.
 */
export async function updateAgreement(
  db: pg.PoolClient, id: string, update: SharingAgreementUpdate, changedBy: number,
): Promise<{ before: SharingAgreement; after: SharingAgreement; changed: boolean }> {
  const current = () => db.query<AgreementRow>(`SELECT ${AGREEMENT_COLUMNS} FROM sharing_agreement WHERE id = $1 AND current FOR UPDATE`, [id]);
  // A concurrent change that committed while this one waited for the lock
  // leaves its row no longer current, and its new version outside this
  // statement's snapshot: a second statement sees that version (and then 409).
  const row = (await current()).rows[0] ?? (await current()).rows[0];
  if (!row) throw new RegisterError('not-found', `no agreement ${id}`);
  const before = agreementOf(row);
  if (update.version !== before.version) {
    throw new RegisterError('conflict', `agreement ${id} is at version ${before.version}, not ${update.version}: reload and apply the change again`);
  }
  const { version: _version, ...changes } = update;
  const given = stripUndefined(changes);
  const after: SharingAgreement = { ...before, ...given, id, version: before.version + 1 };
  if (isDeepStrictEqual(content(before), content(after))) return { before, after: before, changed: false };
  if (before.status === 'ended') {
    throw new RegisterError('agreement-ended', `agreement ${id} has ended: an ended agreement is final and takes no new version; register a new agreement instead`);
  }
  if (after.status !== before.status && !NEXT_STATUS[before.status].includes(after.status)) {
    const allowed = NEXT_STATUS[before.status];
    const rule = `cannot go from ${before.status} to ${after.status}; from ${before.status} only to ${allowed.join(' or ')}`;
    throw new RegisterError('status-transition-not-allowed', `status ${rule}`, [{ path: 'status', message: rule }]);
  }
  await checkAgreement(db, after, given);
  await db.query('UPDATE sharing_agreement SET current = false WHERE id = $1 AND current', [id]);
  return { before, after: await insertVersion(db, after, changedBy), changed: true };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Every organisation that is not the council's, with its kind (for withWarnings). */
export async function partnerKinds(db: Db): Promise<Map<number, OrgKind>> {
  const { rows } = await db.query<{ id: number; kind: OrgKind }>('SELECT id, kind FROM organisation WHERE kind <> $1', [COUNCIL_ORG_KIND]);
  return new Map(rows.map((r) => [Number(r.id), r.kind]));
}

export async function agreementById(db: Db, id: string, version?: number): Promise<SharingAgreement | null> {
  const { rows } = version === undefined
    ? await db.query<AgreementRow>(`SELECT ${AGREEMENT_COLUMNS} FROM sharing_agreement WHERE id = $1 AND current`, [id])
    : await db.query<AgreementRow>(`SELECT ${AGREEMENT_COLUMNS} FROM sharing_agreement WHERE id = $1 AND version = $2`, [id, version]);
  return rows[0] ? agreementOf(rows[0]) : null;
}

export async function agreementVersions(db: Db, id: string): Promise<SharingAgreement[]> {
  const { rows } = await db.query<AgreementRow>(`SELECT ${AGREEMENT_COLUMNS} FROM sharing_agreement WHERE id = $1 ORDER BY version`, [id]);
  return rows.map(agreementOf);
}

/**
 * Current versions in id order; with `page`, those after the id `after` ('' from the start), at most `limit`. The policy's
 * callers take every one: only the route pages.
 */
export async function listAgreements(
  db: Db, filters: { org?: number; status?: string } = {}, page?: { after: string; limit: number },
): Promise<SharingAgreement[]> {
  const { rows } = await db.query<AgreementRow>(
    `SELECT ${AGREEMENT_COLUMNS} FROM sharing_agreement
      WHERE current AND ($1::bigint IS NULL OR $1 = ANY(recipient_org_ids) OR provider_org_id = $1) AND ($2::text IS NULL OR status = $2)
        AND id > $3
      ORDER BY id LIMIT $4`,
    [filters.org ?? null, filters.status ?? null, page?.after ?? '', page?.limit ?? null],
  );
  return rows.map(agreementOf);
}
