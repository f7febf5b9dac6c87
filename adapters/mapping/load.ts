/**
 * Loading a mapping file (YAML or JSON) and validating it: first against the
 * TypeBox schema, then the rules a schema cannot say (a `$party.` path needs
 * parties, a date format must have a day, month and year...). Every problem
 * names the file, the JSON pointer in the mapping and the rule broken.
 */
import { readFile } from 'node:fs/promises';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { checkEncoding, ReaderOptions as ReaderOptionsUnion, type ReaderOptions } from '../readers/index.js';
import { CsvOptions, FixedWidthOptions, JsonLinesOptions, JsonOptions, XmlOptions } from '../readers/options.js';
import { compileFormat } from './dates.js';
import { MappingBody, type DateSpec, type ValueSpec } from './schema.js';
import type { Static, TSchema } from 'typebox';

export type Mapping = Omit<Static<typeof MappingBody>, 'reader'> & { reader: ReaderOptions };

export interface MappingIssue {
  /** JSON pointer into the mapping, e.g. /dateOfBirth/formats/0. */
  path: string;
  rule: string;
  message: string;
}

export class MappingError extends Error {
  constructor(
    readonly file: string,
    readonly issues: MappingIssue[],
  ) {
    super(`invalid mapping ${file}:\n${issues.map((i) => `  ${file}: ${i.path || '/'}: ${i.rule}: ${i.message}`).join('\n')}`);
    this.name = 'MappingError';
  }
}

const READER_SCHEMAS: Record<ReaderOptions['kind'], TSchema> = {
  csv: CsvOptions,
  'fixed-width': FixedWidthOptions,
  xml: XmlOptions,
  json: JsonOptions,
  jsonl: JsonLinesOptions,
};

/**
 * Every error of the value. TypeBox stops at `maxErrors` (8 by default), and a
 * vocabulary (a union of literals) fails once per word: one unknown identifier
 * scheme used them all, and the file's other problems, an unknown contact kind
 * among them, went unlisted. Raised for this call only (Errors is synchronous).
 */
function allErrors(schema: TSchema, value: unknown): ReturnType<typeof Value.Errors> {
  const before = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: 10_000 });
  try {
    return Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: before });
  }
}

function schemaIssues(schema: TSchema, value: unknown, prefix: string): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const errors = allErrors(schema, value);
  for (const e of errors) {
    const params = e.params as { requiredProperties?: string[]; additionalProperties?: string[] };
    if (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties')) continue;
    if (params.requiredProperties) {
      for (const p of params.requiredProperties) issues.push({ path: `${prefix}${e.instancePath}/${p}`, rule: 'required', message: 'is missing' });
    } else if (params.additionalProperties) {
      for (const p of params.additionalProperties) issues.push({ path: `${prefix}${e.instancePath}/${p}`, rule: 'additionalProperties', message: 'is not a mapping setting' });
    } else {
      issues.push({ path: `${prefix}${e.instancePath}`, rule: e.keyword, message: e.message });
    }
  }
  // A vocabulary (a union of literals) fails once per literal: say it once, listing what is allowed.
  const allowed = new Map<string, string[]>();
  for (const e of errors) {
    const v = (e.params as { allowedValue?: unknown }).allowedValue;
    if (e.keyword === 'const' && typeof v === 'string') allowed.set(`${prefix}${e.instancePath}`, [...(allowed.get(`${prefix}${e.instancePath}`) ?? []), v]);
  }
  const merged = issues
    .filter((i) => !(allowed.has(i.path) && (i.rule === 'const' || i.rule === 'anyOf')))
    .concat([...allowed].map(([path, values]) => ({ path, rule: 'one-of', message: `must be one of: ${values.join(', ')}` })));
  return merged.filter((i, n) => merged.findIndex((j) => j.path === i.path && j.rule === i.rule) === n);
}

interface PathUse {
  pointer: string;
  path: string;
  /** Inside an involvement with `each`, where `$item.` paths are allowed. */
  inItem: boolean;
}

