/**
 * The mapping engine: one read record in, one canonical SourceRecord per
 * person in it out (or a reject naming the field and rule). Values that are
 * wrong but not fatal (an invalid NI number, an unparseable date of birth)
 * are kept raw, marked invalid and reported as warnings on the record.
 */
import { Compile } from 'typebox/compile';
import type { ReadRecord } from '../readers/index.js';
import {
  SourceRecord,
  type Contact,
  type Entitlement,
  type Identifier,
  type PersonName,
  type RecordWarning,
  type ServiceInvolvement,
  type SourceAddress,
} from '../../schemas/source-record.js';
import { checkPostcode, checkUprn, defaultChecks, type Checks } from './checks.js';
import { parseDate, parseDateTime } from './dates.js';
import type { Mapping } from './load.js';
import { splitName } from './names.js';
import { find, texts, type Scope } from './paths.js';
import type { AddressSpec, DateSpec, EntitlementSpec, InvolvementSpec, NameSpec, OtherNameSpec, ValueSpec } from './schema.js';

export interface MapReject {
  field: string;
  rule: string;
  message: string;
  /**
   * The rejected record's source reference (a party's, with its suffix),
   * when it could be read: so that its source can find the record to fix.
   */
  sourceRef?: string;
}

export type MapResult = { record: SourceRecord } | { reject: MapReject };

export interface MapOptions {
  /** Identifier rules; matching/identifiers by default. */
  checks?: Checks;
  /** ISO date used to refuse dates of birth in the future; the engine has no clock of its own. */
  today?: string;
}

const validRecord = Compile(SourceRecord);

/**
 * The most characters one mapped value may hold, and all of a person's
 * mapped values together. Far above what councils' systems hold (the
 * Government Data Standards Catalogue gives 35 characters a name part or an
 * address line; BS 7666 at most 100 a street name; an email at most 254), and
 * far below what PostgreSQL can index (2,704 bytes a key): a longer value is
 * a broken or hostile extract, and is a reject naming its field, never stored
 * to wedge matching or linkage later.
 */
export const LIMITS = {
  /** A name, or one part of it (title, forenames, surname, suffix). */
  name: 200,
  /** The source reference and identifiers (the canonical sourceRef allows 200 too). */
  identifier: 200,
  /** Any other value: an address line, a postcode, a contact, a code, a date, a service. */
  value: 500,
  /** Every value mapped for one person, added up. */
  record: 50_000,
} as const;

class Rejected extends Error {
  constructor(readonly reject: MapReject) {
    super(reject.message);
  }
}

/** A list, or an object that is not an XML element's text and attributes: what no single value can be read from. */
const isCompound = (value: unknown): boolean =>
  Array.isArray(value) || (typeof value === 'object' && value !== null && Object.keys(value).some((key) => key !== '#text' && !key.startsWith('@')));

const tooLong = (field: string, limit: number): Rejected => new Rejected({ field, rule: 'too-long', message: `at most ${limit} characters` });

/** Per-record state: the scope values are read from, the warnings gathered and the characters mapped so far. */
class Context {
  constructor(
    readonly scope: Scope,
    readonly warnings: RecordWarning[] = [],
    private readonly mapped = { chars: 0 },
  ) {}

  warn(field: string, rule: string, message: string): void {
    this.warnings.push({ field, message, rule });
  }

  /** The texts at a path, each within `limit` characters and the record within its own (else the record is rejected). */
  texts(path: string, limit: number = LIMITS.value): { values: string[]; label: string } {
    const found = texts(this.scope, path);
    for (const v of found.values) {
      if (v.length > limit) throw tooLong(found.label, limit);
      this.mapped.chars += v.length;
      if (this.mapped.chars > LIMITS.record) throw new Rejected({ field: found.label, rule: 'too-large', message: `the record's values together: at most ${LIMITS.record} characters` });
    }
    return found;
  }

  /**
   * The one value at a path the mapping reads as one (a reference, a date, a
   * code). Several values, or a list or object, are refused: taking the first,
   * or reading an object as missing, would change the record silently.
   */
  first(path: string, limit: number = LIMITS.value): { value: string | null; label: string } {
    const { values, label } = find(this.scope, path);
    if (values.length > 1 || (values.length === 1 && isCompound(values[0]))) {
      throw new Rejected({ field: label, rule: 'not-a-single-value', message: 'a list or an object where the mapping reads one value' });
    }
    const found = this.texts(path, limit);
    return { value: found.values[0] ?? null, label: found.label };
  }

