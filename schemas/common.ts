/** Small schema pieces every part of the canonical model uses. */
import { Type } from 'typebox';

/** The schema, or null. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/**
 * Free text, or null, in a request body. Null is tried first: the API coerces
 * types, and a null tried against the string first became "". An empty
 * string becomes null in turn, which for free text means the same.
 */
export const NullableText = (options: Parameters<typeof Type.String>[0] = {}) => Type.Union([Type.Null(), Type.String(options)]);

export const IsoDate = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'ISO 8601 date (a day of the calendar: 2026-02-30 is refused)' });

/** A bigint column's id or paging position: beyond this, PostgreSQL would refuse it with a 500 instead of the schema with a 400. */
export const RowId = (options: { minimum: number; default?: number; description?: string }) => Type.Integer({ maximum: Number.MAX_SAFE_INTEGER, ...options });

/** A page of a list paged by key (the review queues, the register's lists, subscriptions): the id after which it starts, and its size. */
export const PageAfterId = RowId({ minimum: 0, default: 0, description: 'page on: the last id seen (0: from the start)' });
export const PageLimit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });
const NEXT = 'present when this page is full, so that there may be more: the `after` of the next page (which may come back empty)';
/** A keyed list's `next`, by id. */
export const PageNextId = Type.Optional(RowId({ minimum: 1, description: NEXT }));
/** A keyed list's `next`, by text key (an agreement id, a citizen reference). */
export const PageNextKey = Type.Optional(Type.String({ description: NEXT }));

/**
 * A UPRN as text: 1 to 12 digits, not all zeros. Leading zeros are allowed
 * (systems pad UPRNs to 12) but counted among the 12, as source extracts
 * have always been checked (adapters/mapping/checks.ts uses this too): a
 * longer string is no UPRN, however many of its digits are zeros.
 */
export const UPRN_TEXT_PATTERN = '^(?=[0-9]{1,12}$)0*[1-9][0-9]*$';

/**
 * A UPRN as written in a path or query: digits only. An integer schema would
 * coerce "1e5", "0x186A0" or " 100000" into some other property's UPRN.
 */
export const UprnText = Type.String({ pattern: UPRN_TEXT_PATTERN, maxLength: 12, description: 'UPRN: 1 to 12 digits, leading zeros included, not 0' });

/** The answer of a route about a citizen to a reference merged into another account: no body, Location names the survivor's URL. */
export const MovedToSurvivor = { 308: Type.Null({ description: "the reference was merged into another account: Location names the same request at the survivor's URL (query kept)" }) };
