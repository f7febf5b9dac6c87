/** The audit entry for one decision and the view actually sent, so that routes record disclosures one way. */
import { DATA_CATEGORIES, type DataCategory } from '../../schemas/categories.js';
import type { CitizenView } from '../../schemas/citizen-view.js';
import type { AuditEntry } from '../audit/chain.js';
import { EMERGENCY_PURPOSE, type BreakGlass, type Caller, type Decision } from './decide.js';
import { disclosedCategories, disclosedFields } from './filter.js';

export interface AuditRecordInput {
  at: Date;
  requestId: string;
  action: string;
  caller: Caller;
  purpose: string;
  citizenRef: string | null;
  decision: Decision;
  /** The filtered view that was sent; null when nothing was. */
  view: CitizenView | null;
  breakGlass: BreakGlass | null;
  /** A search's: the categories its criteria tested, which a match discloses whatever the view holds. */
  tested?: readonly DataCategory[];
}

/** What an entry takes from its decision alone: the same for every entry of one decision (decisions are shared by reads). */
interface DecisionPart {
  agreements: AuditEntry['agreements'];
  consentIds: string[];
  categoriesDenied: DataCategory[];
  reasons: Partial<Record<DataCategory, string>>;
  decision: AuditEntry['decision'];
}

const decisionParts = new WeakMap<Decision, DecisionPart>();

function decisionPart(decision: Decision): DecisionPart {
  const known = decisionParts.get(decision);
  if (known) return known;
  const permitted = decision.permitted.map((c) => decision.categories[c]);
  const agreements = new Map<string, { id: string; version: number }>();
  for (const c of permitted) {
    if (c.agreementId !== undefined && c.agreementVersion !== undefined) {
      agreements.set(`${c.agreementId} v${c.agreementVersion}`, { id: c.agreementId, version: c.agreementVersion });
    }
  }
  const denied = DATA_CATEGORIES.filter((c) => !decision.categories[c].permit);
  const reasons: Partial<Record<DataCategory, string>> = {};
  for (const c of denied) reasons[c] = decision.categories[c].reason;
  // Frozen: entries of one decision share these, and none may change another's.
  const part: DecisionPart = Object.freeze({
    agreements: Object.freeze([...agreements.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, ref]) => Object.freeze(ref))) as DecisionPart['agreements'],
    consentIds: Object.freeze([...new Set(permitted.flatMap((c) => (c.consentId === undefined ? [] : [c.consentId])))].sort()) as string[],
    categoriesDenied: Object.freeze(denied) as DataCategory[],
    reasons: Object.freeze(reasons),
    decision: !decision.anyPermitted ? 'deny' : denied.length === 0 ? 'permit' : 'partial',
  });
  decisionParts.set(decision, part);
  return part;
}

/** The references of the household members a view names, sorted; undefined when it names none (the entry then has no such key). */
function householdRefs(view: CitizenView | null): string[] | undefined {
  const members = view?.household;
  if (members === undefined || members.length === 0) return undefined;
  return [...new Set(members.map((m) => m.citizenRef))].sort();
}

/** The entry's keys are written in code-unit order, the order its canonical JSON takes, so that hashing need not sort them. */
export function auditRecord(input: AuditRecordInput): AuditEntry {
  const { decision, view } = input;
  const part = decisionPart(decision);
  const members = householdRefs(view);
  return {
    action: input.action,
    agreements: part.agreements,
    at: input.at.toISOString(),
    breakGlassReason: input.purpose === EMERGENCY_PURPOSE ? (input.breakGlass?.reason ?? null) : null,
    categoriesDenied: part.categoriesDenied,
    categoriesDisclosed: view === null ? [] : disclosedCategories(view, input.tested),
    citizenRef: input.citizenRef,
    clientId: input.caller.clientId,
    consentIds: part.consentIds,
    decision: part.decision,
    fieldsDisclosed: view === null ? [] : disclosedFields(view),
    ...(members === undefined ? {} : { householdRefs: members }),
    orgId: input.caller.orgId,
    policyVersion: decision.policyVersion,
    purpose: input.purpose,
    reasons: part.reasons,
    requestId: input.requestId,
    reviewRequired: decision.reviewRequired,
    role: input.caller.role,
  };
}
