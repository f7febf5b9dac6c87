/**
 * A subject access export (UK GDPR Art. 15): everything the hub holds about
 * one person — the golden record, every version of every linked source record
 * as received, the rows of those records that were rejected, the address
 * matching decisions, link history (with stewards' "not the same person"
 * decisions about the person's records), the linkage review items weighing
 * their records or account, consents, objections, restrictions, break-glass
 * grants for them, and the disclosure log. The export is itself
 * audited, in the same transaction that reads the disclosure log.
 *
 * It goes to the data subject, so it must not adversely affect the rights of
 * others (UK GDPR Art. 15(4)): the people the person lives with are counted,
 * not named, and an audit entry about someone else that named the person (a
 * read of a household member, a steward's page showing one of the person's
 * records under another account) keeps only what concerns the person.
 */
import type pg from 'pg';
import type { CitizenView } from '../../schemas/citizen-view.js';
import type { LinkHistoryEntry } from '../../schemas/link-history.js';
import type { Consent, Objection, Restriction } from '../../schemas/register.js';
import { withAudit, disclosures, type StoredAuditEntry, type StoredEntry } from '../audit/store.js';
import type { AuthenticatedClient } from '../auth/clients.js';
import { POLICY_VERSION } from '../policy/decide.js';
import { disclosedCategories, disclosedFields } from '../policy/filter.js';
import { rejectsOfRecords, type RecordReject } from '../intake/queries.js';
import { personReviewsOf, type PersonReviewOfSubject } from '../linkage/review.js';
import { consentsOf, objectionsOf, restrictionsOf } from '../register/citizen-records.js';
import type { CitizenSource } from './source.js';

export const SUBJECT_ACCESS_PURPOSE = 'subject-access';

export interface HeldSourceRecord {
  id: number;
  system: string;
  sourceRef: string;
  version: number;
  current: boolean;
  closed: boolean;
  receivedAt: string;
  rawFormat: string;
  /** The payload exactly as the source system sent it. */
  raw: string;
  record: unknown;
  addressMatch: null | { uprn: number | null; status: string; score: number; evidence: string; decidedBy: string; matchedAt: string; explanation: unknown };
}

/**
 * An audit entry about someone else that named the person: when, by whom,
 * why, under which agreements, and what of the person it disclosed. The
 * other person's reference, categories, fields, reasons, consents and any
 * break-glass reason are theirs, and are left out (and so is the entry's
 * hash, which is over them).
 */
export interface EntryNamingThePerson {
  seq: number;
  at: string;
  requestId: string;
  action: string;
  clientId: number;
  orgId: number;
  role: string;
  purpose: string;
  agreements: Array<{ id: string; version: number }>;
  policyVersion: string;
  /** How the entry named the person: as a member of the household of the person read, or by one of their records. */
  namedAs: 'household-member' | 'record';
  /** The person's references the view named as a household member. */
  householdRefs?: string[];
  /** The person's records the entry named. */
  records?: Array<{ system: string; sourceRef: string }>;
  /** Naming the person was disclosing them: the decision about them is always a permit. */
  decision: 'permit';
  categoriesDisclosed?: string[];
  fieldsDisclosed?: string[];
}

export interface SubjectAccessExport {
  citizenRef: string;
  mergedRefs: string[];
  generatedAt: string;
  /** The person's view, without the household: its members are other people (Art. 15(4)); householdOthers counts them. */
  view: CitizenView;
  /** How many other people the hub places at the person's current address (not named). */
  householdOthers: number;
  sourceRecords: HeldSourceRecord[];
  /** Rows of the person's records that could not be taken in, as received (only those whose source reference could be read). */
  rejects: RecordReject[];
  linkHistory: LinkHistoryEntry[];
  /** Linkage review items weighing the person's records or account, in any state. */
  personReviews: PersonReviewOfSubject[];
  consents: Consent[];
  objections: Objection[];
  restrictions: Restriction[];
  breakGlassGrants: BreakGlassGrant[];
  disclosures: Array<StoredAuditEntry | EntryNamingThePerson>;
}

/** A break-glass grant opened for the person: who, why, for how long. */
export interface BreakGlassGrant {
  id: number;
  clientId: number;
  orgId: number;
  /** The reference the grant was opened for (one merged into the person's since, maybe). */
  citizenRef: string;
  reason: string;
  grantedAt: string;
  expiresAt: string;
}

/** Grants naming any of the person's references; a scan of break_glass_grant, whose index serves a client's reads, as subject access is rare. */
async function breakGlassGrantsOf(db: pg.PoolClient, refs: readonly string[]): Promise<BreakGlassGrant[]> {
  const { rows } = await db.query<{ id: string; client_id: string; org_id: string; citizen_ref: string; reason: string; granted_at: Date; expires_at: Date }>(
    `SELECT g.id, g.client_id, c.org_id, g.citizen_ref, g.reason, g.granted_at, g.expires_at
       FROM break_glass_grant g JOIN api_client c ON c.id = g.client_id
      WHERE g.citizen_ref = ANY($1::text[]) ORDER BY g.id`, [refs]);
  return rows.map((r) => ({
    id: Number(r.id), clientId: Number(r.client_id), orgId: Number(r.org_id), citizenRef: r.citizen_ref, reason: r.reason,
    grantedAt: r.granted_at.toISOString(), expiresAt: r.expires_at.toISOString(),
  }));
}

const recordKey = (r: { system: string; sourceRef: string }): string => JSON.stringify([r.system, r.sourceRef]);

