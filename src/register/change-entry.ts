/** The audit entry of a register change: who changed which record, and the record before and after. */
import type { AuthenticatedClient } from '../auth/clients.js';
import type { StoredEntry } from '../audit/store.js';
import { OVERSIGHT_PURPOSE } from '../citizens/access-explanation.js';
import { POLICY_VERSION } from '../policy/decide.js';

/** The purpose recorded for changes to the register itself. */
export const REGISTER_PURPOSE = 'register-maintenance';

export interface RegisterChange {
  action: string;
  citizenRef?: string | null;
  agreement?: { id: string; version: number };
  consentId?: string;
  before: unknown;
  after: unknown;
}

export function registerChangeEntry(client: AuthenticatedClient, requestId: string, at: Date, change: RegisterChange): StoredEntry {
  return {
    at: at.toISOString(),
    requestId,
    action: change.action,
    clientId: client.id,
    orgId: client.orgId,
    role: client.role,
    purpose: REGISTER_PURPOSE,
    citizenRef: change.citizenRef ?? null,
    agreements: change.agreement ? [change.agreement] : [],
    consentIds: change.consentId ? [change.consentId] : [],
    categoriesDisclosed: [],
    categoriesDenied: [],
    fieldsDisclosed: [],
    decision: 'permit',
    reasons: {},
    policyVersion: POLICY_VERSION,
    breakGlassReason: null,
    reviewRequired: false,
    // JSON round trip: the stored jsonb must read back to exactly what was hashed.
    detail: JSON.parse(JSON.stringify({ before: change.before ?? null, after: change.after ?? null })) as Record<string, unknown>,
  };
}

/**
 * The audit entry of a read of one citizen's register records: like the
 * access explanation, it tells the reader the person's consents, objections
 * or restrictions, so it is recorded (purpose data-protection-oversight).
 */
export function registerReadEntry(client: AuthenticatedClient, requestId: string, at: Date, citizenRef: string, kind: string): StoredEntry {
  return {
    at: at.toISOString(),
    requestId,
    action: `register.${kind}.read`,
    clientId: client.id,
    orgId: client.orgId,
    role: client.role,
    purpose: OVERSIGHT_PURPOSE,
    citizenRef,
    agreements: [],
    consentIds: [],
    categoriesDisclosed: [],
    categoriesDenied: [],
    fieldsDisclosed: [],
    decision: 'permit',
    reasons: {},
    policyVersion: POLICY_VERSION,
    breakGlassReason: null,
    reviewRequired: false,
  };
}
