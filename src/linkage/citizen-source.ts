/**
 * The citizen source the read routes use: golden records, search, occupants
 * and account history from the linkage tables. Everything here is
 * unfiltered; the routes put it through the policy engine.
 */
import type pg from 'pg';
import type { LinkHistoryEntry } from '../../schemas/link-history.js';
import type { SourceRecord } from '../../schemas/source-record.js';
import { validateEmail, validateNhsNumber, validateNino, validatePhone } from '../../matching/identifiers/index.js';
import { normalisePostcode } from '../../matching/address/index.js';
import type { CitizenLookup, CitizenSearch, CitizenSource } from '../citizens/source.js';
import type { AssertedSince } from '../intake/asserted-since.js';
import { resolveRef, type LinkedBy } from './accounts.js';
import { addressSourceOf, addressSourcesSql, buildCitizenView, citizensAt, currentUprn, LIVES_THERE, type AddressSourceRow, type LinkedSource } from './golden.js';

/** One criterion: the records it selects, as SQL over person_record p, and its parameter. */
interface Criterion {
  where: string;
  value: string | number;
}

const normalised = (check: { valid: boolean; normalised: string | null }, raw: string): string => (check.valid && check.normalised ? check.normalised : raw.trim());

/**
 * The criteria a search gives, each an indexed test on a linked record's
 * features. Identifiers are normalised as intake normalises them, so a
 * phone number typed any way or presented by telephony finds the record.
 */
export function criteriaOf(search: CitizenSearch): Criterion[] {
  const out: Criterion[] = [];
  // However it is written (O'CONNOR, OCONNOR; BURTON-HALL, BURTONHALL, or a part of it: BURTON), as linkage normalises it,
  // with or without a generation suffix (SMITH finds SMITH JNR); a suffix searched for must match (migrations 011, 042, 044).
  if (search.surname) {
    out.push({
      where: "citizen_surname_keys(p.features->>'surname') @> ARRAY[(citizen_surname_keys($n))[1]] "
        + "AND (citizen_surname_generation($n) IS NULL OR citizen_surname_generation(p.features->>'surname') = citizen_surname_generation($n))",
      value: search.surname.trim(),
    });
  }
  if (search.forename) out.push({ where: "upper(p.features->'forenames'->>0) LIKE upper($n) || '%'", value: search.forename.trim().replace(/[%_\\]/g, '\\$&') });
  if (search.dob) out.push({ where: "p.features->>'dob' = $n", value: search.dob });
  if (search.postcode) out.push({ where: "replace(upper(p.features->>'postcode'), ' ', '') = replace($n, ' ', '')", value: normalisePostcode(search.postcode) ?? search.postcode.toUpperCase() });
  if (search.uprn !== undefined) out.push({ where: "(p.features->>'uprn')::bigint = $n::bigint", value: search.uprn });
  // Any of the record's phones and emails, not only the first that linkage compares (features.ts; migration 054).
  if (search.phone) out.push({ where: "p.features->'phones' @> jsonb_build_array($n::text)", value: normalised(validatePhone(search.phone), search.phone) });
  if (search.email) out.push({ where: "p.features->'emails' @> jsonb_build_array($n::text)", value: normalised(validateEmail(search.email), search.email).toLowerCase() });
  if (search.nhsNumber) out.push({ where: "p.features->>'nhsNumber' = $n", value: normalised(validateNhsNumber(search.nhsNumber), search.nhsNumber) });
  // The suffix letter (A to D) is not part of the number and is often left out, by people and by systems: either way finds the record.
  if (search.nino) {
    out.push({
      where: "p.features->>'nino' IN (left($n, 8), left($n, 8) || 'A', left($n, 8) || 'B', left($n, 8) || 'C', left($n, 8) || 'D')",
      value: normalised(validateNino(search.nino), search.nino),
    });
  }
  if (search.cardNumber) out.push({ where: "p.system = 'smartcard' AND p.source_ref = $n", value: search.cardNumber.trim() });
  return out;
}

