/**
 * The single citizen view: the golden record built from linked source
 * records, every value with its provenance. Each top-level section belongs to
 * one data category (see CATEGORY_OF_SECTION) so that the policy engine can
 * remove whole sections the caller may not see.
 */
import { Type, type Static } from 'typebox';
import { IsoDate, Nullable } from './common.js';
import type { DataCategory } from './categories.js';
import { Contact, Entitlement, PersonName, ServiceInvolvement } from './source-record.js';


export const Provenance = Type.Object({
  system: Nullable(Type.String({ description: 'the source system; null, with sourceRef, unless the caller may see every category that naming a system can disclose (being known to social care is social-care data)' })),
  sourceRef: Nullable(Type.String({ description: "the record's reference in that system; null with system" })),
  asOf: Type.String({ format: 'date-time', description: 'when the hub received the value' }),
  verified: Type.Boolean(),
});
export type Provenance = Static<typeof Provenance>;

const Sourced = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Object({ value: t, source: Provenance });

export const CitizenAddress = Type.Object({
  uprn: Nullable(Type.Integer({ description: 'the property: as matched, or as the source gave it when not matched yet; null while the match is in review or unmatched, which places nobody (no household, no occupant)' })),
  line: Type.String({ description: 'single postal line' }),
  postcode: Nullable(Type.String()),
  matchStatus: Type.Union([Type.Literal('matched'), Type.Literal('review'), Type.Literal('unmatched')]),
  current: Type.Boolean(),
  source: Provenance,
});

export const HouseholdMember = Type.Object({
  citizenRef: Type.String(),
  name: Type.String(),
});

export const LinkedRecord = Type.Object({
  system: Type.String(),
  sourceRef: Type.String(),
  linkedAt: Type.String({ format: 'date-time' }),
  linkedBy: Type.Union([Type.Literal('model'), Type.Literal('steward'), Type.Literal('identifier')]),
  closed: Type.Boolean(),
});

export const CitizenView = Type.Object(
  {
    ref: Type.String({ description: 'citizen account reference, stable for life' }),
    identity: Type.Optional(
      Type.Object({
        name: Sourced(PersonName),
        otherNames: Type.Array(Sourced(PersonName)),
        dateOfBirth: Nullable(Sourced(IsoDate)),
        sex: Nullable(Sourced(Type.String())),
        nhsNumber: Nullable(Sourced(Type.String())),
        nino: Nullable(Sourced(Type.String())),
      }),
    ),
    contact: Type.Optional(Type.Array(Type.Object({ contact: Contact, source: Provenance }))),
    addresses: Type.Optional(Type.Array(CitizenAddress)),
    household: Type.Optional(Type.Array(HouseholdMember, {
      description: "other people living at the current address; shown only when the caller may see the citizen's address, and naming only those whose identity and address the caller may see, each decided on their own register records",
    })),
    entitlements: Type.Optional(
      Type.Array(
        Type.Object({
          entitlement: Entitlement,
          category: Type.String({
            description: 'the data category the entitlement belongs to; one revealing a health condition is health-disability, and one of those granted '
              + 'by a revenues or concessions scheme (disability-reduction, disabled-person-concession) is shown only when that category is permitted too',
          }),
          status: Type.Union([Type.Literal('current'), Type.Literal('ended'), Type.Literal('future')], {
            description: "in force on the day of the read (London): ended once its last day ('to') has passed or its record is closed or withdrawn, future before its first day ('from')",
          }),
          holder: Type.Union([Type.Literal('person'), Type.Literal('account')], {
            description: 'person: evidence about this person; account: granted to an account the person is a party of (a council-tax disability reduction '
              + 'goes to the property, for whoever lives there), so not evidence about the person',
          }),
          source: Provenance,
        }),
      ),
    ),
    involvements: Type.Optional(Type.Array(Type.Object({
      involvement: ServiceInvolvement, category: Type.String(), source: Provenance,
    }, { description: "the involvement as it stands on the day of the read: closed once its record is closed or withdrawn or its 'to' has passed" }))),
    sourceRecords: Type.Optional(Type.Array(LinkedRecord, {
      description: "the linked records of systems whose category the caller may see; absent unless values name their source systems (the caller may see every category a system's name can disclose)",
    })),
    /** Categories removed by policy, so a caller knows the view is partial. */
    withheld: Type.Array(Type.String()),
  },
  { $id: 'CitizenView' },
);
export type CitizenView = Static<typeof CitizenView>;

/** Which category each section of the view belongs to. Entitlements and involvements are filtered item by item. */
export const CATEGORY_OF_SECTION = {
  identity: 'identity',
  contact: 'contact',
  addresses: 'address',
  household: 'household',
  sourceRecords: 'service-involvement',
} as const satisfies Record<string, DataCategory>;
