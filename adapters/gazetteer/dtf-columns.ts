/**
 * NLPG / GeoPlace DTF 7.3 column orders (shared/reference/gazetteer-formats.md).
 * The reference gives no DTF layout for 30, 31 and 32; they are read with the
 * AddressBase layout, which GeoPlace derived them from.
 */
import type { Blpu, ChangeType, GazetteerRecord } from '../../schemas/bs7666.js';
import { ABP_TABLES } from './abp-columns.js';
import { FRAMING_FIELDS, table, type AnyRecordTable } from './record-table.js';

const blpu = table(21, [
  ['UPRN', 'uprn', 'uprn!'], ['LOGICAL_STATUS', 'logicalStatus', 'status!'], ['BLPU_STATE', 'state', 'small'],
  ['BLPU_STATE_DATE'], ['BLPU_CLASS', 'blpuClass', 'text'], ['PARENT_UPRN', 'parentUprn', 'uprn'],
  ['X_COORDINATE', 'x', 'num'], ['Y_COORDINATE', 'y', 'num'], ['RPC', 'rpc', 'small'],
  ['LOCAL_CUSTODIAN_CODE', 'localCustodianCode', 'int'], ['START_DATE', 'startDate', 'date'],
  ['END_DATE', 'endDate', 'date'], ['LAST_UPDATE_DATE'], ['ENTRY_DATE'], ['ORGANISATION'], ['WARD_CODE'],
  ['PARISH_CODE'], ['CUSTODIAN_ONE'], ['CUSTODIAN_TWO'], ['CAN_KEY'],
], { latitude: null, longitude: null, postcodeLocator: null });

export const DTF_TABLES: readonly AnyRecordTable[] = [
  table(11, [
    ['USRN', 'usrn', 'usrn!'], ['RECORD_TYPE', 'recordType', 'small'], ['SWA_ORG_REF_NAMING'], ['STATE', 'state', 'small'],
    ['STATE_DATE'], ['STREET_SURFACE'], ['STREET_CLASSIFICATION'], ['VERSION'], ['RECORD_ENTRY_DATE'],
    ['LAST_UPDATE_DATE'], ['STREET_START_DATE', 'startDate', 'date'], ['STREET_END_DATE', 'endDate', 'date'],
    ['STREET_START_X', 'startX', 'num'], ['STREET_START_Y', 'startY', 'num'], ['STREET_END_X', 'endX', 'num'],
    ['STREET_END_Y', 'endY', 'num'], ['STREET_TOLERANCE'],
  ]),
  table(15, [
    ['USRN', 'usrn', 'usrn!'], ['STREET_DESCRIPTOR', 'description', 'text!'], ['LOCALITY_NAME', 'locality', 'text'],
    ['TOWN_NAME', 'town', 'text'], ['ADMINISTRATIVE_AREA', 'administrativeArea', 'text'], ['LANGUAGE', 'language', 'text!'],
  ]),
  blpu,
  table(23, [
    ['UPRN', 'uprn', 'uprn!'], ['XREF_KEY', 'xrefKey', 'text!'], ['START_DATE', 'startDate', 'date'],
    ['LAST_UPDATE_DATE'], ['ENTRY_DATE'], ['END_DATE', 'endDate', 'date'],
    ['CROSS_REFERENCE', 'crossReference', 'text!'], ['SOURCE', 'source', 'text!'],
  ]),
  table(24, [
    ['UPRN', 'uprn', 'uprn!'], ['LPI_KEY', 'lpiKey', 'text!'], ['LANGUAGE', 'language', 'text!'],
    ['LOGICAL_STATUS', 'logicalStatus', 'status!'], ['START_DATE', 'startDate', 'date'], ['END_DATE', 'endDate', 'date'],
    ['ENTRY_DATE'], ['LAST_UPDATE_DATE'],
    ['SAO_START_NUMBER', 'saoStartNumber', 'int'], ['SAO_START_SUFFIX', 'saoStartSuffix', 'text'],
    ['SAO_END_NUMBER', 'saoEndNumber', 'int'], ['SAO_END_SUFFIX', 'saoEndSuffix', 'text'], ['SAO_TEXT', 'saoText', 'text'],
    ['PAO_START_NUMBER', 'paoStartNumber', 'int'], ['PAO_START_SUFFIX', 'paoStartSuffix', 'text'],
    ['PAO_END_NUMBER', 'paoEndNumber', 'int'], ['PAO_END_SUFFIX', 'paoEndSuffix', 'text'], ['PAO_TEXT', 'paoText', 'text'],
    ['USRN', 'usrn', 'usrn!'], ['LEVEL', 'level', 'text'], ['POSTAL_ADDRESS'], ['POSTCODE', 'postcode', 'text'],
    ['POST_TOWN', 'postTown', 'text'], ['OFFICIAL_FLAG', 'officialFlag', 'text'], ['CUSTODIAN_ONE'],
    ['CUSTODIAN_TWO'], ['CAN_KEY'],
  ]),
  ...ABP_TABLES.filter((t) => t.type === 30 || t.type === 31 || t.type === 32),
];

/** Record types DTF 7.3 defines that the hub does not hold. */
export const DTF_SKIPPED_TYPES: ReadonlySet<string> = new Set(['12', '13', '14', '22', '25', '26', '27', '29', '98']);

/** Types only DTF defines: one of them settles format detection. */
export const DTF_ONLY_TYPES: ReadonlySet<string> = new Set(['12', '13', '14', '22', '25', '26', '27', '98']);

const ORGANISATION_INDEX = FRAMING_FIELDS + blpu.columns.findIndex((c) => c[0] === 'ORGANISATION');

/** DTF keeps no organisation key; one per BLPU, so the UPRN makes it stable across supplies. */
export function dtfOrgKey(uprn: number): string {
  return `DTF21-${uprn}`;
}

/**
 * The organisation record a DTF BLPU row implies. A BLPU insert with an
 * organisation gives an insert; an update gives an update, or a delete when
 * the organisation was cleared; a BLPU delete deletes it. So a change-only
 * file never leaves a stale organisation behind.
 */
export function dtfOrganisation(row: readonly string[], change: ChangeType, b: Blpu): Extract<GazetteerRecord, { type: 31 }> | null {
  const organisation = row[ORGANISATION_INDEX] ?? '';
  let orgChange: ChangeType = change;
  if (organisation === '') {
    if (change === 'I') return null;
    orgChange = 'D';
  }
  return {
    type: 31,
    change: orgChange,
    data: { uprn: b.uprn, orgKey: dtfOrgKey(b.uprn), organisation, legalName: null, startDate: b.startDate, endDate: b.endDate },
  };
}
