/**
 * The mapping file format (version 1), as TypeBox schemas: what a source's
 * fields mean in the canonical SourceRecord. docs/mapping-files.md explains
 * it with examples. A Path is a dotted path into the read record
 * (`ADDR_1`, `Property.@uprn`, `name.given`); `$party.x` reads the current
 * party and `$item.x` the current element of an `each` list. A literal is
 * written `{ const: "..." }`.
 */
import { Type, type Static } from 'typebox';
import { SYSTEM_CATEGORY_CHOICES } from '../../schemas/categories.js';
import { ENTITLEMENT_KINDS, IDENTIFIER_SCHEMES, SourceSystem } from '../../schemas/source-record.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const Path = Type.String({ pattern: '^(\\$party\\.|\\$item\\.)?[^.$\\s][^.\\s]*(\\.[^.\\s]+)*$', description: 'dotted path into the read record' });
export const Const = Type.Object({ const: Type.String() }, { additionalProperties: false });
/** A source path, or a literal. */
export const ValueSpec = Type.Union([Path, Const]);
export type ValueSpec = Static<typeof ValueSpec>;

export const DateSpec = Type.Object(
  {
    field: Path,
    formats: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'tried in order: ISO, DD/MM/YYYY, YYYYMMDD, D/M/YYYY, DD/MM/YYYY HH:mm:ss...' }),
  },
  { additionalProperties: false },
);
export type DateSpec = Static<typeof DateSpec>;

export const Parties = Type.Object(
  {
    /** Column-style: one alias → column map per party (LIABLE_PARTY_1, LIABLE_PARTY_2...). */
    columns: Type.Optional(Type.Array(Type.Record(Type.String({ pattern: '^[A-Za-z_]\\w*$' }), Path), { minItems: 1 })),
    /** Element-style: one party per element of a repeated element (Tenant). */
    each: Type.Optional(Path),
  },
  { additionalProperties: false },
);
export type Parties = Static<typeof Parties>;

export const NameSpec = Type.Object(
  {
    /** One string holding the whole name, split by names.ts. */
    full: Type.Optional(ValueSpec),
    order: Type.Optional(literals(['auto', 'forename-first', 'surname-first'] as const)),
    title: Type.Optional(ValueSpec),
    /** A string (split on spaces) or a list of forenames. */
    forenames: Type.Optional(ValueSpec),
    surname: Type.Optional(ValueSpec),
    suffix: Type.Optional(ValueSpec),
  },
  { additionalProperties: false },
);
export type NameSpec = Static<typeof NameSpec>;

export const OtherNameSpec = Type.Object(
  {
    full: Type.Optional(ValueSpec),
    order: Type.Optional(literals(['auto', 'forename-first', 'surname-first'] as const)),
    title: Type.Optional(ValueSpec),
    forenames: Type.Optional(ValueSpec),
    surname: Type.Optional(ValueSpec),
    suffix: Type.Optional(ValueSpec),
    kind: literals(['previous', 'alias'] as const),
  },
  { additionalProperties: false },
);
export type OtherNameSpec = Static<typeof OtherNameSpec>;

export const IdentifierSpec = Type.Object({ scheme: literals(IDENTIFIER_SCHEMES.filter((s) => s !== 'uprn')), field: Path }, { additionalProperties: false });
export type IdentifierSpec = Static<typeof IdentifierSpec>;

export const ContactSpec = Type.Object(
  { kind: literals(['phone', 'email'] as const), field: Path, use: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false },
);
export type ContactSpec = Static<typeof ContactSpec>;

export const AddressSpec = Type.Object(
  {
    /** Paths whose values become address lines in order; empty values are dropped. */
    lines: Type.Array(Path, { minItems: 1 }),
    /** Join all lines into one with this separator; by default the lines are kept. */
    join: Type.Optional(Type.String()),
    postcode: Type.Optional(Path),
    uprn: Type.Optional(Path),
    crossReference: Type.Optional(Path),
    kind: literals(['residential', 'correspondence', 'previous'] as const),
    from: Type.Optional(DateSpec),
    to: Type.Optional(DateSpec),
  },
  { additionalProperties: false },
);
export type AddressSpec = Static<typeof AddressSpec>;

export const CodeEntry = Type.Object(
  { kind: literals(ENTITLEMENT_KINDS), method: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false },
);

export const EntitlementSpec = Type.Object(
  {
    /** The field holding the source's code(s); true/false values read as the codes TRUE/FALSE. */
    field: Path,
    /** Several codes in one field, e.g. "SPD;DIS". */
    separator: Type.Optional(Type.String({ minLength: 1 })),
    /** Code (matched case-insensitively) → entitlement kind. */
    codes: Type.Record(Type.String({ minLength: 1 }), CodeEntry),
    /** Codes that mean "no entitlement" (NONE, FALSE); any other code not listed is a warning. */
    ignore: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    from: Type.Optional(DateSpec),
    to: Type.Optional(DateSpec),
    verifiedOn: Type.Optional(DateSpec),
    method: Type.Optional(ValueSpec),
    /** if-evidence (default): verified when a verification date or method is present. */
    verified: Type.Optional(literals(['always', 'never', 'if-evidence'] as const)),
  },
  { additionalProperties: false },
);
export type EntitlementSpec = Static<typeof EntitlementSpec>;

export const InvolvementSpec = Type.Object(
  {
    /** One involvement per element of this list; `$item.x` reads the element. */
    each: Type.Optional(Path),
    service: ValueSpec,
    reference: ValueSpec,
    role: Type.Optional(ValueSpec),
    from: Type.Optional(DateSpec),
    to: Type.Optional(DateSpec),
    /** An involvement with an end date is closed (a social-care service that ended). */
    closedIfEnded: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type InvolvementSpec = Static<typeof InvolvementSpec>;

export const ClosedSpec = Type.Object(
  { field: Path, values: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'status values meaning closed, case-insensitive' }) },
  { additionalProperties: false },
);
export type ClosedSpec = Static<typeof ClosedSpec>;

export const SexSpec = Type.Object(
  { field: Path, codes: Type.Record(Type.String({ minLength: 1 }), literals(['M', 'F', 'X'] as const)) },
  { additionalProperties: false },
);
export type SexSpec = Static<typeof SexSpec>;

/** Everything but the reader, whose options are validated against the schema its kind names. */
export const MappingBody = Type.Object(
  {
    version: Type.Literal(1),
    system: SourceSystem,
    /** What being known to this system tells (src/policy): a council's own system's; a shipped system's may only repeat its own. Default service-involvement. */
    category: Type.Optional(literals(SYSTEM_CATEGORY_CHOICES)),
    reader: Type.Object({ kind: literals(['csv', 'fixed-width', 'xml', 'json', 'jsonl'] as const) }),
    sourceRef: Path,
    parties: Type.Optional(Parties),
    name: NameSpec,
    otherNames: Type.Optional(Type.Array(OtherNameSpec)),
    dateOfBirth: Type.Optional(DateSpec),
    sex: Type.Optional(SexSpec),
    identifiers: Type.Optional(Type.Array(IdentifierSpec)),
    contacts: Type.Optional(Type.Array(ContactSpec)),
    addresses: Type.Optional(Type.Array(AddressSpec)),
    entitlements: Type.Optional(Type.Array(EntitlementSpec)),
    involvements: Type.Optional(Type.Array(InvolvementSpec)),
    closed: Type.Optional(ClosedSpec),
    sourceUpdatedAt: Type.Optional(DateSpec),
  },
  { additionalProperties: false },
);
