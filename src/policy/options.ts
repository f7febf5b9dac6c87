/**
 * Deployment choices the policy engine needs besides the register: the
 * purpose vocabulary, which roles may ask for which purposes, and how long a
 * break-glass grant lasts.
 */
import { PURPOSES } from '../../schemas/categories.js';
import type { Role } from '../../schemas/roles.js';

export interface PolicyOptions {
  /** Every purpose a caller may name; anything else is denied as unknown. */
  purposes: readonly string[];
  /**
   * The purposes each role may use when an agreement does not name roles.
   * An agreement with a `roles` list replaces this table for itself, which is
   * how, say, a partner is allowed contact-centre enquiries.
   */
  rolePurposes: Readonly<Record<Role, readonly string[]>>;
  /** How long a break-glass grant lasts after it was granted. */
  breakGlassMinutes: number;
}

/**
 * Roles that read no citizen data through the policy, by role or by an
 * agreement naming them: their access to people's data is that of their own
 * routes, each audited as what it is (subject access, access explanations,
 * the review queues). An agreement's `roles` naming one is ignored by the
 * policy and refused by the register, so that no agreement, not even one
 * the DPO registers for the DPO, turns oversight into reading.
 */
export const NON_READER_ROLES: readonly Role[] = ['admin', 'dpo', 'steward', 'source-system'];

/**
 * Deliberately narrow: admin, dpo, steward and source-system read no citizen
 * data by role alone (no hidden bypass); the DPO explains access instead.
 */
export const DEFAULT_ROLE_PURPOSES: Readonly<Record<Role, readonly string[]>> = {
  admin: [],
  dpo: [],
  steward: [],
  'source-system': [],
  adviser: ['contact-centre-enquiry', 'direct-service-delivery', 'emergency'],
  caseworker: ['contact-centre-enquiry', 'direct-service-delivery', 'safeguarding', 'fraud-prevention', 'emergency'],
  partner: ['direct-service-delivery', 'safeguarding', 'fraud-prevention', 'emergency'],
};

export const DEFAULT_BREAK_GLASS_MINUTES = 60;

export function policyOptions(
  overrides: { extraPurposes?: readonly string[]; rolePurposes?: Partial<Record<Role, readonly string[]>>; breakGlassMinutes?: number } = {},
): PolicyOptions {
  return {
    purposes: [...PURPOSES, ...(overrides.extraPurposes ?? [])],
    rolePurposes: { ...DEFAULT_ROLE_PURPOSES, ...overrides.rolePurposes },
    breakGlassMinutes: overrides.breakGlassMinutes ?? DEFAULT_BREAK_GLASS_MINUTES,
  };
}
