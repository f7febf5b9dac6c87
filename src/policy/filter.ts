/**
 * Applies a decision to a built citizen view: denied sections and items are
 * removed before anything is serialised, and the denied categories are listed
 * in `withheld`.
 */
import { DATA_CATEGORIES, isDataCategory, type DataCategory } from '../../schemas/categories.js';
import { CATEGORY_OF_SECTION, type CitizenView } from '../../schemas/citizen-view.js';
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
  if (out.entitlements) out.entitlements = out.entitlements.filter((e) => permitted.has(e.category));
  if (out.involvements) out.involvements = out.involvements.filter((i) => permitted.has(i.category));
  // Every denied category is listed, present in this view or not: listing only
  // the ones present would tell the caller what the hidden data is about.
  const withheld = new Set<string>(view.withheld);
  for (const category of DATA_CATEGORIES) if (!permitted.has(category)) withheld.add(category);
  out.withheld = DATA_CATEGORIES.filter((c) => withheld.has(c));
  return out;
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

/** The categories the view actually contains data of. */
export function disclosedCategories(view: CitizenView): DataCategory[] {
  const present = new Set<string>();
  for (const section of SECTIONS) {
    const value = view[section];
    if (value !== undefined && (!Array.isArray(value) || value.length > 0)) present.add(CATEGORY_OF_SECTION[section]);
  }
  for (const item of [...(view.entitlements ?? []), ...(view.involvements ?? [])]) {
    if (isDataCategory(item.category)) present.add(item.category);
  }
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
