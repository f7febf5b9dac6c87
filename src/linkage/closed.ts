/**
 * Closed accounts: emptied of their records while holding consents,
 * objections or restrictions that may be another person's
 * (docs/person-linkage.md, Emptied accounts). Listed so that a steward and
 * the DPO can settle whose those register records are.
 */
import type pg from 'pg';

export interface ClosedAccount {
  citizenRef: string;
  closedAt: string;
  /** The account its last record went to (as it is now, after any merge); null if that is not recorded. */
  lastRecordWentTo: string | null;
  /** Register records not withdrawn or lifted, under its reference or one merged into it. */
  open: { consents: number; objections: number; restrictions: number };
}

const CLOSED = `
  SELECT c.ref, c.closed_at,
         (SELECT coalesce(s.ref, o.ref) FROM citizen_event e JOIN citizen o ON o.id = e.other_citizen LEFT JOIN citizen s ON s.id = o.merged_into
           WHERE e.citizen_id = c.id AND e.kind = 'close' ORDER BY e.id DESC LIMIT 1) AS went_to,
         (SELECT count(*) FROM consent WHERE citizen_ref = ANY(r.refs) AND withdrawn_at IS NULL) AS consents,
         (SELECT count(*) FROM objection WHERE citizen_ref = ANY(r.refs) AND withdrawn_at IS NULL) AS objections,
         (SELECT count(*) FROM restriction WHERE citizen_ref = ANY(r.refs) AND lifted_at IS NULL) AS restrictions
    FROM citizen c,
         LATERAL (SELECT ARRAY[c.ref] || ARRAY(SELECT m.ref FROM citizen m WHERE m.merged_into = c.id) AS refs) r
   WHERE c.status = 'closed' AND c.ref > $1
   ORDER BY c.ref LIMIT $2`;

/** A page of closed accounts in reference order, after `after` (a reference, or '' from the start). */
export async function closedAccounts(db: pg.Pool | pg.PoolClient, after: string, limit: number): Promise<ClosedAccount[]> {
  const { rows } = await db.query<{ ref: string; closed_at: Date; went_to: string | null; consents: string; objections: string; restrictions: string }>(
    CLOSED, [after, limit]);
  return rows.map((r) => ({
    citizenRef: r.ref, closedAt: r.closed_at.toISOString(), lastRecordWentTo: r.went_to,
    open: { consents: Number(r.consents), objections: Number(r.objections), restrictions: Number(r.restrictions) },
  }));
}