/**
 * The golden record's inputs in one round trip: the account resolved as
 * resolveRef does (a merged reference to its survivor), its current linked
 * records with their address matches, and the occupants of every UPRN its
 * current address could have (a current residential address of an open
 * record, as given or as matched: a review's candidate places nobody), per
 * UPRN as citizensAt finds them.
 * Survivorship (buildCitizenView) then picks the current address, and the
 * household is that UPRN's occupants.
 */
export const VIEW = `WITH a AS (
    SELECT coalesce(s.id, c.id) AS id, coalesce(s.ref, c.ref) AS ref, c.merged_into IS NOT NULL AS merged, coalesce(s.status, c.status) = 'closed' AS closed,
           ARRAY(SELECT m.ref FROM citizen m WHERE m.merged_into = coalesce(s.id, c.id) ORDER BY m.ref) AS aliases
      FROM citizen c LEFT JOIN citizen s ON s.id = c.merged_into WHERE c.ref = $1),
  src AS (
    SELECT l.system, l.source_ref, s.record, s.received_at, s.source_updated_at, s.closed, s.asserted_since, l.linked_at, l.linked_by,
           m.uprn AS m_uprn, m.status AS m_status
      FROM a JOIN citizen_link l ON l.citizen_id = a.id AND l.ended_at IS NULL AND NOT a.merged
      JOIN source_record s ON s.system = l.system AND s.source_ref = l.source_ref AND s.current
      LEFT JOIN address_match m ON m.source_record_id = s.id),
  uprns AS (
    SELECT m_uprn AS uprn FROM src WHERE NOT closed AND m_status = 'matched' AND m_uprn IS NOT NULL
    UNION SELECT (x->>'uprn')::bigint FROM src, jsonb_array_elements(src.record->'addresses') x
     WHERE NOT src.closed AND x->>'kind' = 'residential' AND jsonb_typeof(x->'to') IS DISTINCT FROM 'string' AND jsonb_typeof(x->'uprn') = 'number'),
  at AS (
    SELECT u.uprn, p.system, p.source_ref FROM uprns u JOIN person_record p ON (p.features->>'uprn')::bigint = u.uprn
    UNION SELECT u.uprn, s.system, s.source_ref FROM uprns u JOIN address_match m ON m.uprn = u.uprn AND m.status = 'matched'
      JOIN source_record s ON s.id = m.source_record_id AND s.current),
  occupant AS (
    SELECT DISTINCT ON (at.uprn, c.id) at.uprn, c.id, c.ref, p.features->'forenames' AS forenames, p.features->>'surname' AS surname
      FROM at JOIN citizen_link l ON l.system = at.system AND l.source_ref = at.source_ref AND l.ended_at IS NULL
      JOIN citizen c ON c.id = l.citizen_id AND c.status = 'active'
      JOIN person_record p ON p.system = at.system AND p.source_ref = at.source_ref
      JOIN source_record s ON s.system = at.system AND s.source_ref = at.source_ref AND s.current AND NOT s.closed
     WHERE c.id <> (SELECT id FROM a) AND ${LIVES_THERE}
     ORDER BY at.uprn, c.id, at.system, at.source_ref)
  SELECT a.id, a.ref, a.merged, a.closed, a.aliases,
         (SELECT coalesce(json_agg(src ORDER BY src.system, src.source_ref), '[]') FROM src) AS sources,
         (SELECT coalesce(json_agg(o ORDER BY o.uprn, o.id), '[]')
            FROM (SELECT o.*, ARRAY(SELECT m.ref FROM citizen m WHERE m.merged_into = o.id ORDER BY m.ref) AS aliases,
                         ${addressSourcesSql('o.id')} AS sources FROM occupant o) o) AS occupants
    FROM a`;

