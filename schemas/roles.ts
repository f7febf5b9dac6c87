/** Roles of API clients. What each may see is decided by src/policy. */
import { Type } from 'typebox';

export const ROLES = ['admin', 'dpo', 'steward', 'adviser', 'caseworker', 'partner', 'source-system'] as const;
export const Role = Type.Enum(ROLES);
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
