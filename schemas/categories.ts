/**
 * Data categories and purposes of the data protection model. Every field of
 * the citizen view belongs to exactly one category; the policy engine decides
 * per category, and removes denied categories before a response is built.
 */
import { Type, type Static } from 'typebox';
import type { ENTITLEMENT_KINDS } from './source-record.js';

export const DATA_CATEGORIES = [
  'identity',
  'contact',
  'address',
  'household',
  'revenues',
  'housing',
  'social-care',
  'health-disability',
  'concessions',
  'service-involvement',
  'safeguarding',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];
export const DataCategory = Type.Enum(DATA_CATEGORIES);

/** UK GDPR Art. 9 special categories: need an Art. 9 condition on the agreement. */
export const SPECIAL_CATEGORIES: ReadonlySet<DataCategory> = new Set(['social-care', 'health-disability']);

/** The built-in purpose vocabulary; HUB_EXTRA_PURPOSES adds to it. */
export const PURPOSES = [
  'contact-centre-enquiry',
  'direct-service-delivery',
  'safeguarding',
  'fraud-prevention',
  'emergency',
  'statistics-research',
] as const;
/**
 * The purposes the hub records its own work under in the audit trail
 * (subject access, the DPO's oversight, stewards' linkage and address work,
 * register changes): no caller states them, so HUB_EXTRA_PURPOSES may not
 * add them, or reads for them would be mistaken for that work.
 */
export const HUB_PURPOSES = ['subject-access', 'data-protection-oversight', 'data-stewardship', 'register-maintenance'] as const;
/** What a purpose name is: lower-case letters, digits and hyphens, 2 to 64 characters. */
export const PURPOSE_PATTERN = '^[a-z][a-z0-9-]{1,63}$';
export const Purpose = Type.String({ pattern: PURPOSE_PATTERN });
export type Purpose = Static<typeof Purpose>;

/**
 * The category of the fact that a source system holds a record about someone:
 * being known to social care is social-care data. A council's own system
 * has the category its mapping file gives (`category`, put in force by
 * useSystemCategories when the hub starts); any other is service involvement.
 */
const SYSTEM_CATEGORY: Readonly<Record<string, DataCategory>> = { revenues: 'revenues', housing: 'housing', 'social-care': 'social-care', smartcard: 'concessions' };

/** The categories a mapping file may give its system: what being known to a service can tell, not who someone is or where they live. */
export const SYSTEM_CATEGORY_CHOICES = [
  'revenues', 'housing', 'social-care', 'health-disability', 'concessions', 'service-involvement', 'safeguarding',
] as const satisfies readonly DataCategory[];
export type SystemCategory = (typeof SYSTEM_CATEGORY_CHOICES)[number];

/** The shipped systems' categories, which a council's mapping of one of them may not change. */
export const shippedSystemCategory = (system: string): DataCategory | undefined => (Object.hasOwn(SYSTEM_CATEGORY, system) ? SYSTEM_CATEGORY[system] : undefined);

/**
 * The council's own systems' categories. Configuration, read by the policy
 * engine the way it reads the data categories: set once when the hub starts,
 * from the same checked MAPPING_FILES as the systems themselves.
 */
let ownSystemCategory: ReadonlyMap<string, DataCategory> = new Map();
const listed = (): readonly DataCategory[] => [...new Set([...Object.values(SYSTEM_CATEGORY), ...ownSystemCategory.values(), 'service-involvement' as const])];
/** Kept, since every read asks it. */
let categoriesOfSystems = listed();

/** Puts the council's own systems' categories in force, in place of any before; a shipped system keeps its own. */
export function useSystemCategories(categories: Readonly<Record<string, SystemCategory>>): void {
  ownSystemCategory = new Map(Object.entries(categories).filter(([system]) => !Object.hasOwn(SYSTEM_CATEGORY, system)));
  categoriesOfSystems = listed();
}

export const categoryOfSystem = (system: string): DataCategory => shippedSystemCategory(system) ?? ownSystemCategory.get(system) ?? 'service-involvement';

/** Every category that naming a source system can disclose. */
export const systemCategories = (): readonly DataCategory[] => categoriesOfSystems;

type EntitlementKind = (typeof ENTITLEMENT_KINDS)[number];

/**
 * The category of each kind of entitlement. One that reveals a disability or
 * another health condition is health data (Art. 9), whichever scheme grants
 * it: health-disability, so shown only under an Art. 9 condition. Being a
 * carer is known from social care's carers' assessments: social-care.
 */
const ENTITLEMENT_CATEGORY: Readonly<Record<EntitlementKind, DataCategory>> = {
  disability: 'health-disability',
  'blue-badge': 'health-disability',
  'older-person-concession': 'concessions',
  'disabled-person-concession': 'health-disability',
  'council-tax-reduction': 'revenues',
  'single-person-discount': 'revenues',
  'disability-reduction': 'health-disability',
  'housing-benefit': 'housing',
  'free-school-meals': 'service-involvement',
  carer: 'social-care',
  other: 'service-involvement',
};

/**
 * Health entitlements granted by a scheme of another category: the kind
 * itself tells that the person is in that scheme (a council tax disability
 * reduction is a council tax account), so it is shown only when that
 * category is permitted too. The entitlement still belongs to one category,
 * its own; this only withholds it more.
 */
const ENTITLEMENT_SCHEME: Readonly<Partial<Record<EntitlementKind, DataCategory>>> = {
  'disability-reduction': 'revenues',
  'disabled-person-concession': 'concessions',
};

/**
 * The special category of what `system` holds, or null: every entitlement
 * social care holds is social-care data (an award of kind `other` from it
 * tells that social care provides for the person), whatever its kind says.
 */
const specialOfSystem = (system: string | null): DataCategory | null => {
  const held = system === null ? null : categoryOfSystem(system);
  return held !== null && SPECIAL_CATEGORIES.has(held) ? held : null;
};

/**
 * The category of an entitlement of this kind held by `system`: its kind's,
 * unless that is not special and the system's is (an `other` from social
 * care is social-care, not service-involvement).
 */
export function categoryOfEntitlement(kind: EntitlementKind, system: string): DataCategory {
  const ofKind = ENTITLEMENT_CATEGORY[kind];
  return SPECIAL_CATEGORIES.has(ofKind) ? ofKind : (specialOfSystem(system) ?? ofKind);
}

/**
 * Every category that must be permitted for an entitlement of this kind held
 * by `system` (null: a provenance that names none) to be shown, its own
 * first: its kind's, its scheme's and its system's special category; none for
 * a kind the hub does not know.
 */
export function categoriesOfEntitlement(kind: string, system: string | null): DataCategory[] {
  if (!Object.hasOwn(ENTITLEMENT_CATEGORY, kind)) return [];
  const known = kind as EntitlementKind;
  const own = system === null ? ENTITLEMENT_CATEGORY[known] : categoryOfEntitlement(known, system);
  return [...new Set([own, ENTITLEMENT_CATEGORY[known], ENTITLEMENT_SCHEME[known], specialOfSystem(system)].filter((c): c is DataCategory => c != null))];
}

export function isDataCategory(value: string): value is DataCategory {
  return (DATA_CATEGORIES as readonly string[]).includes(value);
}
