/**
 * Break-glass grants: a client states a reason once and may then read under
 * the emergency purpose for a limited time; after that it must state a reason
 * again, which opens a new grant. Every read under a grant is flagged for
 * review by the policy engine.
 */
import type pg from 'pg';
import type { BreakGlass } from '../policy/decide.js';

export interface GrantChoice {
  grant: BreakGlass | null;
  /** True when the grant is new and must be stored with the request's audit entries. */
  open: boolean;
}

/** The live grant of this client, a new one when a (different) reason is given, or none when there is neither. */
export async function chooseGrant(db: pg.Pool | pg.PoolClient, clientId: number, reason: string | null, now: Date): Promise<GrantChoice> {
  const { rows } = await db.query<{ reason: string; granted_at: Date }>(
    `SELECT reason, granted_at FROM break_glass_grant
      WHERE client_id = $1 AND granted_at <= $2 AND expires_at > $2 ORDER BY granted_at DESC LIMIT 1`,
    [clientId, now],
  );
  const live = rows[0];
  if (live && (reason === null || live.reason === reason)) return { grant: { reason: live.reason, grantedAt: live.granted_at.toISOString() }, open: false };
  if (reason === null) return { grant: null, open: false };
  return { grant: { reason, grantedAt: now.toISOString() }, open: true };
}

export async function openGrant(db: pg.PoolClient, clientId: number, grant: BreakGlass, minutes: number): Promise<void> {
  const grantedAt = new Date(grant.grantedAt);
  await db.query(
    'INSERT INTO break_glass_grant (client_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4)',
    [clientId, grant.reason, grantedAt, new Date(grantedAt.getTime() + minutes * 60_000)],
  );
}