  value(spec: ValueSpec | undefined, limit: number = LIMITS.value): { value: string | null; label: string } {
    if (spec === undefined) return { value: null, label: '' };
    if (typeof spec !== 'string') return { value: spec.const, label: 'const' };
    return this.first(spec, limit);
  }

  date(spec: DateSpec | undefined, what = 'date'): { value: string | null; label: string } {
    if (!spec) return { value: null, label: '' };
    const { value, label } = this.first(spec.field);
    if (value === null) return { value: null, label };
    const parsed = parseDate(value, spec.formats);
    if (parsed.ok) return { value: parsed.value, label };
    this.warn(label, parsed.rule, `${what} is not a ${parsed.rule === 'date-format' ? 'date in the stated formats' : 'real calendar date'}`);
    return { value: null, label };
  }

  /**
   * A period's start and end; an end before the start (a card that expires before it was issued) is kept, as the
   * source gave it, and warned of once per pair of fields, since one row's dates often serve several periods.
   */
  period(fromSpec: DateSpec | undefined, toSpec: DateSpec | undefined): { from: string | null; to: string | null } {
    const from = this.date(fromSpec);
    const to = this.date(toSpec);
    if (from.value !== null && to.value !== null && to.value < from.value) {
      const message = `ends before it starts: the date is earlier than ${from.label}`;
      if (!this.warnings.some((w) => w.field === to.label && w.rule === 'ends-before-start' && w.message === message)) this.warn(to.label, 'ends-before-start', message);
    }
    return { from: from.value, to: to.value };
  }

  within(item: { node: unknown; label: string }): Context {
    return new Context({ ...this.scope, item }, this.warnings, this.mapped);
  }
}

function buildName(ctx: Context, spec: NameSpec | OtherNameSpec, kind: PersonName['kind']): PersonName | null {
  if (spec.full !== undefined) {
    const { value, label } = ctx.value(spec.full, LIMITS.name);
    if (value === null) return null;
    const split = splitName(value, spec.order);
    if (!split) throw new Rejected({ field: label, rule: 'name-unparseable', message: 'no surname could be found in the name' });
    return { forenames: split.forenames, kind, raw: value, suffix: split.suffix, surname: split.surname, title: split.title };
  }
  const { value: surname, label: surnameLabel } = ctx.value(spec.surname, LIMITS.name);
  const forenameSpec = spec.forenames;
  const forenames = typeof forenameSpec === 'string' ? ctx.texts(forenameSpec, LIMITS.name).values.flatMap((v) => v.split(/\s+/)) : forenameSpec ? forenameSpec.const.split(/\s+/) : [];
  if (surname === null) {
    if (forenames.length === 0) return null;
    throw new Rejected({ field: surnameLabel, rule: 'required', message: 'a name without a surname' });
  }
  const title = ctx.value(spec.title, LIMITS.name).value;
  const suffix = ctx.value(spec.suffix, LIMITS.name).value;
  return { forenames, kind, raw: null, suffix: suffix?.toUpperCase() ?? null, surname, title: title?.replace(/\./g, '').toUpperCase() ?? null };
}

function buildIdentifiers(ctx: Context, mapping: Mapping, checks: Checks): Identifier[] {
  const out: Identifier[] = [];
  for (const spec of mapping.identifiers ?? []) {
    const { values, label } = ctx.texts(spec.field, LIMITS.identifier);
    for (const raw of values) {
      const checked = spec.scheme === 'nhs-number' ? checks.nhsNumber(raw) : spec.scheme === 'nino' ? checks.nino(raw) : { value: raw, valid: true, rule: null };
      if (!checked.valid) ctx.warn(label, checked.rule ?? spec.scheme, `${spec.scheme} is not valid; kept but never used as match evidence`);
      out.push({ raw, scheme: spec.scheme, valid: checked.valid, value: checked.value });
    }
  }
  return out;
}

function buildContacts(ctx: Context, mapping: Mapping, checks: Checks): Contact[] {
  const out: Contact[] = [];
  for (const spec of mapping.contacts ?? []) {
    const { values, label } = ctx.texts(spec.field);
    for (const raw of values) {
      const checked = spec.kind === 'phone' ? checks.phone(raw) : checks.email(raw);
      if (!checked.valid) ctx.warn(label, checked.rule ?? spec.kind, `${spec.kind} is not valid`);
      out.push({ kind: spec.kind, raw, use: spec.use ?? null, valid: checked.valid, value: checked.value });
    }
  }
  return out;
}