interface ViewRow {
  id: number; ref: string; merged: boolean; closed: boolean; aliases: string[];
  sources: Array<{
    system: string; source_ref: string; record: SourceRecord; received_at: string; source_updated_at: string | null; closed: boolean;
    linked_at: string; linked_by: LinkedBy; m_uprn: number | null; m_status: 'matched' | 'review' | 'unmatched' | null; asserted_since: AssertedSince | null;
  }>;
  occupants: Array<{ uprn: number; id: number; ref: string; forenames: string[]; surname: string; aliases: string[]; sources: AddressSourceRow[] }>;
}

const iso = (d: string) => new Date(d).toISOString();

export class LinkedCitizenSource implements CitizenSource {
  /** Reads through a pool, or a connection: in a disclosure, the read's own transaction. */
  constructor(private readonly pool: pg.Pool | pg.PoolClient) {}

  within(db: pg.PoolClient): LinkedCitizenSource {
    return new LinkedCitizenSource(db);
  }

  async view(ref: string, today: string): Promise<CitizenLookup> {
    // Named: read on every citizen view, so each connection plans it once.
    const row = (await this.pool.query<ViewRow>({ name: 'citizen-view', text: VIEW, values: [ref] })).rows[0];
    if (!row) return null;
    if (row.merged) return { redirectTo: row.ref };
    // No records: nothing to build a golden record from, only the reference (its register records are read by reference).
    if (row.closed) return { view: { ref: row.ref, withheld: [] }, mergedRefs: row.aliases, closed: true };
    const sources: LinkedSource[] = row.sources.map((r) => ({
      system: r.system, sourceRef: r.source_ref, record: r.record, receivedAt: iso(r.received_at),
      updatedAt: iso(r.source_updated_at ?? r.received_at), closed: r.closed, linkedAt: iso(r.linked_at), linkedBy: r.linked_by,
      addressMatch: r.m_status === null ? null : { uprn: r.m_uprn, status: r.m_status }, assertedSince: r.asserted_since,
    }));
    const draft = buildCitizenView(row.ref, sources, [], today);
    const current = new Set((draft.addresses ?? []).filter((a) => a.current && a.uprn !== null).map((a) => a.uprn));
    const seen = new Set<number>();
    // A member is at the citizen's current address by their own view too (someone with records in force at two addresses lives at one).
    const members = row.occupants.filter((o) => current.has(o.uprn) && !seen.has(o.id) && currentUprn(o.sources.map(addressSourceOf)) === o.uprn && seen.add(o.id))
      .sort((a, b) => a.id - b.id);
    const household = members.map((o) => ({ citizenRef: o.ref, name: [...o.forenames, o.surname].join(' ') }));
    const memberMergedRefs = Object.fromEntries(members.map((o) => [o.ref, o.aliases]));
    return { view: { ...draft, household }, mergedRefs: row.aliases, memberMergedRefs };
  }

  /**
   * Active citizens satisfying every criterion (each by some linked record),
   * ranked by how many of their records agree, then by reference.
   */
  async search(criteria: CitizenSearch, limit: number): Promise<string[]> {
    const tests = criteriaOf(criteria);
    if (tests.length === 0) return [];
    const hits = tests.map((t, i) =>
      `SELECT ${i} AS criterion, l.citizen_id FROM person_record p
         JOIN citizen_link l ON l.system = p.system AND l.source_ref = p.source_ref AND l.ended_at IS NULL
        WHERE ${t.where.replaceAll('$n', `$${i + 1}`)}`);
    const { rows } = await this.pool.query<{ ref: string }>(
      `SELECT c.ref FROM (${hits.join(' UNION ALL ')}) h
         JOIN citizen c ON c.id = h.citizen_id AND c.status = 'active'
        GROUP BY c.ref
       HAVING count(DISTINCT h.criterion) = ${tests.length}
        ORDER BY count(*) DESC, c.ref
        LIMIT $${tests.length + 1}`,
      [...tests.map((t) => t.value), limit],
    );
    return rows.map((r) => r.ref);
  }

  async occupants(uprn: number): Promise<string[]> {
    return (await citizensAt(this.pool, [uprn], null)).map((c) => c.citizenRef);
  }