/** The records an entry's `detail` names (a steward's page or decision), as the trail's citizen filter finds them. */
function recordsIn(detail: Record<string, unknown> | undefined): Array<{ system: string; sourceRef: string }> {
  const records = detail?.records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((r: unknown) => {
    const { system, sourceRef } = (r ?? {}) as { system?: unknown; sourceRef?: unknown };
    return typeof system === 'string' && typeof sourceRef === 'string' ? [{ system, sourceRef }] : [];
  });
}

/**
 * The log as the person may see it: entries about the person (or about no
 * one, a steward's work on one of their records before it was linked) whole;
 * an entry about someone else, found because it named the person, reduced
 * to what concerns the person.
 */
export function personalLog(entries: readonly StoredAuditEntry[], refs: readonly string[], records: readonly { system: string; sourceRef: string }[]): Array<StoredAuditEntry | EntryNamingThePerson> {
  const own = new Set(refs);
  const ownRecords = new Set(records.map(recordKey));
  return entries.map((e) => {
    if (e.citizenRef === null || own.has(e.citizenRef)) return e;
    const householdRefs = (e.householdRefs ?? []).filter((r) => own.has(r));
    const named = recordsIn(e.detail).filter((r) => ownRecords.has(recordKey(r)));
    const reduced: EntryNamingThePerson = {
      seq: e.seq, at: e.at, requestId: e.requestId, action: e.action, clientId: e.clientId, orgId: e.orgId, role: e.role, purpose: e.purpose,
      agreements: e.agreements, policyVersion: e.policyVersion, namedAs: householdRefs.length > 0 ? 'household-member' : 'record', decision: 'permit',
    };
    if (householdRefs.length > 0) {
      // What a view tells of a member: the household's fields (reference and name), placing them at the address read.
      Object.assign(reduced, { householdRefs, categoriesDisclosed: ['household'], fieldsDisclosed: e.fieldsDisclosed.filter((f) => f.startsWith('household')) });
    }
    if (named.length > 0) reduced.records = named;
    return reduced;
  });
}

async function sourceRecordsOf(db: pg.PoolClient, view: CitizenView): Promise<HeldSourceRecord[]> {
  const keys = (view.sourceRecords ?? []).map((r) => [r.system, r.sourceRef] as const);
  if (keys.length === 0) return [];
  const { rows } = await db.query(
    `SELECT s.id, s.system, s.source_ref, s.version, s.current, s.closed, s.received_at, s.raw_format, s.raw, s.record,
            m.uprn, m.status, m.score, m.evidence, m.decided_by, m.matched_at, m.explanation
       FROM source_record s
       JOIN unnest($1::text[], $2::text[]) AS k(system, source_ref) ON k.system = s.system AND k.source_ref = s.source_ref
       LEFT JOIN address_match m ON m.source_record_id = s.id
      ORDER BY s.system, s.source_ref, s.version`,
    [keys.map(([system]) => system), keys.map(([, ref]) => ref)],
  );
  return rows.map((r) => ({
    id: Number(r.id), system: r.system, sourceRef: r.source_ref, version: r.version, current: r.current, closed: r.closed,
    receivedAt: (r.received_at as Date).toISOString(), rawFormat: r.raw_format, raw: r.raw, record: r.record,
    addressMatch: r.status === null ? null : {
      uprn: r.uprn === null ? null : Number(r.uprn), status: r.status, score: r.score, evidence: r.evidence, decidedBy: r.decided_by,
      matchedAt: (r.matched_at as Date).toISOString(), explanation: r.explanation,
    },
  }));
}

export async function subjectAccess(
  pool: pg.Pool,
  source: CitizenSource,
  client: AuthenticatedClient,
  ref: string,
  held: CitizenView,
  requestId: string,
  now: Date,
): Promise<SubjectAccessExport> {
  const mergedRefs = source.mergedInto ? await source.mergedInto(ref) : [];
  const linkHistory = source.linkHistory ? await source.linkHistory(ref) : [];
  const refs = [ref, ...mergedRefs];
  const records = (held.sourceRecords ?? []).map((r) => ({ system: r.system, sourceRef: r.sourceRef }));
  // The members are other people: counted, not named (Art. 15(4)).
  const { household, ...view } = held;
  return withAudit(pool, async (db) => {
    const [sourceRecords, rejects, personReviews, consents, objections, restrictions, breakGlassGrants, log] = [
      await sourceRecordsOf(db, view), await rejectsOfRecords(db, records), await personReviewsOf(db, refs, records),
      await consentsOf(db, refs), await objectionsOf(db, refs), await restrictionsOf(db, refs), await breakGlassGrantsOf(db, refs),
      personalLog(await disclosures(db, { citizen: refs, records, limit: 1_000_000 }), refs, records),
    ];
    const entry: StoredEntry = {
      at: now.toISOString(), requestId, action: 'citizen.subject-access', clientId: client.id, orgId: client.orgId, role: client.role,
      purpose: SUBJECT_ACCESS_PURPOSE, citizenRef: ref, agreements: [], consentIds: [], categoriesDisclosed: disclosedCategories(view),
      categoriesDenied: [], fieldsDisclosed: disclosedFields(view), decision: 'permit', reasons: {}, policyVersion: POLICY_VERSION,
      breakGlassReason: null, reviewRequired: false,
    };
    return {
      result: {
        citizenRef: ref, mergedRefs, generatedAt: now.toISOString(), view, householdOthers: household?.length ?? 0, sourceRecords, rejects, linkHistory,
        personReviews, consents, objections, restrictions, breakGlassGrants, disclosures: log,
      },
      entries: [entry],
    };
  });
}