function buildAddress(ctx: Context, spec: AddressSpec): SourceAddress | null {
  const lines = spec.lines.flatMap((p) => ctx.texts(p).values);
  const postcodeText = spec.postcode ? ctx.first(spec.postcode) : null;
  let postcode: string | null = null;
  if (postcodeText?.value) {
    const checked = checkPostcode(postcodeText.value);
    if (!checked.valid) ctx.warn(postcodeText.label, checked.rule ?? 'postcode', 'postcode is not a valid UK postcode');
    postcode = checked.value;
  }
  let uprn: number | null = null;
  const uprnText = spec.uprn ? ctx.first(spec.uprn) : null;
  if (uprnText?.value) {
    const checked = checkUprn(uprnText.value);
    if (checked.rule) ctx.warn(uprnText.label, checked.rule, 'UPRN is not a 1 to 12 digit number');
    uprn = checked.value;
  }
  const crossReference = spec.crossReference ? ctx.first(spec.crossReference, LIMITS.identifier).value : null;
  if (lines.length === 0 && postcode === null && uprn === null) return null;
  // Dates read in the order the fields were read before, so that warnings keep their order.
  const { from, to } = ctx.period(spec.from, spec.to);
  return { crossReference, from, kind: spec.kind, lines: spec.join !== undefined && lines.length > 0 ? [lines.join(spec.join)] : lines, postcode, to, uprn };
}

// Built once per mapping, not once per record.
const codeTables = new WeakMap<EntitlementSpec, { codes: Map<string, EntitlementSpec['codes'][string]>; ignore: Set<string> }>();
function entitlementCodes(spec: EntitlementSpec): { codes: Map<string, EntitlementSpec['codes'][string]>; ignore: Set<string> } {
  let tables = codeTables.get(spec);
  if (!tables) {
    tables = { codes: new Map(Object.entries(spec.codes).map(([code, entry]) => [code.toUpperCase(), entry])), ignore: new Set((spec.ignore ?? []).map((c) => c.toUpperCase())) };
    codeTables.set(spec, tables);
  }
  return tables;
}

function buildEntitlements(ctx: Context, spec: EntitlementSpec): Entitlement[] {
  const { values, label } = ctx.texts(spec.field);
  const { codes, ignore } = entitlementCodes(spec);
  const out: Entitlement[] = [];
  const found = values.flatMap((v) => (spec.separator ? v.split(spec.separator) : [v])).map((c) => c.trim());
  // The row's dates and method serve every code on it: read once, so that a bad date is warned about once, not per code.
  let shared: { verifiedOn: string | null; method: string | null; from: string | null; to: string | null } | undefined;
  for (const code of found) {
    const key = code.toUpperCase();
    if (code === '' || ignore.has(key)) continue;
    const entry = codes.get(key);
    if (!entry) {
      ctx.warn(label, 'unknown-code', 'a code the mapping does not list; no entitlement recorded');
      continue;
    }
    shared ??= { verifiedOn: ctx.date(spec.verifiedOn, 'verification date').value, method: ctx.value(spec.method).value, ...ctx.period(spec.from, spec.to) };
    const { verifiedOn, from, to } = shared;
    const method = shared.method ?? entry.method ?? null;
    const verified = spec.verified === 'always' || (spec.verified !== 'never' && (verifiedOn !== null || method !== null));
    out.push({ code: key, evidence: { method, verified, verifiedOn }, from, kind: entry.kind, to });
  }
  return out;
}

function buildInvolvements(ctx: Context, spec: InvolvementSpec, closed: boolean): ServiceInvolvement[] {
  const one = (c: Context): ServiceInvolvement | null => {
    const service = c.value(spec.service).value;
    const reference = c.value(spec.reference, LIMITS.identifier).value;
    if (service === null || reference === null) return null;
    const { from, to } = c.period(spec.from, spec.to);
    const ended = closed || (spec.closedIfEnded === true && to !== null);
    return { from, reference, role: c.value(spec.role).value, service, status: ended ? 'closed' : 'open', to };
  };
  if (spec.each === undefined) {
    const v = one(ctx);
    return v ? [v] : [];
  }
  const { values, label } = find(ctx.scope, spec.each);
  const out: ServiceInvolvement[] = [];
  values.forEach((node, i) => {
    const v = one(ctx.within({ node, label: `${label}[${i + 1}]` }));
    if (v) out.push(v);
  });
  return out;
}

