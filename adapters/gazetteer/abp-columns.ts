/**
 * OS AddressBase Premium CSV column orders (shared/reference/gazetteer-formats.md),
 * one table per record type the hub holds. Columns the hub does not keep are
 * listed by name only so that positions stay exactly as specified.
 */
import { table, type AnyRecordTable } from './record-table.js';

export const ABP_TABLES: readonly AnyRecordTable[] = [
  table(11, [
    ['USRN', 'usrn', 'usrn!'], ['RECORD_TYPE', 'recordType', 'small'], ['SWA_ORG_REF_NAMING'], ['STATE', 'state', 'small'],
    ['STATE_DATE'], ['STREET_SURFACE'], ['STREET_CLASSIFICATION'], ['VERSION'],
    ['STREET_START_DATE', 'startDate', 'date'], ['STREET_END_DATE', 'endDate', 'date'], ['LAST_UPDATE_DATE'], ['RECORD_ENTRY_DATE'],
    ['STREET_START_X', 'startX', 'num'], ['STREET_START_Y', 'startY', 'num'], ['STREET_START_LAT'], ['STREET_START_LONG'],
    ['STREET_END_X', 'endX', 'num'], ['STREET_END_Y', 'endY', 'num'], ['STREET_END_LAT'], ['STREET_END_LONG'], ['STREET_TOLERANCE'],
  ]),
  table(15, [
    ['USRN', 'usrn', 'usrn!'], ['STREET_DESCRIPTION', 'description', 'text!'], ['LOCALITY_NAME', 'locality', 'text'],
    ['TOWN_NAME', 'town', 'text'], ['ADMINSTRATIVE_AREA', 'administrativeArea', 'text'], ['LANGUAGE', 'language', 'text!'],
    ['START_DATE'], ['END_DATE'], ['LAST_UPDATE_DATE'], ['ENTRY_DATE'],
  ]),
  table(21, [
    ['UPRN', 'uprn', 'uprn!'], ['LOGICAL_STATUS', 'logicalStatus', 'status!'], ['BLPU_STATE', 'state', 'small'], ['BLPU_STATE_DATE'],
    ['PARENT_UPRN', 'parentUprn', 'uprn'], ['X_COORDINATE', 'x', 'num'], ['Y_COORDINATE', 'y', 'num'],
    ['LATITUDE', 'latitude', 'num'], ['LONGITUDE', 'longitude', 'num'], ['RPC', 'rpc', 'small'],
    ['LOCAL_CUSTODIAN_CODE', 'localCustodianCode', 'int'], ['COUNTRY'], ['START_DATE', 'startDate', 'date'],
    ['END_DATE', 'endDate', 'date'], ['LAST_UPDATE_DATE'], ['ENTRY_DATE'], ['ADDRESSBASE_POSTAL'],
    ['POSTCODE_LOCATOR', 'postcodeLocator', 'text'], ['MULTI_OCC_COUNT'],
  ], { blpuClass: null }),
  table(23, [
    ['UPRN', 'uprn', 'uprn!'], ['XREF_KEY', 'xrefKey', 'text!'], ['CROSS_REFERENCE', 'crossReference', 'text!'], ['VERSION'],
    ['SOURCE', 'source', 'text!'], ['START_DATE', 'startDate', 'date'], ['END_DATE', 'endDate', 'date'],
    ['LAST_UPDATE_DATE'], ['ENTRY_DATE'],
  ]),
  table(24, [
    ['UPRN', 'uprn', 'uprn!'], ['LPI_KEY', 'lpiKey', 'text!'], ['LANGUAGE', 'language', 'text!'],
    ['LOGICAL_STATUS', 'logicalStatus', 'status!'], ['START_DATE', 'startDate', 'date'], ['END_DATE', 'endDate', 'date'],
    ['LAST_UPDATE_DATE'], ['ENTRY_DATE'],
    ['SAO_START_NUMBER', 'saoStartNumber', 'int'], ['SAO_START_SUFFIX', 'saoStartSuffix', 'text'],
    ['SAO_END_NUMBER', 'saoEndNumber', 'int'], ['SAO_END_SUFFIX', 'saoEndSuffix', 'text'], ['SAO_TEXT', 'saoText', 'text'],
    ['PAO_START_NUMBER', 'paoStartNumber', 'int'], ['PAO_START_SUFFIX', 'paoStartSuffix', 'text'],
    ['PAO_END_NUMBER', 'paoEndNumber', 'int'], ['PAO_END_SUFFIX', 'paoEndSuffix', 'text'], ['PAO_TEXT', 'paoText', 'text'],
    ['USRN', 'usrn', 'usrn!'], ['USRN_MATCH_INDICATOR'], ['AREA_NAME'], ['LEVEL', 'level', 'text'],
    ['OFFICIAL_FLAG', 'officialFlag', 'text'],
  ], { postcode: null, postTown: null }),
  table(28, [
    ['UPRN', 'uprn', 'uprn!'], ['UDPRN', 'udprn', 'udprn!'], ['ORGANISATION_NAME', 'organisationName', 'text'],
    ['DEPARTMENT_NAME'], ['SUB_BUILDING_NAME', 'subBuildingName', 'text'], ['BUILDING_NAME', 'buildingName', 'text'],
    ['BUILDING_NUMBER', 'buildingNumber', 'int'], ['DEPENDENT_THOROUGHFARE'], ['THOROUGHFARE', 'thoroughfare', 'text'],
    ['DOUBLE_DEPENDENT_LOCALITY'], ['DEPENDENT_LOCALITY', 'dependentLocality', 'text'], ['POST_TOWN', 'postTown', 'text'],
    ['POSTCODE', 'postcode', 'text!'], ['POSTCODE_TYPE'], ['DELIVERY_POINT_SUFFIX'], ['WELSH_DEPENDENT_THOROUGHFARE'],
    ['WELSH_THOROUGHFARE'], ['WELSH_DOUBLE_DEPENDENT_LOCALITY'], ['WELSH_DEPENDENT_LOCALITY'], ['WELSH_POST_TOWN'],
    ['PO_BOX_NUMBER'], ['PROCESS_DATE'], ['START_DATE'], ['END_DATE'], ['LAST_UPDATE_DATE'], ['ENTRY_DATE'],
  ]),
  table(30, [
    ['UPRN', 'uprn', 'uprn!'], ['SUCC_KEY', 'succKey', 'text!'], ['START_DATE', 'startDate', 'date'],
    ['END_DATE', 'endDate', 'date'], ['LAST_UPDATE_DATE'], ['ENTRY_DATE'], ['SUCCESSOR', 'successor', 'uprn!'],
  ]),
  table(31, [
    ['UPRN', 'uprn', 'uprn!'], ['ORG_KEY', 'orgKey', 'text!'], ['ORGANISATION', 'organisation', 'text!'],
    ['LEGAL_NAME', 'legalName', 'text'], ['START_DATE', 'startDate', 'date'], ['END_DATE', 'endDate', 'date'],
    ['LAST_UPDATE_DATE'], ['ENTRY_DATE'],
  ]),
  table(32, [
    ['UPRN', 'uprn', 'uprn!'], ['CLASS_KEY', 'classKey', 'text!'], ['CLASSIFICATION_CODE', 'code', 'text!'],
    ['CLASS_SCHEME', 'scheme', 'text'], ['SCHEME_VERSION'], ['START_DATE', 'startDate', 'date'],
    ['END_DATE', 'endDate', 'date'], ['LAST_UPDATE_DATE'], ['ENTRY_DATE'],
  ]),
];

/** Record types AddressBase defines that the hub does not hold (29 metadata). */
export const ABP_SKIPPED_TYPES: ReadonlySet<string> = new Set(['29']);
