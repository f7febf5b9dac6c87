/**
 * The DPO's question "what may this organisation see of this person for
 * this purpose, and why": answered from the register as one transaction
 * sees it, and itself audited, since it tells a reader which consents,
 * objections and restrictions a person has.
 */
import type pg from 'pg';
import type { Role } from '../../schemas/roles.js';
import { withAudit, type StoredEntry } from '../audit/store.js';
import type { AuthenticatedClient } from '../auth/clients.js';
import { EMERGENCY_PURPOSE, POLICY_VERSION } from '../policy/decide.js';
import { explainAccess, type AccessExplanation } from '../policy/explain.js';
import type { PolicyOptions } from '../policy/options.js';
import { policyInputs } from '../register/policy-inputs.js';
import { liveGrantsOf } from './break-glass.js';

/** The purpose a DPO's own oversight reads are recorded under. */
export const OVERSIGHT_PURPOSE = 'data-protection-oversight';

export interface AccessQuestion {
  ref: string;
  /** References merged into `ref`, whose register records count too. */
  mergedRefs: string[];
  org: number;
  purpose: string;
  roles: Role[];
}

export function explainAccessAudited(
  pool: pg.Pool, client: AuthenticatedClient, question: AccessQuestion, options: PolicyOptions, requestId: string, now: Date,
): Promise<AccessExplanation[]> {
  const { ref, org, purpose, roles } = question;
  return withAudit(pool, async (db) => {
    const { agreements, registers } = await policyInputs(db, org, [ref], new Map([[ref, question.mergedRefs]]));
    // Grants are stored for the citizen a read was decided for, the survivor, which is what is explained.
    const grants = purpose === EMERGENCY_PURPOSE ? await liveGrantsOf(db, org, ref, now) : [];
    const explanations = roles.map((role) => explainAccess(
      { caller: { clientId: 0, orgId: org, role }, purpose, citizen: registers.get(ref)!, agreements, breakGlass: null, options, now },
      grants.filter((g) => g.role === role).map(({ role: _role, ...held }) => held),
    ));
    const entry: StoredEntry = {
      at: now.toISOString(), requestId, action: 'citizen.access-explanation', clientId: client.id, orgId: client.orgId, role: client.role,
      purpose: OVERSIGHT_PURPOSE, citizenRef: ref, agreements: [], consentIds: [], categoriesDisclosed: [], categoriesDenied: [],
      fieldsDisclosed: [], decision: 'permit', reasons: {}, policyVersion: POLICY_VERSION, breakGlassReason: null, reviewRequired: false,
      detail: { explainedFor: { org, purpose, roles } },
    };
    return { result: explanations, entries: [entry] };
  });
}
