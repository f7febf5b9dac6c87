/**
 * The canonical source record: what every adapter maps a legacy system's
 * record to, whatever its format. One source record is one system's view of
 * one person at one time; the hub links many of them into a citizen account.
 *
 * Raw values are kept beside normalised ones so that a steward (and a subject
 * access request) can see what the source actually said.
 */
import { Type, type Static } from 'typebox';
import { Nullable, IsoDate } from './common.js';


/** Systems a council feeds into the hub; extendable by configuration. */
export const SOURCE_SYSTEMS = ['revenues', 'housing', 'social-care', 'smartcard'] as const;
/** A source system's name, wherever one comes in (the API's paths, a mapping's `system`, `hub ingest`). */
export const SOURCE_SYSTEM_PATTERN = '^[a-z][a-z0-9-]{1,39}$';
export const SourceSystem = Type.String({ pattern: SOURCE_SYSTEM_PATTERN, description: 'source system name, e.g. revenues' });

export const PersonName = Type.Object({
  title: Nullable(Type.String()),
  forenames: Type.Array(Type.String(), { description: 'given names in order, the first being the forename used' }),
  surname: Type.String({ minLength: 1 }),
  suffix: Nullable(Type.String({ description: 'JNR, SNR, II...' })),
  /** The name exactly as the source held it, e.g. "MR JOHN A SMITH". */
  raw: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('current'), Type.Literal('previous'), Type.Literal('alias')]),
});
export type PersonName = Static<typeof PersonName>;

export const IDENTIFIER_SCHEMES = ['nhs-number', 'nino', 'uprn', 'council-tax-account', 'housing-tenancy', 'social-care-id', 'smartcard-number', 'other'] as const;
export const Identifier = Type.Object({
  scheme: Type.Enum(IDENTIFIER_SCHEMES),
  value: Type.String({ description: 'normalised value (e.g. NHS number without spaces)' }),
  raw: Type.String(),
  valid: Type.Boolean({ description: 'passed the scheme rule; an invalid identifier is never used as match evidence' }),
});
export type Identifier = Static<typeof Identifier>;

export const Contact = Type.Object({
  kind: Type.Union([Type.Literal('phone'), Type.Literal('email')]),
  value: Type.String({ description: 'E.164 phone or lower-cased email' }),
  raw: Type.String(),
  valid: Type.Boolean(),
  use: Nullable(Type.String({ description: 'home, mobile, work' })),
});
export type Contact = Static<typeof Contact>;

/** Address as the source gave it, plus the structure the adapter could find. */
export const SourceAddress = Type.Object({
  lines: Type.Array(Type.String(), { description: 'address lines as held by the source, without the postcode' }),
  postcode: Nullable(Type.String()),
  uprn: Nullable(Type.Integer({ minimum: 1, maximum: 999999999999, description: 'UPRN given by the source, if any (validated against the gazetteer)' })),
  crossReference: Nullable(Type.String({ description: 'gazetteer cross reference, e.g. a VOA council-tax reference' })),
  kind: Type.Union([Type.Literal('residential'), Type.Literal('correspondence'), Type.Literal('previous')]),
  from: Nullable(IsoDate),
  to: Nullable(IsoDate),
});
export type SourceAddress = Static<typeof SourceAddress>;

export const ENTITLEMENT_KINDS = [
  'disability',
  'blue-badge',
  'older-person-concession',
  'disabled-person-concession',
  'council-tax-reduction',
  'single-person-discount',
  'disability-reduction',
  'housing-benefit',
  'free-school-meals',
  'carer',
  'other',
] as const;
export const Entitlement = Type.Object({
  kind: Type.Enum(ENTITLEMENT_KINDS),
  code: Nullable(Type.String({ description: "the source's own code, e.g. DIS" })),
  from: Nullable(IsoDate),
  to: Nullable(IsoDate),
  /** Who verified the entitlement and how: the reason nobody proves it twice. */
  evidence: Type.Object({
    verified: Type.Boolean(),
    verifiedOn: Nullable(IsoDate),
    method: Nullable(Type.String({ description: 'e.g. DWP award letter seen, GP letter, assessment' })),
  }),
});
export type Entitlement = Static<typeof Entitlement>;

export const ServiceInvolvement = Type.Object({
  service: Type.String({ description: 'e.g. council tax, tenancy, adult social care, concessionary travel' }),
  reference: Type.String({ description: "the source's case, account or tenancy reference" }),
  role: Nullable(Type.String({ description: 'liable party, tenant, client, cardholder...' })),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  from: Nullable(IsoDate),
  to: Nullable(IsoDate),
});
export type ServiceInvolvement = Static<typeof ServiceInvolvement>;

export const RecordWarning = Type.Object({
  field: Type.String(),
  rule: Type.String(),
  message: Type.String({ description: 'never contains the personal value itself' }),
});
export type RecordWarning = Static<typeof RecordWarning>;

export const SourceRecord = Type.Object(
  {
    system: SourceSystem,
    sourceRef: Type.String({ minLength: 1, maxLength: 200, description: "the record's key in the source system" }),
    names: Type.Array(PersonName, { minItems: 1 }),
    dateOfBirth: Nullable(IsoDate),
    dateOfBirthRaw: Nullable(Type.String()),
    sex: Nullable(Type.Union([Type.Literal('M'), Type.Literal('F'), Type.Literal('X')])),
    identifiers: Type.Array(Identifier),
    contacts: Type.Array(Contact),
    addresses: Type.Array(SourceAddress),
    entitlements: Type.Array(Entitlement),
    involvements: Type.Array(ServiceInvolvement),
    /** The source says the record is closed: ends its involvement, keeps history. */
    closed: Type.Boolean(),
    /** When the source last changed the record, for ordering out-of-order updates. */
    sourceUpdatedAt: Nullable(Type.String({ format: 'date-time' })),
    warnings: Type.Array(RecordWarning),
  },
  { $id: 'SourceRecord' },
);
export type SourceRecord = Static<typeof SourceRecord>;
