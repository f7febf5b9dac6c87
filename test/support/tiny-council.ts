/**
 * A hand-made gazetteer small enough to reason about in tests, written as
 * AddressBase Premium or DTF 7.3 lines with the reference column lists, with
 * the traps the matcher and the loader must handle: MILL LANE and MILL ROAD,
 * 2 and 2A, a 12-14 range, a named house, a block with flats, an organisation
 * whose name needs quoting, a historic LPI and a council-tax cross reference.
 */
import { ABP, DTF, csv, fields } from '../unit/gazetteer-readers/build.js';

export interface TinyProperty {
  uprn: number;
  usrn: number;
  postcode: string;
  status?: 1 | 8;
  parent?: number;
  sao?: { number?: number; suffix?: string; text?: string };
  pao: { number?: number; suffix?: string; endNumber?: number; text?: string };
  organisation?: string;
  classification: string;
  historic?: { text?: string; number?: number };
  councilTaxRef?: string;
}

export const STREETS = [
  { usrn: 7001, name: 'MILL LANE', locality: 'NORTHBY', town: 'EXAMPLETON' },
  { usrn: 7002, name: 'MILL ROAD', locality: 'NORTHBY', town: 'EXAMPLETON' },
  { usrn: 7003, name: 'HIGH STREET', locality: null, town: 'EXAMPLETON' },
];

export const PROPERTIES: TinyProperty[] = [
  { uprn: 100001, usrn: 7001, postcode: 'ZZ1 1AB', pao: { number: 2 }, classification: 'RD04', historic: { text: 'MILLERS COTTAGE' }, councilTaxRef: 'CTR0100001' },
  { uprn: 100002, usrn: 7001, postcode: 'ZZ1 1AB', pao: { number: 2, suffix: 'A' }, classification: 'RD04' },
  { uprn: 100003, usrn: 7002, postcode: 'ZZ1 1AD', pao: { number: 12, endNumber: 14 }, classification: 'RD03' },
  { uprn: 100004, usrn: 7001, postcode: 'ZZ1 1AB', pao: { text: 'ROSE COTTAGE' }, classification: 'RD02' },
  { uprn: 100005, usrn: 7002, postcode: 'ZZ1 1AD', pao: { number: 2 }, classification: 'RD04' },
  { uprn: 100010, usrn: 7003, postcode: 'ZZ1 2BD', pao: { number: 5, text: 'RIVERSIDE COURT' }, classification: 'PP' },
  { uprn: 100011, usrn: 7003, postcode: 'ZZ1 2BD', parent: 100010, sao: { text: 'FLAT', number: 1 }, pao: { number: 5, text: 'RIVERSIDE COURT' }, classification: 'RD06' },
  { uprn: 100012, usrn: 7003, postcode: 'ZZ1 2BD', parent: 100010, sao: { text: 'FLAT', number: 2 }, pao: { number: 5, text: 'RIVERSIDE COURT' }, classification: 'RD06' },
  { uprn: 100020, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: 7, text: 'THE "OLD" FORGE' }, organisation: 'SMITH, JONES & CO', classification: 'CO01' },
];

type Row = string[];
const DATE = '2020-01-01';

function lpiValues(p: TinyProperty, key: string, status: number, pao = p.pao) {
  return {
    UPRN: p.uprn, LPI_KEY: key, LANGUAGE: 'ENG', LOGICAL_STATUS: status, START_DATE: DATE,
    ...(status === 8 ? { END_DATE: '2019-12-31' } : {}),
    ...(p.sao?.number !== undefined ? { SAO_START_NUMBER: p.sao.number } : {}),
    ...(p.sao?.suffix ? { SAO_START_SUFFIX: p.sao.suffix } : {}),
    ...(p.sao?.text ? { SAO_TEXT: p.sao.text } : {}),
    ...(pao.number !== undefined ? { PAO_START_NUMBER: pao.number } : {}),
    ...('suffix' in pao && pao.suffix ? { PAO_START_SUFFIX: pao.suffix } : {}),
    ...('endNumber' in pao && pao.endNumber !== undefined ? { PAO_END_NUMBER: pao.endNumber } : {}),
    ...(pao.text ? { PAO_TEXT: pao.text } : {}),
    USRN: p.usrn,
  };
}

/** The records of one property in AddressBase layout (21, 23, 24, 28, 31, 32). */
export function abpPropertyRows(p: TinyProperty, change = 'I'): Row[] {
  const rows: Row[] = [
    fields(ABP[21], 21, {
      UPRN: p.uprn, LOGICAL_STATUS: p.status ?? 1, BLPU_STATE: 2, ...(p.parent ? { PARENT_UPRN: p.parent } : {}),
      X_COORDINATE: 400000 + (p.uprn % 1000), Y_COORDINATE: 300000, LATITUDE: 52.5, LONGITUDE: -1.9, RPC: 1,
      LOCAL_CUSTODIAN_CODE: 9999, COUNTRY: 'E', START_DATE: DATE, POSTCODE_LOCATOR: p.postcode,
    }, change),
    fields(ABP[24], 24, { ...lpiValues(p, `${p.uprn}L1`, 1) }, change),
    fields(ABP[32], 32, { UPRN: p.uprn, CLASS_KEY: `${p.uprn}C1`, CLASSIFICATION_CODE: p.classification, CLASS_SCHEME: 'AddressBase Premium Classification Scheme', START_DATE: DATE }, change),
  ];
  if (p.historic) rows.push(fields(ABP[24], 24, lpiValues(p, `${p.uprn}L2`, 8, p.historic), change));
  if (p.councilTaxRef) rows.push(fields(ABP[23], 23, { UPRN: p.uprn, XREF_KEY: `${p.uprn}X1`, CROSS_REFERENCE: p.councilTaxRef, SOURCE: '7666VC', START_DATE: DATE }, change));
  if (p.organisation) rows.push(fields(ABP[31], 31, { UPRN: p.uprn, ORG_KEY: `DTF21-${p.uprn}`, ORGANISATION: p.organisation, START_DATE: DATE }, change));
  if (p.classification !== 'PP') {
    rows.push(fields(ABP[28], 28, { UPRN: p.uprn, UDPRN: p.uprn + 5_000_000, POSTCODE: p.postcode, POST_TOWN: 'EXAMPLETON' }, change));
  }
  return rows;
}

