/**
 * Data categories and purposes of the data protection model. Every field of
 * the citizen view belongs to exactly one category; the policy engine decides
 * per category, and removes denied categories before a response is built.
 */
import { Type, type Static } from 'typebox';

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
export const Purpose = Type.String({ pattern: '^[a-z][a-z0-9-]{1,63}$' });
export type Purpose = Static<typeof Purpose>;

/**
 * The category of the fact that a source system holds a record about someone:
 * being known to social care is social-care data. Systems not named here are
 * service involvement.
 */
const SYSTEM_CATEGORY: Readonly<Record<string, DataCategory>> = { revenues: 'revenues', housing: 'housing', 'social-care': 'social-care', smartcard: 'concessions' };
export const categoryOfSystem = (system: string): DataCategory => (Object.hasOwn(SYSTEM_CATEGORY, system) ? SYSTEM_CATEGORY[system]! : 'service-involvement');

/** Every category that naming a source system can disclose. */
export const SYSTEM_CATEGORIES: readonly DataCategory[] = [...new Set([...Object.values(SYSTEM_CATEGORY), 'service-involvement' as const])];

export function isDataCategory(value: string): value is DataCategory {
  return (DATA_CATEGORIES as readonly string[]).includes(value);
}
