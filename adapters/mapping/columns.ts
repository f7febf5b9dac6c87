/**
 * The columns a mapping reads, for checking a CSV header against it: a
 * column that was renamed or dropped would otherwise read as empty in every
 * record, and the records go in without that field (superseding versions
 * that had it) with nothing said.
 */
import type { Mapping } from './load.js';
import type { DateSpec, ValueSpec } from './schema.js';

/** The column (first segment) of a path into the record itself; paths into the current party or item are read through others. */
const columnOf = (path: string): string | null => (path.startsWith('$') ? null : path.split('.')[0]!);

function pathsOf(mapping: Mapping): (string | undefined)[] {
  const value = (v: ValueSpec | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const date = (d: DateSpec | undefined): string | undefined => d?.field;
  const names = [mapping.name, ...(mapping.otherNames ?? [])].flatMap((n) => [n.full, n.title, n.forenames, n.surname, n.suffix].map(value));
  return [
    mapping.sourceRef,
    ...(mapping.parties?.columns ?? []).flatMap((party) => Object.values(party)),
    mapping.parties?.each,
    ...names,
    date(mapping.dateOfBirth),
    mapping.sex?.field,
    ...(mapping.identifiers ?? []).map((i) => i.field),
    ...(mapping.contacts ?? []).map((c) => c.field),
    ...(mapping.addresses ?? []).flatMap((a) => [...a.lines, a.postcode, a.uprn, a.crossReference, date(a.from), date(a.to)]),
    ...(mapping.entitlements ?? []).flatMap((e) => [e.field, date(e.from), date(e.to), date(e.verifiedOn), value(e.method)]),
    ...(mapping.involvements ?? []).flatMap((i) => [i.each, value(i.service), value(i.reference), value(i.role), date(i.from), date(i.to)]),
    mapping.closed?.field,
    date(mapping.sourceUpdatedAt),
  ];
}

const read = new WeakMap<Mapping, string[]>();

/** Every column the mapping reads, in the order the mapping names them. */
export function columnsRead(mapping: Mapping): string[] {
  let columns = read.get(mapping);
  if (!columns) {
    columns = [...new Set(pathsOf(mapping).flatMap((p) => (p === undefined ? [] : [columnOf(p)].filter((c): c is string => c !== null))))];
    read.set(mapping, columns);
  }
  return columns;
}

/** The first column the mapping reads that a record of a header-row CSV lacks (so its header lacks it), or null. */
export function missingColumn(mapping: Mapping, fields: Record<string, unknown>): string | null {
  return columnsRead(mapping).find((column) => !(column in fields)) ?? null;
}
