/**
 * BS 7666 gazetteer records as the hub holds them, whichever exchange format
 * (AddressBase Premium CSV or DTF 7.3) they arrived in. These types are the
 * contract between the file readers (adapters/gazetteer), the synthetic
 * council generator (fixtures/), the loader (src/gazetteer) and the matcher's
 * address index (matching/address).
 *
 * Dates are ISO `YYYY-MM-DD` strings; UPRNs and USRNs are plain numbers (12
 * digits fit exactly in a double).
 */
import { Type, type Static } from 'typebox';
import { Nullable, IsoDate } from './common.js';


/** I insert, U update, D delete (change-only files); FULL supplies use I. */
export const ChangeType = Type.Union([Type.Literal('I'), Type.Literal('U'), Type.Literal('D')]);
export type ChangeType = Static<typeof ChangeType>;

/** 1 approved, 3 alternative, 6 provisional, 8 historical. */
export const LogicalStatus = Type.Union([Type.Literal(1), Type.Literal(3), Type.Literal(6), Type.Literal(8)]);
export type LogicalStatus = Static<typeof LogicalStatus>;

export const Street = Type.Object({
  usrn: Type.Integer(),
  recordType: Nullable(Type.Integer()),
  state: Nullable(Type.Integer()),
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
  startX: Nullable(Type.Number()),
  startY: Nullable(Type.Number()),
  endX: Nullable(Type.Number()),
  endY: Nullable(Type.Number()),
});
export type Street = Static<typeof Street>;

export const StreetDescriptor = Type.Object({
  usrn: Type.Integer(),
  description: Type.String(),
  locality: Nullable(Type.String()),
  town: Nullable(Type.String()),
  administrativeArea: Nullable(Type.String()),
  language: Type.String(),
});
export type StreetDescriptor = Static<typeof StreetDescriptor>;

export const Blpu = Type.Object({
  uprn: Type.Integer(),
  logicalStatus: LogicalStatus,
  state: Nullable(Type.Integer()),
  parentUprn: Nullable(Type.Integer()),
  x: Nullable(Type.Number()),
  y: Nullable(Type.Number()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  rpc: Nullable(Type.Integer()),
  localCustodianCode: Nullable(Type.Integer()),
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
  /** AddressBase: POSTCODE_LOCATOR; DTF: taken from the approved LPI's POSTCODE. */
  postcodeLocator: Nullable(Type.String()),
  /** DTF carries BLPU_CLASS here; AddressBase carries classification in record 32. */
  blpuClass: Nullable(Type.String()),
});
export type Blpu = Static<typeof Blpu>;

export const Lpi = Type.Object({
  uprn: Type.Integer(),
  lpiKey: Type.String(),
  language: Type.String(),
  logicalStatus: LogicalStatus,
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
  saoStartNumber: Nullable(Type.Integer()),
  saoStartSuffix: Nullable(Type.String()),
  saoEndNumber: Nullable(Type.Integer()),
  saoEndSuffix: Nullable(Type.String()),
  saoText: Nullable(Type.String()),
  paoStartNumber: Nullable(Type.Integer()),
  paoStartSuffix: Nullable(Type.String()),
  paoEndNumber: Nullable(Type.Integer()),
  paoEndSuffix: Nullable(Type.String()),
  paoText: Nullable(Type.String()),
  usrn: Type.Integer(),
  level: Nullable(Type.String()),
  officialFlag: Nullable(Type.String()),
  /** DTF only (AddressBase takes the postcode from the delivery point / BLPU). */
  postcode: Nullable(Type.String()),
  postTown: Nullable(Type.String()),
});
export type Lpi = Static<typeof Lpi>;

export const CrossReference = Type.Object({
  uprn: Type.Integer(),
  xrefKey: Type.String(),
  crossReference: Type.String(),
  /** e.g. 7666VC (VOA council tax), 7666VN (VOA non-domestic rates). */
  source: Type.String(),
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
});
export type CrossReference = Static<typeof CrossReference>;

export const Classification = Type.Object({
  uprn: Type.Integer(),
  classKey: Type.String(),
  code: Type.String(),
  scheme: Nullable(Type.String()),
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
});
export type Classification = Static<typeof Classification>;

export const Organisation = Type.Object({
  uprn: Type.Integer(),
  orgKey: Type.String(),
  organisation: Type.String(),
  legalName: Nullable(Type.String()),
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
});
export type Organisation = Static<typeof Organisation>;

export const Successor = Type.Object({
  uprn: Type.Integer(),
  succKey: Type.String(),
  successor: Type.Integer(),
  startDate: Nullable(IsoDate),
  endDate: Nullable(IsoDate),
});
export type Successor = Static<typeof Successor>;

export const DeliveryPoint = Type.Object({
  uprn: Type.Integer(),
  udprn: Type.Integer(),
  organisationName: Nullable(Type.String()),
  subBuildingName: Nullable(Type.String()),
  buildingName: Nullable(Type.String()),
  buildingNumber: Nullable(Type.Integer()),
  thoroughfare: Nullable(Type.String()),
  dependentLocality: Nullable(Type.String()),
  postTown: Nullable(Type.String()),
  postcode: Type.String(),
});
export type DeliveryPoint = Static<typeof DeliveryPoint>;

/** One parsed gazetteer record, tagged by its BS 7666 record type. */
export type GazetteerRecord =
  | { type: 11; change: ChangeType; data: Street }
  | { type: 15; change: ChangeType; data: StreetDescriptor }
  | { type: 21; change: ChangeType; data: Blpu }
  | { type: 23; change: ChangeType; data: CrossReference }
  | { type: 24; change: ChangeType; data: Lpi }
  | { type: 28; change: ChangeType; data: DeliveryPoint }
  | { type: 30; change: ChangeType; data: Successor }
  | { type: 31; change: ChangeType; data: Organisation }
  | { type: 32; change: ChangeType; data: Classification };

/**
 * One row of the derived address index: one per approved, alternative,
 * provisional or historic LPI, with everything the matcher compares. Text
 * fields are upper case as held in the gazetteer; normalised forms are
 * computed by matching/address.
 */
export const IndexedAddress = Type.Object({
  uprn: Type.Integer(),
  lpiKey: Type.String(),
  /** The LPI's language: ENG, or CYM for the Welsh address of the same property. */
  language: Type.String(),
  logicalStatus: LogicalStatus,
  /** The BLPU's own status: 8 means the property itself is historic. */
  blpuStatus: LogicalStatus,
  parentUprn: Nullable(Type.Integer()),
  saoStartNumber: Nullable(Type.Integer()),
  saoStartSuffix: Nullable(Type.String()),
  saoEndNumber: Nullable(Type.Integer()),
  saoEndSuffix: Nullable(Type.String()),
  saoText: Nullable(Type.String()),
  paoStartNumber: Nullable(Type.Integer()),
  paoStartSuffix: Nullable(Type.String()),
  paoEndNumber: Nullable(Type.Integer()),
  paoEndSuffix: Nullable(Type.String()),
  paoText: Nullable(Type.String()),
  usrn: Type.Integer(),
  street: Type.String(),
  locality: Nullable(Type.String()),
  town: Nullable(Type.String()),
  postcode: Nullable(Type.String()),
  organisation: Nullable(Type.String()),
  classification: Nullable(Type.String()),
});
export type IndexedAddress = Static<typeof IndexedAddress>;
