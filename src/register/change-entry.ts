/**
 * Audit entries of the register's own work and of oversight: a register
 * change (who changed which record, and the record before and after), a
 * read of a citizen's register records, a refused oversight request.
 */
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

/** Who did it: the API client, or for a `hub` command, which has none, the stand-in it records (src/audit/listing.ts). */
export type Actor = Pick<AuthenticatedClient, 'id' | 'orgId' | 'role'>;

/** An entry of the register's own work: permitted, disclosing no category of a view; the caller adds what it concerns. */
function registerEntry(client: Actor, requestId: string, at: Date, action: string, purpose: string, citizenRef: string | null): StoredEntry {
  return {
    at: at.toISOString(),
    requestId,
    action,
    clientId: client.id,
    orgId: client.orgId,
    role: client.role,
    purpose,
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

/**
 * The hub itself, for a change it makes on its own (a subscription paused when its receiver answers 410): client 0
 * and organisation 0, which no client or organisation has, as for a `hub` command (src/audit/listing.ts); the
 * entry's detail says why.
 */
export const HUB_ACTOR: Actor = { id: 0, orgId: 0, role: 'admin' };

export function registerChangeEntry(client: Actor, requestId: string, at: Date, change: RegisterChange): StoredEntry {
  return {
    ...registerEntry(client, requestId, at, change.action, REGISTER_PURPOSE, change.citizenRef ?? null),
    agreements: change.agreement ? [change.agreement] : [],
    consentIds: change.consentId ? [change.consentId] : [],
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
  return registerEntry(client, requestId, at, `register.${kind}.read`, OVERSIGHT_PURPOSE, citizenRef);
}

/** The audit entry of an act of oversight about one citizen (or none), e.g. a DPO's review of break-glass use, with what it decided. */
export function oversightEntry(client: Actor, requestId: string, at: Date, action: string, citizenRef: string | null, detail: Record<string, unknown>): StoredEntry {
  // JSON round trip: the stored jsonb must read back to exactly what was hashed.
  return { ...registerEntry(client, requestId, at, action, OVERSIGHT_PURPOSE, citizenRef), detail: JSON.parse(JSON.stringify(detail)) as Record<string, unknown> };
}

/**
 * The audit entry of a request about one citizen refused for the caller's
 * role (subject access, an access explanation, a citizen's register
 * records or a change to them): a denial of access to that person, so the
 * DPO sees attempts.
 */
export function refusedEntry(client: AuthenticatedClient, requestId: string, at: Date, citizenRef: string, action: string): StoredEntry {
  return { ...registerEntry(client, requestId, at, action, OVERSIGHT_PURPOSE, citizenRef), decision: 'deny' };
}
