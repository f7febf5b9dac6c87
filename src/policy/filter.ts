/**
 * Applies a decision to a built citizen view: denied sections and items are
 * removed before anything is serialised, and the denied categories are listed
 * in `withheld`. A value's provenance names the system that holds a record
 * about the person, which is data of that system's category (being known to
 * social care is social-care data): a linked record is listed only when its
 * system's category is permitted, and provenance names systems only for a
 * caller who may see every category a system's name can disclose. Naming
 * some and not others would tell where the unnamed values came from, so the
 * list of linked records, which names systems and their references, is then
 * withheld whole.
 */
import {
  categoriesOfEntitlement, categoryOfSystem, DATA_CATEGORIES, isDataCategory, systemCategories, type DataCategory,
} from '../../schemas/categories.js';
import { CATEGORY_OF_SECTION, type CitizenView, type Provenance } from '../../schemas/citizen-view.js';
import type { Decision } from './decide.js';

type Section = keyof typeof CATEGORY_OF_SECTION;
const SECTIONS = Object.keys(CATEGORY_OF_SECTION) as Section[];

export function filterView(view: CitizenView, decision: Decision): CitizenView {
  const permitted = new Set<string>(decision.permitted);
  const out: CitizenView = { ...view };
  for (const section of SECTIONS) {
    if (!permitted.has(CATEGORY_OF_SECTION[section])) delete out[section];
  }
  // An item whose category is not one we know is withheld too: deny by default.
  if (out.entitlements) out.entitlements = out.entitlements.filter((e) => entitlementCategories(e).every((c) => permitted.has(c)));
  if (out.involvements) out.involvements = out.involvements.filter((i) => permitted.has(i.category));
  if (out.sourceRecords) out.sourceRecords = out.sourceRecords.filter((r) => permitted.has(categoryOfSystem(r.system)));
  if (!namesSystems(permitted)) {
    unnameSystems(out);
    delete out.sourceRecords;
  }
  // Every denied category is listed, present in this view or not: listing only
  // the ones present would tell the caller what the hidden data is about.
  const withheld = new Set<string>(view.withheld);
  for (const category of DATA_CATEGORIES) if (!permitted.has(category)) withheld.add(category);
  out.withheld = DATA_CATEGORIES.filter((c) => withheld.has(c));
  return out;
}

/**
 * The categories an entitlement discloses, all of which must be permitted: the
 * item's own, those of its kind (a health entitlement granted by a scheme of
 * another category tells that category too) and the special category of the
 * system holding it (decided from the provenance here too, not only from the
 * item's category, which the view was built with). A kind the hub does not
 * know is withheld.
 */
function entitlementCategories(e: NonNullable<CitizenView['entitlements']>[number]): string[] {
  const ofKind = categoriesOfEntitlement(e.entitlement.kind, e.source.system);
  return ofKind.length === 0 ? ['unknown'] : [e.category, ...ofKind];
}

/**
 * Whether a household member may be named to a caller with this decision
 * about the member: only with both their identity and their address, since
 * the household places them at the citizen's address.
 */
export const namesAsMember = (decision: Decision): boolean => decision.permitted.includes('identity') && decision.permitted.includes('address');

/** Whether provenance may name source systems: only when every category a system's name can disclose is permitted. */
export const namesSystems = (permitted: ReadonlySet<string>): boolean => systemCategories().every((c) => permitted.has(c));

const unnamed = <T extends { source: Provenance }>(item: T): T =>
  ({ ...item, source: { system: null, sourceRef: null, asOf: item.source.asOf, verified: item.source.verified } });

/** Replaces, in the filtered copy `out`, every value's provenance with one that names no system. */
function unnameSystems(out: CitizenView): void {
  const identity = out.identity;
  if (identity) {
    out.identity = {
      name: unnamed(identity.name),
      otherNames: identity.otherNames.map(unnamed),
      dateOfBirth: identity.dateOfBirth && unnamed(identity.dateOfBirth),
      sex: identity.sex && unnamed(identity.sex),
      nhsNumber: identity.nhsNumber && unnamed(identity.nhsNumber),
      nino: identity.nino && unnamed(identity.nino),
    };
  }
  if (out.contact) out.contact = out.contact.map(unnamed);
  if (out.addresses) out.addresses = out.addresses.map(unnamed);
  if (out.entitlements) out.entitlements = out.entitlements.map(unnamed);
  if (out.involvements) out.involvements = out.involvements.map(unnamed);
}

