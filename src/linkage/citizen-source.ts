/**
 * The citizen source the read routes use: golden records, search, occupants
 * and account history from the linkage tables. Everything here is
 * unfiltered; the routes put it through the policy engine.
 */
import type pg from 'pg';
import { validateEmail, validateNhsNumber, validateNino, validatePhone } from '../../matching/identifiers/index.js';
import { normalisePostcode } from '../../matching/address/index.js';
import type { CitizenLookup, CitizenSearch, CitizenSource } from '../citizens/source.js';
import { resolveRef } from './accounts.js';
import { citizenView, citizensAt } from './golden.js';

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
function criteriaOf(search: CitizenSearch): Criterion[] {
  const out: Criterion[] = [];
  if (search.surname) out.push({ where: "upper(p.features->>'surname') = upper($n)", value: search.surname.trim() });
  if (search.forename) out.push({ where: "upper(p.features->'forenames'->>0) LIKE upper($n) || '%'", value: search.forename.trim().replace(/[%_\\]/g, '\\$&') });
  if (search.dob) out.push({ where: "p.features->>'dob' = $n", value: search.dob });
  if (search.postcode) out.push({ where: "replace(upper(p.features->>'postcode'), ' ', '') = replace($n, ' ', '')", value: normalisePostcode(search.postcode) ?? search.postcode.toUpperCase() });
  if (search.uprn !== undefined) out.push({ where: "(p.features->>'uprn')::bigint = $n::bigint", value: search.uprn });
  if (search.phone) out.push({ where: "p.features->>'phone' = $n", value: normalised(validatePhone(search.phone), search.phone) });
  if (search.email) out.push({ where: "lower(p.features->>'email') = lower($n)", value: normalised(validateEmail(search.email), search.email) });
  if (search.nhsNumber) out.push({ where: "p.features->>'nhsNumber' = $n", value: normalised(validateNhsNumber(search.nhsNumber), search.nhsNumber) });
  if (search.nino) out.push({ where: "p.features->>'nino' = $n", value: normalised(validateNino(search.nino), search.nino) });
  if (search.cardNumber) out.push({ where: "p.system = 'smartcard' AND p.source_ref = $n", value: search.cardNumber.trim() });
  return out;
}

export class LinkedCitizenSource implements CitizenSource {
  constructor(private readonly pool: pg.Pool) {}

  view(ref: string): Promise<CitizenLookup> {
    return citizenView(this.pool, ref);
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

  /** Every event of the account and of the accounts merged into it, oldest first. */
  async linkHistory(ref: string): Promise<unknown[]> {
    const resolved = await resolveRef(this.pool, ref);
    if (!resolved) return [];
    const { rows } = await this.pool.query(
      `SELECT c.ref AS "citizenRef", e.kind, o.ref AS "otherRef", e.system, e.source_ref AS "sourceRef",
              e.client_id AS "clientId", e.reason, e.at
         FROM citizen_event e JOIN citizen c ON c.id = e.citizen_id LEFT JOIN citizen o ON o.id = e.other_citizen
        WHERE e.citizen_id = $1 OR e.citizen_id IN (SELECT id FROM citizen WHERE merged_into = $1)
        ORDER BY e.at, e.id`,
      [resolved.id],
    );
    return rows.map((r: Record<string, unknown>) => ({ ...r, clientId: r.clientId === null ? null : Number(r.clientId), at: new Date(r.at as string).toISOString() }));
  }
}
