/**
 * The data protection register: sharing agreements, and per citizen the
 * consents, objections and restrictions of processing. The policy engine
 * (src/policy) decides every disclosure from these records alone.
 *
 * Agreements are versioned: an update never edits a version in place, it
 * writes version n+1, so that an audit entry naming (id, version) always
 * points at the text that was in force.
 */
import { Type, type Static } from 'typebox';
import { Nullable, NullableText } from './common.js';
import { DATA_CATEGORIES, Purpose } from './categories.js';
import { ROLES } from './roles.js';

// Calendar-checked (ajv's full formats: no 30 February) and never year 0000,
// which the formats allow and PostgreSQL refuses: bad dates are a 400, not a 500.
const Timestamp = Type.String({ format: 'date-time', pattern: '^(?!0000)' });
const CalendarDate = Type.String({ format: 'date', pattern: '^(?!0000)\\d{4}-\\d{2}-\\d{2}$', description: 'ISO 8601 date' });
/** Largest organisation id and agreement version the API takes: beyond, JSON numbers lose digits and the columns overflow (a 500). */
export const ORG_ID_MAX = Number.MAX_SAFE_INTEGER;
export const VERSION_MAX = 2_147_483_647;
/** Kinds of organisation (the organisation table's check constraint). */
export const ORG_KINDS = ['council-service', 'police', 'nhs', 'school', 'other'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];
/** A service of the council, the controller of the hub's data; every other kind is a partner. */
export const COUNCIL_ORG_KIND: OrgKind = 'council-service';
export const OrgId = Type.Integer({ minimum: 1, maximum: ORG_ID_MAX, description: 'organisation id' });
export const AgreementVersion = Type.Integer({ minimum: 1, maximum: VERSION_MAX });
// Enums rather than the shared unions of literals: those map over the
// constant arrays and so give TypeScript no static type to check against.
const Category = Type.Enum(DATA_CATEGORIES);
const RoleName = Type.Enum(ROLES);

/** UK GDPR Art. 6(1)(a)–(f). */
export const LAWFUL_BASES = ['consent', 'contract', 'legal-obligation', 'vital-interests', 'public-task', 'legitimate-interests'] as const;
export const LawfulBasis = Type.Enum(LAWFUL_BASES);
export type LawfulBasis = Static<typeof LawfulBasis>;

/**
 * UK GDPR Art. 9(2)(a)–(j): a: explicit consent, b: employment and social
 * security law, c: vital interests, d: not-for-profit bodies, e: made public
 * by the data subject, f: legal claims, g: substantial public interest,
 * h: health or social care, i: public health, j: archiving, research, statistics.
 */
export const ART9_CONDITIONS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] as const;
export const Art9Condition = Type.Object({
  condition: Type.Enum(ART9_CONDITIONS),
  text: Type.String({ minLength: 1, maxLength: 500, description: 'e.g. "9(2)(h) provision of social care, DPA 2018 Sch. 1 para 2"' }),
}, { additionalProperties: false });
export type Art9Condition = Static<typeof Art9Condition>;

export const AGREEMENT_STATUSES = ['draft', 'active', 'suspended', 'ended'] as const;
export const AgreementStatus = Type.Enum(AGREEMENT_STATUSES);
export type AgreementStatus = Static<typeof AgreementStatus>;

const AGREEMENT_ID = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';
export const AgreementId = Type.String({ pattern: `^${AGREEMENT_ID}$`, description: 'register reference, e.g. ISA-2026-004' });
/** Where a page of agreements goes on from: the last id of the page before, or '' from the start. */
export const AgreementAfter = Type.String({ pattern: `^(${AGREEMENT_ID})?$`, default: '', description: 'page on: the last id seen' });

/** Most purposes one agreement lists: the vocabulary is a few dozen at most, and each is matched on every read. */
export const AGREEMENT_PURPOSES_MAX = 50;
/** Most recipients one agreement names: a council's partners for one sharing, with room to spare. */
export const AGREEMENT_RECIPIENTS_MAX = 500;

// Every object closed (additionalProperties: false), every list a set: a
// misspelt field (`category` for `categories`) or a repeated item is a 400
// naming it, not a silent no-op or a duplicate the register would keep.
const agreementFields = {
  title: Type.String({ minLength: 1, maxLength: 300 }),
  parties: Type.Object({
    provider: Type.Object({ orgId: OrgId }, { description: 'a council organisation (kind council-service)', additionalProperties: false }),
    recipients: Type.Array(OrgId, {
      minItems: 1,
      maxItems: AGREEMENT_RECIPIENTS_MAX,
      uniqueItems: true,
      description: "organisations that may receive the data; the council's own organisation for internal use",
    }),
  }, { additionalProperties: false }),
  /** When set, only these roles of the recipients may use the agreement, overriding the default role–purpose table. */
  roles: Nullable(Type.Array(RoleName, {
    minItems: 1, maxItems: ROLES.length, uniqueItems: true, description: 'adviser, caseworker, partner: the roles that read citizen data',
  })),
  purposes: Type.Array(Purpose, { minItems: 1, maxItems: AGREEMENT_PURPOSES_MAX, uniqueItems: true }),
  categories: Type.Array(Category, { minItems: 1, maxItems: DATA_CATEGORIES.length, uniqueItems: true }),
  lawfulBasis: LawfulBasis,
  art9Condition: Nullable(Art9Condition),
  legalGateway: Type.String({ minLength: 1, maxLength: 500, description: 'statute or power the sharing relies on' }),
  dpiaReference: NullableText({ maxLength: 200 }),
  startDate: CalendarDate,
  endDate: Nullable(CalendarDate),
  reviewDate: Nullable(CalendarDate),
  status: AgreementStatus,
};