/**
 * An other name that says nothing the name does not: the same surname with
 * no forenames, title or suffix of its own, or the same ones. An alias mapped
 * from a preferred forename and the family name is such a name when the
 * preferred forename is absent, and is then no alias at all.
 */
function addsNothing(other: PersonName, name: PersonName): boolean {
  const same = (a: string | null, b: string | null) => a === null || a === b;
  return other.surname === name.surname && same(other.title, name.title) && same(other.suffix, name.suffix)
    && (other.forenames.length === 0 || other.forenames.join(' ') === name.forenames.join(' '));
}

function isClosed(ctx: Context, mapping: Mapping): boolean {
  if (!mapping.closed) return false;
  const status = ctx.first(mapping.closed.field).value?.toUpperCase();
  return status !== undefined && mapping.closed.values.some((v) => v.toUpperCase() === status);
}

function buildRecord(mapping: Mapping, scope: Scope, sourceRef: string, options: MapOptions): SourceRecord | null {
  const checks = options.checks ?? defaultChecks;
  const ctx = new Context(scope);
  const name = buildName(ctx, mapping.name, 'current');
  if (!name) return null;
  const names = [name];
  for (const spec of mapping.otherNames ?? []) {
    const other = buildName(ctx, spec, spec.kind);
    if (other && !addsNothing(other, name)) names.push(other);
  }

  let dateOfBirth: string | null = null;
  let dateOfBirthRaw: string | null = null;
  if (mapping.dateOfBirth) {
    const { value, label } = ctx.first(mapping.dateOfBirth.field);
    dateOfBirthRaw = value;
    if (value !== null) {
      const parsed = parseDate(value, mapping.dateOfBirth.formats);
      if (!parsed.ok) ctx.warn(label, parsed.rule, 'date of birth is not a date in the stated formats');
      else {
        const rule = checks.dateOfBirth(parsed.value, options.today);
        if (rule.valid) dateOfBirth = parsed.value;
        else ctx.warn(label, rule.rule ?? 'date-of-birth', 'date of birth is outside the plausible range');
      }
    }
  }

  let sex: SourceRecord['sex'] = null;
  if (mapping.sex) {
    const { value, label } = ctx.first(mapping.sex.field);
    const codes = new Map(Object.entries(mapping.sex.codes).map(([k, v]) => [k.toUpperCase(), v]));
    if (value !== null) {
      sex = codes.get(value.toUpperCase()) ?? null;
      if (sex === null) ctx.warn(label, 'unknown-code', 'a sex code the mapping does not list');
    }
  }

  const closed = isClosed(ctx, mapping);
  let sourceUpdatedAt: string | null = null;
  if (mapping.sourceUpdatedAt) {
    const { value, label } = ctx.first(mapping.sourceUpdatedAt.field);
    if (value !== null) {
      const parsed = parseDateTime(value, mapping.sourceUpdatedAt.formats);
      if (parsed.ok) sourceUpdatedAt = parsed.value;
      else ctx.warn(label, parsed.rule, 'update time is not in the stated formats');
    }
  }

  const identifiers = buildIdentifiers(ctx, mapping, checks);
  const contacts = buildContacts(ctx, mapping, checks);
  const addresses = (mapping.addresses ?? []).map((a) => buildAddress(ctx, a)).filter((a): a is SourceAddress => a !== null);
  const entitlements = (mapping.entitlements ?? []).flatMap((e) => buildEntitlements(ctx, e));
  const involvements = (mapping.involvements ?? []).flatMap((v) => buildInvolvements(ctx, v, closed));
  // Keys in sorted order here and in every part, so that the stored canonical JSON is JSON.stringify's (src/intake/store.ts).
  const record: SourceRecord = {
    addresses,
    closed,
    contacts,
    dateOfBirth,
    dateOfBirthRaw,
    entitlements,
    identifiers,
    involvements,
    names,
    sex,
    sourceRef,
    sourceUpdatedAt,
    system: mapping.system,
    warnings: ctx.warnings,
  };
  return record;
}

const NUL = '\u0000';

/**
 * The label of the first field holding NUL (or of the element whose field
 * name holds it), in the mapping's form (Tenant[2].NINO), or null. Iterative,
 * so that deep XML cannot overflow the stack.
 */
function nulField(fields: Record<string, unknown>): string | null {
  const stack: { node: unknown; label: string }[] = [{ node: fields, label: '' }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { node, label } = top;
    if (typeof node === 'string') {
      if (node.includes(NUL)) return label || '(record)';
    } else if (Array.isArray(node)) {
      node.forEach((child, i) => stack.push({ node: child, label: `${label}[${i + 1}]` }));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes(NUL)) return label || '(record)';
        // An element's text is reported as the element, as mapping paths name it.
        stack.push({ node: child, label: key === '#text' ? label : label ? `${label}.${key}` : key });
      }
    }
  }
  return null;
}

