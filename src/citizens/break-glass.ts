/**
 * Break-glass grants: a client states a reason for one citizen and may then
 * read that citizen, and no other, under the emergency purpose for a limited
 * time; after that, or for anyone else, it must state a reason again, which
 * opens a new grant. A search or an occupants list opens a grant of its own,
 * with no citizen, for that request alone. Every read under a grant is
 * flagged for review by the policy engine.
 */
import type pg from 'pg';
import type { BreakGlass } from '../policy/decide.js';

export interface GrantChoice {
  grant: BreakGlass | null;
  /** True when the grant is new and must be stored with the request's audit entries. */
  open: boolean;
  /** The citizen a new grant is for; null for a listing's, which no later read finds. */
  citizenRef: string | null;
}

export const NO_GRANT: GrantChoice = { grant: null, open: false, citizenRef: null };

/**
 * For a read of one citizen (the reference the decision is made for): this
 * client's live grant for that citizen, a new one when a (different) reason
 * is given, or none when there is neither.
 */
export async function chooseGrant(
  db: pg.Pool | pg.PoolClient, clientId: number, citizenRef: string, reason: string | null, now: Date,
): Promise<GrantChoice> {
  const { rows } = await db.query<{ reason: string; granted_at: Date }>(
    `SELECT reason, granted_at FROM break_glass_grant
      WHERE client_id = $1 AND citizen_ref = $2 AND granted_at <= $3 AND expires_at > $3 ORDER BY granted_at DESC LIMIT 1`,
    [clientId, citizenRef, now],
  );
  const live = rows[0];
  if (live && (reason === null || live.reason === reason)) return { grant: { reason: live.reason, grantedAt: live.granted_at.toISOString() }, open: false, citizenRef };
  if (reason === null) return NO_GRANT;
  return { grant: { reason, grantedAt: now.toISOString() }, open: true, citizenRef };
}

/**
 * For a search or an occupants list: a reason written for one person says
 * nothing about whoever else a listing finds, so a listing uses no earlier
 * grant, and the one its own reason opens serves it alone.
 */
export function listingGrant(reason: string | null, now: Date): GrantChoice {
  return reason === null ? NO_GRANT : { grant: { reason, grantedAt: now.toISOString() }, open: true, citizenRef: null };
}

export async function openGrant(db: pg.PoolClient, clientId: number, choice: GrantChoice, minutes: number): Promise<void> {
  if (!choice.open || !choice.grant) return;
  const grantedAt = new Date(choice.grant.grantedAt);
  await db.query(
    'INSERT INTO break_glass_grant (client_id, citizen_ref, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
    [clientId, choice.citizenRef, choice.grant.reason, grantedAt, new Date(grantedAt.getTime() + minutes * 60_000)],
  );
}

/** A live grant held by a client of an organisation for a citizen, as the DPO's access explanation tells it. */
export interface LiveGrant {
  clientId: number;
  role: string;
  grantedAt: string;
  expiresAt: string;
}

/** The live grants the organisation's (unrevoked) clients hold for this citizen. */
export async function liveGrantsOf(db: pg.Pool | pg.PoolClient, orgId: number, citizenRef: string, now: Date): Promise<LiveGrant[]> {
  const { rows } = await db.query<{ client_id: string; role: string; granted_at: Date; expires_at: Date }>(
    `SELECT g.client_id, c.role, g.granted_at, g.expires_at FROM break_glass_grant g JOIN api_client c ON c.id = g.client_id
      WHERE c.org_id = $1 AND c.revoked_at IS NULL AND g.citizen_ref = $2 AND g.granted_at <= $3 AND g.expires_at > $3
      ORDER BY g.granted_at, g.id`,
    [orgId, citizenRef, now],
  );
  return rows.map((r) => ({ clientId: Number(r.client_id), role: r.role, grantedAt: r.granted_at.toISOString(), expiresAt: r.expires_at.toISOString() }));
}
