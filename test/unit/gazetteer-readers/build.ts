/**
 * Test helpers: gazetteer lines written from the column lists of
 * shared/reference/gazetteer-formats.md (copied here, not taken from the
 * implementation, so a wrong column order in the readers shows), quoted by
 * csv-stringify as a supplier would.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { readGazetteer, type GazetteerEvent } from '../../../adapters/gazetteer/read.js';

const cols = (s: string): string[] => s.split(',').map((c) => c.trim());

export const ABP = {
  10: cols('CUSTODIAN_NAME, LOCAL_CUSTODIAN_CODE, PROCESS_DATE, VOLUME_NUMBER, ENTRY_DATE, TIME_STAMP, VERSION, FILE_TYPE'),
  11: cols('USRN, RECORD_TYPE, SWA_ORG_REF_NAMING, STATE, STATE_DATE, STREET_SURFACE, STREET_CLASSIFICATION, VERSION, STREET_START_DATE, STREET_END_DATE, LAST_UPDATE_DATE, RECORD_ENTRY_DATE, STREET_START_X, STREET_START_Y, STREET_START_LAT, STREET_START_LONG, STREET_END_X, STREET_END_Y, STREET_END_LAT, STREET_END_LONG, STREET_TOLERANCE'),
  15: cols('USRN, STREET_DESCRIPTION, LOCALITY_NAME, TOWN_NAME, ADMINSTRATIVE_AREA, LANGUAGE, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE'),
  21: cols('UPRN, LOGICAL_STATUS, BLPU_STATE, BLPU_STATE_DATE, PARENT_UPRN, X_COORDINATE, Y_COORDINATE, LATITUDE, LONGITUDE, RPC, LOCAL_CUSTODIAN_CODE, COUNTRY, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE, ADDRESSBASE_POSTAL, POSTCODE_LOCATOR, MULTI_OCC_COUNT'),
  23: cols('UPRN, XREF_KEY, CROSS_REFERENCE, VERSION, SOURCE, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE'),
  24: cols('UPRN, LPI_KEY, LANGUAGE, LOGICAL_STATUS, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE, SAO_START_NUMBER, SAO_START_SUFFIX, SAO_END_NUMBER, SAO_END_SUFFIX, SAO_TEXT, PAO_START_NUMBER, PAO_START_SUFFIX, PAO_END_NUMBER, PAO_END_SUFFIX, PAO_TEXT, USRN, USRN_MATCH_INDICATOR, AREA_NAME, LEVEL, OFFICIAL_FLAG'),
  28: cols('UPRN, UDPRN, ORGANISATION_NAME, DEPARTMENT_NAME, SUB_BUILDING_NAME, BUILDING_NAME, BUILDING_NUMBER, DEPENDENT_THOROUGHFARE, THOROUGHFARE, DOUBLE_DEPENDENT_LOCALITY, DEPENDENT_LOCALITY, POST_TOWN, POSTCODE, POSTCODE_TYPE, DELIVERY_POINT_SUFFIX, WELSH_DEPENDENT_THOROUGHFARE, WELSH_THOROUGHFARE, WELSH_DOUBLE_DEPENDENT_LOCALITY, WELSH_DEPENDENT_LOCALITY, WELSH_POST_TOWN, PO_BOX_NUMBER, PROCESS_DATE, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE'),
  29: cols('GAZ_NAME, GAZ_SCOPE, TER_OF_USE, LINKED_DATA, GAZ_OWNER, NGAZ_FREQ, CUSTODIAN_NAME, CUSTODIAN_UPRN, LOCAL_CUSTODIAN_CODE, CO_ORD_SYSTEM, CO_ORD_UNIT, META_DATE, CLASS_SCHEME, GAZ_DATE, LANGUAGE, CHARACTER_SET'),
  30: cols('UPRN, SUCC_KEY, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE, SUCCESSOR'),
  31: cols('UPRN, ORG_KEY, ORGANISATION, LEGAL_NAME, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE'),
  32: cols('UPRN, CLASS_KEY, CLASSIFICATION_CODE, CLASS_SCHEME, SCHEME_VERSION, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE'),
  99: cols('NEXT_VOLUME_NUMBER, RECORD_COUNT, ENTRY_DATE, TIME_STAMP'),
} as const;

export const DTF = {
  11: cols('USRN, RECORD_TYPE, SWA_ORG_REF_NAMING, STATE, STATE_DATE, STREET_SURFACE, STREET_CLASSIFICATION, VERSION, RECORD_ENTRY_DATE, LAST_UPDATE_DATE, STREET_START_DATE, STREET_END_DATE, STREET_START_X, STREET_START_Y, STREET_END_X, STREET_END_Y, STREET_TOLERANCE'),
  15: cols('USRN, STREET_DESCRIPTOR, LOCALITY_NAME, TOWN_NAME, ADMINISTRATIVE_AREA, LANGUAGE'),
  21: cols('UPRN, LOGICAL_STATUS, BLPU_STATE, BLPU_STATE_DATE, BLPU_CLASS, PARENT_UPRN, X_COORDINATE, Y_COORDINATE, RPC, LOCAL_CUSTODIAN_CODE, START_DATE, END_DATE, LAST_UPDATE_DATE, ENTRY_DATE, ORGANISATION, WARD_CODE, PARISH_CODE, CUSTODIAN_ONE, CUSTODIAN_TWO, CAN_KEY'),
  23: cols('UPRN, XREF_KEY, START_DATE, LAST_UPDATE_DATE, ENTRY_DATE, END_DATE, CROSS_REFERENCE, SOURCE'),
  24: cols('UPRN, LPI_KEY, LANGUAGE, LOGICAL_STATUS, START_DATE, END_DATE, ENTRY_DATE, LAST_UPDATE_DATE, SAO_START_NUMBER, SAO_START_SUFFIX, SAO_END_NUMBER, SAO_END_SUFFIX, SAO_TEXT, PAO_START_NUMBER, PAO_START_SUFFIX, PAO_END_NUMBER, PAO_END_SUFFIX, PAO_TEXT, USRN, LEVEL, POSTAL_ADDRESS, POSTCODE, POST_TOWN, OFFICIAL_FLAG, CUSTODIAN_ONE, CUSTODIAN_TWO, CAN_KEY'),
} as const;

type Value = string | number;
const UNFRAMED = new Set([10, 29, 99]);

/** The fields of one line: framing, then the named columns in order, others empty. */
export function fields(columns: readonly string[], type: number, values: Record<string, Value>, change = 'I', proOrder = 1): string[] {
  const framing = UNFRAMED.has(type) ? [String(type)] : [String(type), change, String(proOrder)];
  for (const k of Object.keys(values)) if (!columns.includes(k)) throw new Error(`test data: no column ${k} in record ${type}`);
  return [...framing, ...columns.map((c) => (values[c] === undefined ? '' : String(values[c])))];
}

/** Lines as a supplier writes them: text quoted, quotes doubled, CRLF by default. */
export function csv(rows: readonly string[][], eol = '\r\n'): string {
  return stringify(rows as string[][], { record_delimiter: eol, quoted_match: /[A-Za-z ,"]/ });
}

export async function read(input: string | string[] | Buffer, fileName = 'test.csv'): Promise<GazetteerEvent[]> {
  const chunks = typeof input === 'string' ? [input] : Array.isArray(input) ? input : [input];
  const events: GazetteerEvent[] = [];
  for await (const e of readGazetteer(Readable.from(chunks), { fileName })) events.push(e);
  return events;
}

export function recordsOf(events: GazetteerEvent[]) {
  return events.flatMap((e) => (e.kind === 'record' ? [e] : []));
}
export function rejectsOf(events: GazetteerEvent[]) {
  return events.flatMap((e) => (e.kind === 'reject' ? [e] : []));
}