function dtfPropertyRows(p: TinyProperty): Row[] {
  const withPostcode = (values: Record<string, string | number>) => ({ ...values, POSTCODE: p.postcode, POST_TOWN: 'EXAMPLETON' });
  const rows: Row[] = [
    fields(DTF[21], 21, {
      UPRN: p.uprn, LOGICAL_STATUS: p.status ?? 1, BLPU_STATE: 2, BLPU_CLASS: p.classification, ...(p.parent ? { PARENT_UPRN: p.parent } : {}),
      X_COORDINATE: 400000 + (p.uprn % 1000), Y_COORDINATE: 300000, RPC: 1, LOCAL_CUSTODIAN_CODE: 9999, START_DATE: DATE,
      ...(p.organisation ? { ORGANISATION: p.organisation } : {}),
    }),
    fields(DTF[24], 24, withPostcode(lpiValues(p, `${p.uprn}L1`, 1))),
  ];
  if (p.historic) rows.push(fields(DTF[24], 24, withPostcode(lpiValues(p, `${p.uprn}L2`, 8, p.historic))));
  if (p.councilTaxRef) rows.push(fields(DTF[23], 23, { UPRN: p.uprn, XREF_KEY: `${p.uprn}X1`, CROSS_REFERENCE: p.councilTaxRef, SOURCE: '7666VC', START_DATE: DATE }));
  return rows;
}

/** Where a file sits in the council's run of supplies: its header's PROCESS_DATE and VOLUME_NUMBER, and the trailer's NEXT_VOLUME_NUMBER (0 for the last volume). */
export interface SupplyPlace {
  processDate?: string;
  volume?: number;
  nextVolume?: number;
}

const header = (fileType: 'F' | 'C', version: string, place: SupplyPlace = {}) =>
  fields(ABP[10], 10, { CUSTODIAN_NAME: 'EXAMPLE COUNCIL', LOCAL_CUSTODIAN_CODE: 9999, PROCESS_DATE: place.processDate ?? '2026-01-01', VOLUME_NUMBER: place.volume ?? 1, ENTRY_DATE: '2026-01-01', TIME_STAMP: '00:00:00', VERSION: version, FILE_TYPE: fileType });
const trailer = (count: number, place: SupplyPlace = {}) => fields(ABP[99], 99, { NEXT_VOLUME_NUMBER: place.nextVolume ?? 0, RECORD_COUNT: count, ENTRY_DATE: '2026-01-01', TIME_STAMP: '00:00:00' });

export function abpFile(body: Row[], fileType: 'F' | 'C' = 'F', place: SupplyPlace = {}): string {
  return csv([header(fileType, '1.0', place), ...body, trailer(body.length, place)]);
}

export function abpStreetRows(): Row[] {
  return STREETS.flatMap((s) => [
    fields(ABP[11], 11, { USRN: s.usrn, RECORD_TYPE: 1, STATE: 2, STREET_START_DATE: DATE, STREET_START_X: 400000, STREET_START_Y: 300000, STREET_END_X: 400100, STREET_END_Y: 300100 }),
    fields(ABP[15], 15, { USRN: s.usrn, STREET_DESCRIPTION: s.name, ...(s.locality ? { LOCALITY_NAME: s.locality } : {}), TOWN_NAME: s.town, ADMINSTRATIVE_AREA: 'EXAMPLESHIRE', LANGUAGE: 'ENG' }),
  ]);
}

/** The whole tiny council as an AddressBase Premium FULL file. */
export function tinyAbp(): string {
  return abpFile([...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))]);
}

/** A DTF 7.3 file: header, `body`, trailer. */
export function dtfFile(body: Row[], fileType: 'F' | 'C' = 'F', place: SupplyPlace = {}): string {
  return csv([header(fileType, '7.3', place), ...body, trailer(body.length, place)]);
}

/** The same council as DTF 7.3. */
export function tinyDtf(): string {
  const body = [
    ...STREETS.flatMap((s) => [
      fields(DTF[11], 11, { USRN: s.usrn, RECORD_TYPE: 1, STATE: 2, STREET_START_DATE: DATE, STREET_START_X: 400000, STREET_START_Y: 300000, STREET_END_X: 400100, STREET_END_Y: 300100 }),
      fields(DTF[15], 15, { USRN: s.usrn, STREET_DESCRIPTOR: s.name, ...(s.locality ? { LOCALITY_NAME: s.locality } : {}), TOWN_NAME: s.town, ADMINISTRATIVE_AREA: 'EXAMPLESHIRE', LANGUAGE: 'ENG' }),
    ]),
    ...PROPERTIES.flatMap((p) => dtfPropertyRows(p)),
  ];
  return dtfFile(body);
}