  async mergedInto(ref: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ ref: string }>(
      'SELECT m.ref FROM citizen s JOIN citizen m ON m.merged_into = s.id WHERE s.ref = $1 ORDER BY m.ref', [ref]);
    return rows.map((r) => r.ref);
  }

  async mergedIntoEach(refs: readonly string[]): Promise<Map<string, string[]>> {
    const merged = new Map(refs.map((ref): [string, string[]] => [ref, []]));
    if (refs.length === 0) return merged;
    const { rows } = await this.pool.query<{ ref: string; merged: string[] }>(
      `SELECT s.ref, array_agg(m.ref ORDER BY m.ref) AS merged FROM citizen s JOIN citizen m ON m.merged_into = s.id
        WHERE s.ref = ANY($1::text[]) GROUP BY s.ref`, [refs]);
    for (const row of rows) merged.set(row.ref, row.merged);
    return merged;
  }

  async linkedRecords(ref: string): Promise<{ system: string; sourceRef: string }[]> {
    const { rows } = await this.pool.query<{ system: string; sourceRef: string }>(
      `SELECT l.system, l.source_ref AS "sourceRef" FROM citizen c JOIN citizen_link l ON l.citizen_id = coalesce(c.merged_into, c.id) AND l.ended_at IS NULL
        WHERE c.ref = $1 ORDER BY l.system, l.source_ref`, [ref]);
    return rows;
  }

  /**
   * Every event of the account and of the accounts merged into it, and every
   * steward's "not the same person" decision naming one of those accounts or
   * one of its records (revoked ones too: they were held), oldest first.
   */
  async linkHistory(ref: string): Promise<LinkHistoryEntry[]> {
    const resolved = await resolveRef(this.pool, ref);
    if (!resolved) return [];
    const { rows } = await this.pool.query<{
      citizenRef: string | null; kind: LinkHistoryEntry['kind']; otherRef: string | null; system: string | null; sourceRef: string | null;
      otherSystem: string | null; otherSourceRef: string | null; clientId: string | null; reason: string; at: Date; revokedAt: Date | null;
    }>(
      `WITH own AS (SELECT $1::bigint AS id UNION ALL SELECT id FROM citizen WHERE merged_into = $1),
            recs AS (SELECT system, source_ref FROM citizen_link WHERE citizen_id = $1 AND ended_at IS NULL)
       SELECT "citizenRef", kind, "otherRef", system, "sourceRef", "otherSystem", "otherSourceRef", "clientId", reason, at, "revokedAt"
         FROM (
           SELECT c.ref AS "citizenRef", e.kind, o.ref AS "otherRef", e.system, e.source_ref AS "sourceRef", NULL::text AS "otherSystem",
                  NULL::text AS "otherSourceRef", e.client_id AS "clientId", e.reason, e.at, NULL::timestamptz AS "revokedAt", 0 AS part, e.id
             FROM citizen_event e JOIN citizen c ON c.id = e.citizen_id LEFT JOIN citizen o ON o.id = e.other_citizen
            WHERE e.citizen_id IN (SELECT id FROM own)
           UNION ALL
           SELECT c.ref, d.kind, NULL, d.system, d.source_ref, d.other_system, d.other_source_ref, d.decided_by, d.reason, d.decided_at, d.revoked_at, 1, d.id
             FROM link_decision d LEFT JOIN citizen c ON c.id = d.citizen_id
            WHERE d.kind = 'distinct' AND (d.citizen_id IN (SELECT id FROM own)
                  OR (d.system, d.source_ref) IN (SELECT system, source_ref FROM recs)
                  OR (d.other_system, d.other_source_ref) IN (SELECT system, source_ref FROM recs))
         ) h
        ORDER BY at, part, id`,
      [resolved.id],
    );
    return rows.map((r) => ({
      ...r, clientId: r.clientId === null ? null : Number(r.clientId), at: r.at.toISOString(), revokedAt: r.revokedAt === null ? null : r.revokedAt.toISOString(),
    }));
  }
}
