/** Roles of API clients. What each may see is decided by src/policy. */
import { Type } from 'typebox';

export const ROLES = ['admin', 'dpo', 'steward', 'adviser', 'caseworker', 'partner', 'source-system'] as const;
export const Role = Type.Enum(ROLES);
export type Role = (typeof ROLES)[number];

/**
 * Roles that act for the council, the controller of the hub's data, on its
 * whole data and outside the policy engine: the DPO keeps the register and
 * oversees (subject access, access explanations, the audit trail, webhook
 * subscriptions), the admin runs the hub and reads the register, the steward
 * works the linkage and address queues over everyone's records. A key of one
 * of them is admitted only when its organisation is a council organisation
 * (the auth plugin's gate); a partner's keys read through agreements only,
 * but for PARTNER_OVERSIGHT_ROLES.
 */
export const COUNCIL_ROLES: readonly Role[] = ['admin', 'dpo', 'steward'];

/**
 * Council roles a partner organisation may hold too, for oversight of its
 * own organisation only: its DPO lists the disclosures made to it. Such a key
 * is admitted only on the routes whose config.partnerOversight says so, each
 * confining it to its organisation; on every other route its role admits it
 * is refused as any council role of a partner is.
 */
export const PARTNER_OVERSIGHT_ROLES: readonly Role[] = ['dpo'];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
