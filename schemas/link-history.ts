/**
 * One entry of a citizen's link history in a subject access export: an
 * event of the account (created, a record linked or unlinked, accounts
 * merged or split, an emptied account closed) or a data steward's decision
 * that two are not the same person. Every entry has every field, null where
 * it does not apply.
 */
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

export const LINK_HISTORY_KINDS = ['create', 'link', 'unlink', 'merge', 'split', 'close', 'distinct'] as const;

export const LinkHistoryEntry = Type.Object({
  citizenRef: Nullable(Type.String({ description: 'the account the event is of; for distinct, the citizen the record was declared not to be' })),
  kind: Type.Enum(LINK_HISTORY_KINDS, {
    description: "an account's event (close: emptied of its records, kept with its register records instead of merged), or distinct: a steward decided the record is not the same person as the citizen (or the other record)",
  }),
  otherRef: Nullable(Type.String({ description: 'the other account of a merge or split; close: the account its last record went to' })),
  system: Nullable(Type.String()),
  sourceRef: Nullable(Type.String({ description: 'the record linked, unlinked, split off or declared distinct' })),
  otherSystem: Nullable(Type.String()),
  otherSourceRef: Nullable(Type.String({ description: 'distinct: the record it was compared with, when the steward named one' })),
  clientId: Nullable(Type.Integer({ description: 'the API client that acted or decided; null for the matching model' })),
  reason: Type.String(),
  at: Type.String({ format: 'date-time' }),
  revokedAt: Nullable(Type.String({ format: 'date-time', description: 'distinct: when a later decision on the same question replaced it' })),
});
export type LinkHistoryEntry = Static<typeof LinkHistoryEntry>;