export const SharingAgreement = Type.Object(
  { id: AgreementId, version: AgreementVersion, ...agreementFields },
  { $id: 'SharingAgreement' },
);
export type SharingAgreement = Static<typeof SharingAgreement>;

/** An agreement as the register answers it: with what, as registered, it cannot do or should prompt. */
export const RegisteredAgreement = Type.Object(
  {
    ...SharingAgreement.properties,
    warnings: Type.Array(Type.String(), {
      description: 'what the DPO should know of this version as registered: special categories it cannot share for want of an Art. 9 condition, an end or review date passed',
    }),
  },
  { $id: 'RegisteredAgreement' },
);
export type RegisteredAgreement = Static<typeof RegisteredAgreement>;

/** A new agreement (version 1); the register reference is given by the DPO. */
export const SharingAgreementCreate = Type.Object({ id: AgreementId, ...agreementFields }, { $id: 'SharingAgreementCreate', additionalProperties: false });
export type SharingAgreementCreate = Static<typeof SharingAgreementCreate>;

/** A new version: the changed fields, and the version being replaced so that concurrent edits fail rather than overwrite. */
export const SharingAgreementUpdate = Type.Object(
  { version: Type.Integer({ minimum: 1, maximum: VERSION_MAX, description: 'the current version, which this update replaces' }), ...Type.Partial(Type.Object(agreementFields)).properties },
  { $id: 'SharingAgreementUpdate', additionalProperties: false },
);
export type SharingAgreementUpdate = Static<typeof SharingAgreementUpdate>;

export const CONSENT_CHANNELS = ['online', 'telephone', 'in-person', 'paper', 'email', 'other'] as const;
export const ConsentChannel = Type.Enum(CONSENT_CHANNELS);

const consentFields = {
  citizenRef: Type.String({ minLength: 1 }),
  purpose: Purpose,
  recipientOrgId: Nullable(OrgId),
  from: Timestamp,
  to: Nullable(Timestamp),
  channel: ConsentChannel,
  evidence: Type.String({ minLength: 1, maxLength: 500, description: 'where the record of consent is kept, e.g. a document reference' }),
};

/** A citizen's consent to a purpose, for one recipient organisation or (recipientOrgId null) all. */
export const Consent = Type.Object(
  { id: Type.String({ minLength: 1 }), ...consentFields, withdrawnAt: Nullable(Timestamp) },
  { $id: 'Consent' },
);
export type Consent = Static<typeof Consent>;

export const ConsentCreate = Type.Object(consentFields, { $id: 'ConsentCreate', additionalProperties: false });
export type ConsentCreate = Static<typeof ConsentCreate>;

/** Who gave consent and for what never changes; the period, evidence and withdrawal may. */
export const ConsentUpdate = Type.Object(
  {
    to: Type.Optional(Nullable(Timestamp)),
    channel: Type.Optional(ConsentChannel),
    evidence: Type.Optional(consentFields.evidence),
    withdrawnAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'not before from (400); once withdrawn, only an earlier or the same time: clearing it or a later time is 409' })),
  },
  { $id: 'ConsentUpdate', additionalProperties: false },
);
export type ConsentUpdate = Static<typeof ConsentUpdate>;

const objectionFields = {
  citizenRef: Type.String({ minLength: 1 }),
  purpose: Nullable(Purpose),
  recipientOrgId: Nullable(OrgId),
  from: Timestamp,
};

/** An objection (UK GDPR Art. 21) to a purpose (null: all purposes), against one recipient or (null) all. */
export const Objection = Type.Object(
  { id: Type.String({ minLength: 1 }), ...objectionFields, withdrawnAt: Nullable(Timestamp) },
  { $id: 'Objection' },
);
export type Objection = Static<typeof Objection>;

export const ObjectionCreate = Type.Object(objectionFields, { $id: 'ObjectionCreate', additionalProperties: false });
export type ObjectionCreate = Static<typeof ObjectionCreate>;

export const ObjectionUpdate = Type.Object({ withdrawnAt: Nullable(Timestamp) }, { $id: 'ObjectionUpdate', additionalProperties: false });
export type ObjectionUpdate = Static<typeof ObjectionUpdate>;

const restrictionFields = {
  citizenRef: Type.String({ minLength: 1 }),
  from: Timestamp,
  to: Nullable(Timestamp),
  reason: Type.String({ minLength: 1, maxLength: 500, description: 'e.g. accuracy contested (Art. 18(1)(a))' }),
};

/** A restriction of processing (UK GDPR Art. 18): while in force the hub stores the data and discloses none of it. */
export const Restriction = Type.Object(
  { id: Type.String({ minLength: 1 }), ...restrictionFields, liftedAt: Nullable(Timestamp) },
  { $id: 'Restriction' },
);
export type Restriction = Static<typeof Restriction>;

export const RestrictionCreate = Type.Object(restrictionFields, { $id: 'RestrictionCreate', additionalProperties: false });
export type RestrictionCreate = Static<typeof RestrictionCreate>;

export const RestrictionUpdate = Type.Object(
  {
    to: Type.Optional(Nullable(Timestamp)),
    reason: Type.Optional(restrictionFields.reason),
    liftedAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'not before from (400); once lifted, only an earlier or the same time: clearing it or a later time is 409' })),
  },
  { $id: 'RestrictionUpdate', additionalProperties: false },
);
export type RestrictionUpdate = Static<typeof RestrictionUpdate>;