function pathUses(m: Mapping): { paths: PathUse[]; dates: { pointer: string; spec: DateSpec }[] } {
  const paths: PathUse[] = [];
  const dates: { pointer: string; spec: DateSpec }[] = [];
  const path = (pointer: string, p: string | undefined, inItem = false) => {
    if (p !== undefined) paths.push({ pointer, path: p, inItem });
  };
  const value = (pointer: string, v: ValueSpec | undefined, inItem = false) => {
    if (typeof v === 'string') path(pointer, v, inItem);
  };
  const date = (pointer: string, d: DateSpec | undefined, inItem = false) => {
    if (!d) return;
    path(`${pointer}/field`, d.field, inItem);
    dates.push({ pointer, spec: d });
  };
  path('/sourceRef', m.sourceRef);
  m.parties?.columns?.forEach((c, i) => Object.entries(c).forEach(([alias, p]) => path(`/parties/columns/${i}/${alias}`, p)));
  path('/parties/each', m.parties?.each);
  const names = [{ pointer: '/name', spec: m.name }, ...(m.otherNames ?? []).map((spec, i) => ({ pointer: `/otherNames/${i}`, spec }))];
  for (const { pointer, spec } of names) for (const key of ['full', 'title', 'forenames', 'surname', 'suffix'] as const) value(`${pointer}/${key}`, spec[key]);
  date('/dateOfBirth', m.dateOfBirth);
  path('/sex/field', m.sex?.field);
  m.identifiers?.forEach((s, i) => path(`/identifiers/${i}/field`, s.field));
  m.contacts?.forEach((s, i) => path(`/contacts/${i}/field`, s.field));
  m.addresses?.forEach((a, i) => {
    a.lines.forEach((l, j) => path(`/addresses/${i}/lines/${j}`, l));
    for (const key of ['postcode', 'uprn', 'crossReference'] as const) path(`/addresses/${i}/${key}`, a[key]);
    date(`/addresses/${i}/from`, a.from);
    date(`/addresses/${i}/to`, a.to);
  });
  m.entitlements?.forEach((e, i) => {
    path(`/entitlements/${i}/field`, e.field);
    value(`/entitlements/${i}/method`, e.method);
    for (const key of ['from', 'to', 'verifiedOn'] as const) date(`/entitlements/${i}/${key}`, e[key]);
  });
  m.involvements?.forEach((v, i) => {
    const inItem = v.each !== undefined;
    path(`/involvements/${i}/each`, v.each);
    for (const key of ['service', 'reference', 'role'] as const) value(`/involvements/${i}/${key}`, v[key], inItem);
    date(`/involvements/${i}/from`, v.from, inItem);
    date(`/involvements/${i}/to`, v.to, inItem);
  });
  path('/closed/field', m.closed?.field);
  date('/sourceUpdatedAt', m.sourceUpdatedAt);
  return { paths, dates };
}

function ruleIssues(m: Mapping): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const encoding = m.reader.encoding;
  if (encoding !== undefined) {
    try {
      checkEncoding(encoding);
    } catch {
      issues.push({ path: '/reader/encoding', rule: 'encoding', message: 'is not an encoding iconv-lite knows' });
    }
  }
  if (m.parties && (m.parties.columns === undefined) === (m.parties.each === undefined)) {
    issues.push({ path: '/parties', rule: 'parties-form', message: 'needs exactly one of columns or each' });
  }
  for (const [pointer, spec] of [['/name', m.name], ...(m.otherNames ?? []).map((s, i) => [`/otherNames/${i}`, s] as const)] as const) {
    if (spec.full === undefined && spec.surname === undefined) issues.push({ path: pointer, rule: 'name-source', message: 'needs full or surname' });
  }
  const aliases = new Set((m.parties?.columns ?? []).flatMap((c) => Object.keys(c)));
  const named = m.reader.kind === 'fixed-width' ? m.reader.columns.map((c) => c.name) : m.reader.kind === 'csv' ? m.reader.columns : undefined;
  const layout = named ? new Set(named) : null;
  const { paths, dates } = pathUses(m);
  for (const use of paths) {
    const partyField = use.path.startsWith('$party.') ? use.path.slice('$party.'.length).split('.')[0] : undefined;
    if (partyField !== undefined && (use.pointer.startsWith('/parties') || !m.parties)) {
      issues.push({ path: use.pointer, rule: 'party-path', message: '$party. paths need parties and cannot be used to define them' });
    } else if (partyField !== undefined && m.parties?.columns && !aliases.has(partyField)) {
      issues.push({ path: use.pointer, rule: 'party-field', message: `no party column is named "${partyField}"` });
    }
    if (use.path.startsWith('$item.') && !use.inItem) issues.push({ path: use.pointer, rule: 'item-path', message: '$item. paths only work inside an involvement with each' });
    // A layout that names its columns (fixed width, or CSV without a header row) is known here: a column it lacks would read as empty in every record.
    const column = use.path.startsWith('$') ? null : use.path.split('.')[0]!;
    if (column !== null && layout && !layout.has(column)) issues.push({ path: use.pointer, rule: 'layout-column', message: `the reader's columns name no "${column}"` });
  }
  for (const { pointer, spec } of dates) {
    spec.formats.forEach((f, k) => {
      try {
        compileFormat(f);
      } catch (e) {
        issues.push({ path: `${pointer}/formats/${k}`, rule: 'date-format', message: (e as Error).message });
      }
    });
  }
  return issues;
}

/** Validate a parsed mapping document; `file` names it in errors. */
export function validateMapping(doc: unknown, file: string): Mapping {
  const issues = schemaIssues(MappingBody, doc, '');
  if (issues.length === 0) {
    const reader = (doc as { reader: { kind: ReaderOptions['kind'] } }).reader;
    issues.push(...schemaIssues(READER_SCHEMAS[reader.kind], reader, '/reader'));
  }
  if (issues.length > 0) throw new MappingError(file, issues);
  const mapping = doc as Mapping;
  if (!Value.Check(ReaderOptionsUnion, mapping.reader)) throw new MappingError(file, [{ path: '/reader', rule: 'reader', message: 'is not a reader' }]);
  const rules = ruleIssues(mapping);
  if (rules.length > 0) throw new MappingError(file, rules);
  return mapping;
}

/** Parse YAML (or JSON, which YAML reads too) and validate. */
export function parseMapping(text: string, file: string): Mapping {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new MappingError(file, [{ path: '', rule: 'syntax', message: (e as Error).message.split('\n')[0] ?? 'unreadable' }]);
  }
  return validateMapping(doc, file);
}

export async function loadMapping(file: string): Promise<Mapping> {
  return parseMapping(await readFile(file, 'utf8'), file);
}