/** The systems a view names, in provenance and in its list of linked records. */
function namedSystems(view: CitizenView): Set<string> {
  const systems = new Set<string>();
  const add = (source: Provenance | undefined) => {
    if (source?.system) systems.add(source.system);
  };
  const identity = view.identity;
  if (identity) {
    add(identity.name.source);
    for (const n of identity.otherNames) add(n.source);
    for (const v of [identity.dateOfBirth, identity.sex, identity.nhsNumber, identity.nino]) add(v?.source);
  }
  for (const list of [view.contact, view.addresses, view.entitlements, view.involvements]) for (const item of list ?? []) add(item.source);
  for (const r of view.sourceRecords ?? []) systems.add(r.system);
  return systems;
}

/**
 * The field paths a view discloses, for the audit record: dotted paths with
 * `[]` for array items, leaves that hold a value only. Provenance (`source`)
 * and the policy's own `category` and `withheld` markers are not personal data
 * and are left out; `{ value, source }` wrappers collapse to the value's path.
 */
export function disclosedFields(view: CitizenView): string[] {
  const paths = new Set<string>();
  const { ref: _ref, withheld: _withheld, ...sections } = view;
  walk(sections, '', paths);
  return [...paths].sort();
}

/** The categories the view actually contains data of, counting the systems it names, and `also` (what a match itself told). */
export function disclosedCategories(view: CitizenView, also?: readonly DataCategory[]): DataCategory[] {
  const present = new Set<string>(also);
  for (const section of SECTIONS) {
    const value = view[section];
    if (value !== undefined && (!Array.isArray(value) || value.length > 0)) present.add(CATEGORY_OF_SECTION[section]);
  }
  for (const item of view.entitlements ?? []) {
    for (const category of entitlementCategories(item)) if (isDataCategory(category)) present.add(category);
  }
  for (const item of view.involvements ?? []) {
    if (isDataCategory(item.category)) present.add(item.category);
  }
  for (const system of namedSystems(view)) present.add(categoryOfSystem(system));
  return DATA_CATEGORIES.filter((c) => present.has(c));
}

/**
 * Field paths by parent path and key (array items under ITEMS): views share
 * a few dozen paths, and a remembered string is neither built nor hashed
 * again when added to a set. Bounded, since keys come from the records.
 */
const childPaths = new Map<string, Map<string | typeof ITEMS, string>>();
const ITEMS = Symbol('items');
const CHILD_PATHS = 10_000;
let childPathCount = 0;

function childPath(path: string, key: string | typeof ITEMS): string {
  let children = childPaths.get(path);
  if (children === undefined) {
    children = new Map();
    if (childPathCount < CHILD_PATHS) childPaths.set(path, children);
  }
  let child = children.get(key);
  if (child === undefined) {
    child = key === ITEMS ? `${path}[]` : path === '' ? key : `${path}.${key}`;
    if (childPathCount < CHILD_PATHS) {
      children.set(key, child);
      childPathCount++;
    }
  }
  return child;
}

function walk(value: unknown, path: string, paths: Set<string>): void {
  if (value === null || value === undefined || value === '') return;
  if (Array.isArray(value)) {
    const items = childPath(path, ITEMS);
    for (const item of value) walk(item, items, paths);
    return;
  }
  if (typeof value !== 'object') {
    paths.add(path);
    return;
  }
  const record = value as Record<string, unknown>;
  if ('value' in record && 'source' in record) {
    walk(record.value, path, paths);
    return;
  }
  for (const key in record) {
    if (!Object.hasOwn(record, key) || key === 'source' || key === 'category') continue;
    walk(record[key], childPath(path, key), paths);
  }
}