/** An XML character reference to NUL (`&#0;`, `&#x00;`): the XML reader decodes it into the field. */
const NUL_REFERENCE = /&#(?:0+|x0+);/;

/**
 * Where a read record holds NUL, which PostgreSQL text cannot: a field's
 * label, "(record)" when only the raw text holds it, or null. Fields are
 * walked only when the raw text holds NUL or a way of writing it (JSON raw
 * text is written escaped, XML may hold a character reference), which
 * nearly no record does.
 */
function nulIn(item: ReadRecord): string | null {
  const literal = item.raw.includes(NUL);
  if (!literal && !item.raw.includes('\\u0000') && !NUL_REFERENCE.test(item.raw)) return null;
  return nulField(item.fields) ?? (literal ? '(record)' : null);
}

/** The people in one read record: one scope per party, with its sourceRef suffix. */
function partiesOf(mapping: Mapping, root: Record<string, unknown>): { scope: Scope; suffix: string }[] {
  const parties = mapping.parties;
  if (parties?.columns) return parties.columns.map((partyColumns, i) => ({ scope: { root, partyColumns }, suffix: `-${i + 1}` }));
  if (parties?.each) {
    const { values, label } = find({ root }, parties.each);
    return values.map((node, i) => ({ scope: { root, party: { node, label: `${label}[${i + 1}]` } }, suffix: `-${i + 1}` }));
  }
  return [{ scope: { root }, suffix: '' }];
}

/**
 * Map one read record. A record naming several people (LIABLE_PARTY_1 and
 * _2, several Tenant elements) gives one result per named person, each with
 * the party's position appended to the sourceRef ("-1", "-2"), so that a
 * party keeps its reference when another is added or removed beside it.
 */
export function mapRecord(mapping: Mapping, item: ReadRecord, options: MapOptions = {}): MapResult[] {
  const nul = nulIn(item);
  if (nul !== null) {
    return [{ reject: withRef({ field: nul, rule: 'nul-character', message: 'must not contain the NUL character (U+0000), which cannot be stored' }, sourceRefOf(mapping, item.fields)) }];
  }
  let ref: { value: string | null; label: string };
  try {
    ref = new Context({ root: item.fields }).first(mapping.sourceRef, LIMITS.identifier);
  } catch (e) {
    if (!(e instanceof Rejected)) throw e;
    return [{ reject: e.reject }];
  }
  if (ref.value === null) return [{ reject: { field: ref.label, rule: 'required', message: 'the source reference is missing' } }];
  const results: MapResult[] = [];
  for (const { scope, suffix } of partiesOf(mapping, item.fields)) {
    const sourceRef = `${ref.value}${suffix}`;
    try {
      const record = buildRecord(mapping, scope, sourceRef, options);
      if (!record) continue;
      // Check first: listing errors costs far more, and nearly every record has none.
      const error = validRecord.Check(record) ? undefined : validRecord.Errors(record)[0];
      results.push(error
        ? { reject: withRef({ field: error.instancePath, rule: error.keyword, message: `mapped record is not canonical: ${error.message}` }, sourceRef) }
        : { record });
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      results.push({ reject: withRef(e.reject, sourceRef) });
    }
  }
  if (results.length === 0) return [{ reject: { field: mapping.parties ? 'parties' : 'name', rule: 'required', message: 'the record names nobody', sourceRef: ref.value } }];
  return results;
}

const withRef = (reject: MapReject, sourceRef: string | null): MapReject => (sourceRef === null ? reject : { ...reject, sourceRef });

/**
 * A read record's source reference (a row's, without a party's suffix), for
 * a reject of the whole record: null unless it reads as the mapping reads
 * it, one value of at most LIMITS.identifier characters, holding neither
 * NUL nor U+FFFD (bytes that were not text: not the reference its source
 * holds).
 */
export function sourceRefOf(mapping: Mapping, fields: Record<string, unknown>): string | null {
  try {
    const { value } = new Context({ root: fields }).first(mapping.sourceRef, LIMITS.identifier);
    return value !== null && !value.includes(NUL) && !value.includes('\uFFFD') ? value : null;
  } catch (e) {
    if (!(e instanceof Rejected)) throw e;
    return null;
  }
}
