/**
 * A subject access export (UK GDPR Art. 15): everything the hub holds about
 * one person — the golden record, every version of every linked source record
 * as received, the address matching decisions, link history (with stewards'
 * "not the same person" decisions about the person's records), consents,
 * objections, restrictions, and the disclosure log. The export is itself
 * audited, in the same transaction that reads the disclosure log.
 */
import type pg from 'pg';
import type { CitizenView } from '../../schemas/citizen-view.js';
import type { LinkHistoryEntry } from '../../schemas/link-history.js';
import type { Consent, Objection, Restriction } from '../../schemas/register.js';
import { withAudit, disclosures, type StoredAuditEntry, type StoredEntry } from '../audit/store.js';
import type { AuthenticatedClient } from '../auth/clients.js';
import { POLICY_VERSION } from '../policy/decide.js';
import { disclosedCategories, disclosedFields } from '../policy/filter.js';
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

export interface SubjectAccessExport {
  citizenRef: string;
  mergedRefs: string[];
  generatedAt: string;
  view: CitizenView;
  sourceRecords: HeldSourceRecord[];
  linkHistory: LinkHistoryEntry[];
  consents: Consent[];
  objections: Objection[];
  restrictions: Restriction[];
  disclosures: StoredAuditEntry[];
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
  view: CitizenView,
  requestId: string,
  now: Date,
): Promise<SubjectAccessExport> {
  const mergedRefs = source.mergedInto ? await source.mergedInto(ref) : [];
  const linkHistory = source.linkHistory ? await source.linkHistory(ref) : [];
  const refs = [ref, ...mergedRefs];
  return withAudit(pool, async (db) => {
    const [sourceRecords, consents, objections, restrictions, log] = [
      await sourceRecordsOf(db, view), await consentsOf(db, refs), await objectionsOf(db, refs), await restrictionsOf(db, refs),
      await disclosures(db, { citizen: refs, records: (view.sourceRecords ?? []).map((r) => ({ system: r.system, sourceRef: r.sourceRef })), limit: 1_000_000 }),
    ];
    const entry: StoredEntry = {
      at: now.toISOString(), requestId, action: 'citizen.subject-access', clientId: client.id, orgId: client.orgId, role: client.role,
      purpose: SUBJECT_ACCESS_PURPOSE, citizenRef: ref, agreements: [], consentIds: [], categoriesDisclosed: disclosedCategories(view),
      categoriesDenied: [], fieldsDisclosed: disclosedFields(view), decision: 'permit', reasons: {}, policyVersion: POLICY_VERSION,
      breakGlassReason: null, reviewRequired: false,
    };
    return {
      result: { citizenRef: ref, mergedRefs, generatedAt: now.toISOString(), view, sourceRecords, linkHistory, consents, objections, restrictions, disclosures: log },
      entries: [entry],
    };
  });
}
