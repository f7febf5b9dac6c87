/** Synthetic register records for the policy tests. Organisation 1 is the council, 20 a police force, 30 an NHS trust. */
import type { Consent, Objection, Restriction, SharingAgreement } from '../../../schemas/register.js';
import type { DecisionInput } from '../../../src/policy/decide.js';
import { policyOptions } from '../../../src/policy/options.js';

export const COUNCIL = 1;
export const POLICE = 20;
export const NHS = 30;
export const CITIZEN = 'CH-0000-0001';
export const NOW = new Date('2026-06-15T10:00:00Z');

export function agreement(overrides: Partial<SharingAgreement> = {}): SharingAgreement {
  return {
    id: 'ISA-INTERNAL-1',
    version: 1,
    title: 'Contact centre use of the citizen hub',
    parties: { provider: { orgId: COUNCIL }, recipients: [COUNCIL] },
    roles: null,
    purposes: ['contact-centre-enquiry'],
    categories: ['identity', 'contact', 'address'],
    lawfulBasis: 'public-task',
    art9Condition: null,
    legalGateway: 'Local Government Act 1972 s.111',
    dpiaReference: 'DPIA-2026-01',
    startDate: '2026-01-01',
    endDate: '2026-12-31',
    reviewDate: '2026-10-01',
    status: 'active',
    ...overrides,
  };
}

/** An agreement allowing break-glass: purpose emergency, vital interests, 9(2)(c) for health data. */
export function emergencyAgreement(overrides: Partial<SharingAgreement> = {}): SharingAgreement {
  return agreement({
    id: 'ISA-BG-1', purposes: ['emergency'], categories: ['identity', 'contact', 'address', 'health-disability', 'safeguarding'], lawfulBasis: 'vital-interests',
    art9Condition: { condition: 'c', text: '9(2)(c) vital interests of a person who cannot consent' }, ...overrides,
  });
}

export function consent(overrides: Partial<Consent> = {}): Consent {
  return {
    id: 'CON-1',
    citizenRef: CITIZEN,
    purpose: 'direct-service-delivery',
    recipientOrgId: NHS,
    from: '2026-01-10T09:00:00Z',
    to: null,
    channel: 'in-person',
    evidence: 'signed form DOC-77',
    withdrawnAt: null,
    ...overrides,
  };
}

export function objection(overrides: Partial<Objection> = {}): Objection {
  return { id: 'OBJ-1', citizenRef: CITIZEN, purpose: 'contact-centre-enquiry', recipientOrgId: null, from: '2026-02-01T00:00:00Z', withdrawnAt: null, ...overrides };
}

export function restriction(overrides: Partial<Restriction> = {}): Restriction {
  return { id: 'RES-1', citizenRef: CITIZEN, from: '2026-03-01T00:00:00Z', to: null, reason: 'accuracy contested', liftedAt: null, ...overrides };
}

export function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    caller: { clientId: 7, orgId: COUNCIL, role: 'adviser' },
    purpose: 'contact-centre-enquiry',
    citizen: { ref: CITIZEN, consents: [], objections: [], restrictions: [] },
    agreements: [agreement()],
    breakGlass: null,
    options: policyOptions(),
    now: NOW,
    ...overrides,
  };
}
