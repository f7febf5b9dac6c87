/**
 * How each BS 7666 record type maps to its table in the gazetteer schema
 * (src/db/migrations/002_gazetteer.sql): column order, key columns (what a
 * change-only update or delete addresses), and the row values.
 */
import type { GazetteerRecord } from '../../schemas/bs7666.js';

export type RecordType = GazetteerRecord['type'];
export type Value = string | number | null;

export interface TableSpec {
  table: string;
  columns: readonly string[];
  /** Columns that identify a row, for U and D records. */
  key: readonly string[];
  values(data: never): Value[];
}

const spec = <T extends RecordType>(s: {
  table: string;
  columns: readonly string[];
  key: readonly string[];
  values(data: Extract<GazetteerRecord, { type: T }>['data']): Value[];
}): TableSpec => s as TableSpec;

export const TABLES: Record<RecordType, TableSpec> = {
  11: spec<11>({
    table: 'street',
    columns: ['usrn', 'record_type', 'state', 'start_date', 'end_date', 'start_x', 'start_y', 'end_x', 'end_y'],
    key: ['usrn'],
    values: (d) => [d.usrn, d.recordType, d.state, d.startDate, d.endDate, d.startX, d.startY, d.endX, d.endY],
  }),
  15: spec<15>({
    table: 'street_descriptor',
    columns: ['usrn', 'language', 'description', 'locality', 'town', 'administrative_area'],
    key: ['usrn', 'language'],
    values: (d) => [d.usrn, d.language, d.description, d.locality, d.town, d.administrativeArea],
  }),
  21: spec<21>({
    table: 'blpu',
    columns: ['uprn', 'logical_status', 'state', 'parent_uprn', 'x', 'y', 'latitude', 'longitude', 'rpc', 'local_custodian_code', 'start_date', 'end_date', 'postcode_locator', 'blpu_class'],
    key: ['uprn'],
    values: (d) => [d.uprn, d.logicalStatus, d.state, d.parentUprn, d.x, d.y, d.latitude, d.longitude, d.rpc, d.localCustodianCode, d.startDate, d.endDate, d.postcodeLocator, d.blpuClass],
  }),
  23: spec<23>({
    table: 'cross_reference',
    columns: ['xref_key', 'uprn', 'cross_reference', 'source', 'start_date', 'end_date'],
    key: ['xref_key'],
    values: (d) => [d.xrefKey, d.uprn, d.crossReference, d.source, d.startDate, d.endDate],
  }),
  24: spec<24>({
    table: 'lpi',
    columns: [
      'lpi_key', 'uprn', 'language', 'logical_status', 'start_date', 'end_date',
      'sao_start_number', 'sao_start_suffix', 'sao_end_number', 'sao_end_suffix', 'sao_text',
      'pao_start_number', 'pao_start_suffix', 'pao_end_number', 'pao_end_suffix', 'pao_text',
      'usrn', 'level', 'official_flag', 'postcode', 'post_town',
    ],
    key: ['lpi_key'],
    values: (d) => [
      d.lpiKey, d.uprn, d.language, d.logicalStatus, d.startDate, d.endDate,
      d.saoStartNumber, d.saoStartSuffix, d.saoEndNumber, d.saoEndSuffix, d.saoText,
      d.paoStartNumber, d.paoStartSuffix, d.paoEndNumber, d.paoEndSuffix, d.paoText,
      d.usrn, d.level, d.officialFlag, d.postcode, d.postTown,
    ],
  }),
  28: spec<28>({
    table: 'delivery_point',
    columns: ['udprn', 'uprn', 'organisation_name', 'sub_building_name', 'building_name', 'building_number', 'thoroughfare', 'dependent_locality', 'post_town', 'postcode'],
    key: ['udprn'],
    values: (d) => [d.udprn, d.uprn, d.organisationName, d.subBuildingName, d.buildingName, d.buildingNumber, d.thoroughfare, d.dependentLocality, d.postTown, d.postcode],
  }),
  30: spec<30>({
    table: 'successor',
    columns: ['succ_key', 'uprn', 'successor', 'start_date', 'end_date'],
    key: ['succ_key'],
    values: (d) => [d.succKey, d.uprn, d.successor, d.startDate, d.endDate],
  }),
  31: spec<31>({
    table: 'organisation',
    columns: ['org_key', 'uprn', 'organisation', 'legal_name', 'start_date', 'end_date'],
    key: ['org_key'],
    values: (d) => [d.orgKey, d.uprn, d.organisation, d.legalName, d.startDate, d.endDate],
  }),
  32: spec<32>({
    table: 'classification',
    columns: ['class_key', 'uprn', 'code', 'scheme', 'start_date', 'end_date'],
    key: ['class_key'],
    values: (d) => [d.classKey, d.uprn, d.code, d.scheme, d.startDate, d.endDate],
  }),
};

export const RECORD_TYPES = Object.keys(TABLES).map(Number) as RecordType[];

export function rowOf(record: GazetteerRecord): Value[] {
  return TABLES[record.type].values(record.data as never);
}

/** The UPRN a record belongs to, or null for street records. */
export function uprnOf(record: GazetteerRecord): number | null {
  return record.type === 11 || record.type === 15 ? null : record.data.uprn;
}

/** One row in PostgreSQL's COPY text format: tab separated, \N for null, backslash escapes. */
export function copyLine(values: Value[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) line += '\t';
    if (v === null || v === undefined) line += '\\N';
    else if (typeof v === 'number') line += String(v);
    else line += /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;
  }
  return `${line}\n`;
}
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
