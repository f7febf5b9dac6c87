/**
 * Citizen accounts and their links, with history: links are ended, never
 * deleted; a merged account points at its survivor (always one hop: when a
 * survivor is merged in turn, everything pointing at it moves on too); every
 * change writes a citizen_event naming who (a client, or the model) and why.
 */
import type pg from 'pg';
import { citizenChanged } from '../publish/outbox.js';
import { recordKey } from './features.js';
import { citizenRef } from './reference.js';

export type LinkedBy = 'model' | 'steward' | 'identifier';

export interface Actor {
  /** The steward's client, or null for the model. */
  clientId: number | null;
  reason: string;
}

export const MODEL: Actor = { clientId: null, reason: 'model' };

async function event(
  db: pg.PoolClient, citizenId: number, kind: 'create' | 'link' | 'unlink' | 'merge' | 'split' | 'close', actor: Actor,
  extra: { other?: number | null; system?: string; sourceRef?: string } = {},
): Promise<void> {
  await db.query(
    'INSERT INTO citizen_event (citizen_id, kind, other_citizen, system, source_ref, client_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [citizenId, kind, extra.other ?? null, extra.system ?? null, extra.sourceRef ?? null, actor.clientId, actor.reason],
  );
}

/**
 * Numbers of a sequence taken in blocks, one round trip per block, kept per
 * connection (so per database). A number taken and not used (the connection
 * ends) is simply never issued: references and ids are never reused, and
 * need not be dense.
 */
function sequenceStock(sql: string, block: number) {
  const stocks = new WeakMap<pg.PoolClient, number[]>();
  // Largest first: pop() hands them out in ascending order.
  const take = async (db: pg.PoolClient, n: number) => (await db.query<{ n: string }>(sql, [n])).rows.map((r) => Number(r.n)).reverse();
  return {
    async next(db: pg.PoolClient): Promise<number> {
      let stock = stocks.get(db);
      if (!stock || stock.length === 0) stocks.set(db, (stock = await take(db, block)));
      return stock.pop() as number;
    },
    /** At least `n` numbers in stock, so that the next `n` need no round trip. */
    async reserve(db: pg.PoolClient, n: number): Promise<void> {
      const stock = stocks.get(db) ?? [];
      if (stock.length < n) stocks.set(db, [...(await take(db, n - stock.length)), ...stock]);
    },
  };
}

const refNumbers = sequenceStock("SELECT nextval('citizen_ref_seq') AS n FROM generate_series(1, $1)", 64);
/** Ids for accounts queued before they are written (BatchLinkStore), so that records can be linked to them at once. */
const citizenIds = sequenceStock("SELECT nextval(pg_get_serial_sequence('citizen', 'id')) AS n FROM generate_series(1, $1)", 256);

export const nextRefNumber = (db: pg.PoolClient): Promise<number> => refNumbers.next(db);
export const nextCitizenId = (db: pg.PoolClient): Promise<number> => citizenIds.next(db);

/** Ids and reference numbers in stock for `n` new accounts, taken now rather than while later statements are running. */
export async function reserveAccounts(db: pg.PoolClient, n: number): Promise<void> {
  await refNumbers.reserve(db, n);
  await citizenIds.reserve(db, n);
}

const CREATE = `
  WITH c AS (INSERT INTO citizen (ref) VALUES ($1) RETURNING id),
       e AS (INSERT INTO citizen_event (citizen_id, kind, client_id, reason) SELECT id, 'create', $2, $3 FROM c)
  SELECT id FROM c`;

const CREATE_WITH_RECORD = `
  WITH c AS (INSERT INTO citizen (ref) VALUES ($1) RETURNING id),
       e AS (INSERT INTO citizen_event (citizen_id, kind, client_id, reason) SELECT id, 'create', $2, $3 FROM c),
       l AS (INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by) SELECT id, $4, $5, $6 FROM c),
       le AS (INSERT INTO citizen_event (citizen_id, kind, system, source_ref, client_id, reason) SELECT id, 'link', $4, $5, $2, $3 FROM c)
  SELECT id FROM c`;

/** A new account; with `record`, the record is linked to it in the same statement. */
export async function createCitizen(db: pg.PoolClient, actor: Actor, record?: { system: string; sourceRef: string; linkedBy: LinkedBy }): Promise<number> {
  const ref = citizenRef(await nextRefNumber(db));
  const { rows } = record
    ? await db.query<{ id: string }>(CREATE_WITH_RECORD, [ref, actor.clientId, actor.reason, record.system, record.sourceRef, record.linkedBy])
    : await db.query<{ id: string }>(CREATE, [ref, actor.clientId, actor.reason]);
  return citizenChanged(db, Number(rows[0]!.id), 'citizen.created');
}

export async function currentLink(db: pg.PoolClient | pg.Pool, system: string, sourceRef: string): Promise<{ citizenId: number; linkedBy: LinkedBy } | null> {
  const row = (await db.query<{ citizen_id: string; linked_by: LinkedBy }>(
    'SELECT citizen_id, linked_by FROM citizen_link WHERE system = $1 AND source_ref = $2 AND ended_at IS NULL', [system, sourceRef],
  )).rows[0];
  return row ? { citizenId: Number(row.citizen_id), linkedBy: row.linked_by } : null;
}

/** A record linked to an account, with its event. */
const LINK_SQL = `
  WITH l AS (INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by, weight) VALUES ($1, $2, $3, $4, $5))
  INSERT INTO citizen_event (citizen_id, kind, system, source_ref, client_id, reason) VALUES ($1, 'link', $2, $3, $6, $7)`;

export async function linkRecord(
  db: pg.PoolClient, citizenId: number, system: string, sourceRef: string, linkedBy: LinkedBy, weight: number | null, actor: Actor,
): Promise<void> {
  await db.query(LINK_SQL, [citizenId, system, sourceRef, linkedBy, weight, actor.clientId, actor.reason]);
  await citizenChanged(db, citizenId, 'citizen.updated');
}

/** Ends a record's current link, with its event but nothing published: the caller says what the change was. */
async function endLink(db: pg.PoolClient, system: string, sourceRef: string, actor: Actor, why: string): Promise<number | null> {
  const row = (await db.query<{ citizen_id: string }>(
    'UPDATE citizen_link SET ended_at = now(), ended_why = $3 WHERE system = $1 AND source_ref = $2 AND ended_at IS NULL RETURNING citizen_id',
    [system, sourceRef, why],
  )).rows[0];
  if (!row) return null;
  await event(db, Number(row.citizen_id), 'unlink', actor, { system, sourceRef });
  return Number(row.citizen_id);
}

/** Ends a record's current link; returns the citizen it was linked to. */
export async function unlinkRecord(db: pg.PoolClient, system: string, sourceRef: string, actor: Actor, why: string): Promise<number | null> {
  const from = await endLink(db, system, sourceRef, actor, why);
  return from === null ? null : citizenChanged(db, from, 'citizen.updated');
}

export async function memberCount(db: pg.PoolClient, citizenId: number): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM citizen_link WHERE citizen_id = $1 AND ended_at IS NULL', [citizenId])).rows[0]!.n);
}

/**
 * A merge in one statement: the merged account points at the survivor (and so
 * does whatever pointed at it), its current links end and start again on the
 * survivor (a link ended in this statement no longer holds its record's one
 * current place), its open reviews are withdrawn, and both accounts get a
 * merge event. One round trip, so that a batch can send it without waiting.
 */
const MERGE_SQL = `
  WITH gone AS (UPDATE citizen SET status = 'merged', merged_into = $2, merged_at = now() WHERE id = $1),
       repointed AS (UPDATE citizen SET merged_into = $2 WHERE merged_into = $1),
       moved AS (UPDATE citizen_link SET ended_at = now(), ended_why = 'merged' WHERE citizen_id = $1 AND ended_at IS NULL
                 RETURNING system, source_ref, linked_by, weight, id),
       relinked AS (INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by, weight)
                    SELECT $2, system, source_ref, linked_by, weight FROM moved ORDER BY id),
       withdrawn AS (UPDATE person_review SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'the candidate account was merged'
                      WHERE citizen_id = $1 AND status = 'open')
  INSERT INTO citizen_event (citizen_id, kind, other_citizen, client_id, reason)
  VALUES ($2, 'merge', $1, $3, $4), ($1, 'merge', $2, $3, $4)`;

/** The statement merging `merged` into `survivor` (MERGE_SQL), for a caller that sends it when it chooses. */
export const mergeStatement = (merged: number, survivor: number, actor: Actor): pg.QueryConfig => ({
  name: 'linkage-merge', text: MERGE_SQL, values: [merged, survivor, actor.clientId, actor.reason],
});

/**
 * Merges two accounts: the older survives unless told otherwise, so the
 * reference people already hold stays the one they see. Returns the survivor.
 */
export async function mergeCitizens(db: pg.PoolClient, a: number, b: number, actor: Actor, survivor = Math.min(a, b)): Promise<number> {
  const merged = survivor === a ? b : a;
  await db.query(mergeStatement(merged, survivor, actor));
  return citizenChanged(db, survivor, 'citizen.merged', merged);
}

/**
 * The account merged into `from` that brought this record, once none of the records it brought is left in `from`
 * (the latest, should there be several): the account the record's person held before the merge. Accounts merged
 * into it before were repointed to `from` and stay there. An account brought the records whose links it ended in
 * the merge's transaction: moved by the merge, or, for an account merged in once emptied, its last record, whose
 * move to `from` (a steward's link, the model's join) emptied it.
 */
const BROUGHT_SQL = `
  SELECT m.id FROM citizen m
   WHERE m.merged_into = $1
     AND EXISTS (SELECT 1 FROM citizen_link l WHERE l.citizen_id = m.id AND (l.ended_why = 'merged' OR l.ended_at = m.merged_at) AND l.system = $2 AND l.source_ref = $3)
     AND NOT EXISTS (SELECT 1 FROM citizen_link l JOIN citizen_link n ON n.system = l.system AND n.source_ref = l.source_ref AND n.ended_at IS NULL
                      WHERE l.citizen_id = m.id AND (l.ended_why = 'merged' OR l.ended_at = m.merged_at) AND n.citizen_id = $1)
   ORDER BY m.merged_at DESC, m.id DESC LIMIT 1`;

/** The merged account made active again, with the record linked to it and its history saying so. */
const REOPEN_SQL = `
  WITH c AS (UPDATE citizen SET status = 'active', merged_into = NULL, merged_at = NULL WHERE id = $1 RETURNING id),
       l AS (INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by) SELECT id, $3, $4, $5 FROM c)
  INSERT INTO citizen_event (citizen_id, kind, other_citizen, system, source_ref, client_id, reason)
  SELECT id, kind, other, $3, $4, $6, $7 FROM c, (VALUES ('split', $2::bigint), ('link', NULL)) AS e(kind, other)`;

/**
 * The accounts holding, alone, another record the reopened account $1 brought into $2 ($3, $4: the record that
 * reopened it), split off before it: each took a new account then, as the reference stayed behind with the records
 * still there. Such an account goes back into the reopened one only while nothing else has come of it: it never
 * held another record, nothing was merged into it, no register record names it, no steward placed the record, and
 * no steward's unlink or "not the same person" stands between the record and the reopened account or its record.
 */
const REJOIN_SQL = `
  SELECT DISTINCT n.id FROM citizen_link b
    JOIN citizen_link cur ON cur.system = b.system AND cur.source_ref = b.source_ref AND cur.ended_at IS NULL
    JOIN citizen n ON n.id = cur.citizen_id AND n.status = 'active'
   WHERE b.citizen_id = $1 AND b.ended_why = 'merged' AND (b.system, b.source_ref) <> ($3, $4)
     AND n.id NOT IN ($1, $2) AND cur.linked_by <> 'steward'
     AND NOT EXISTS (SELECT 1 FROM citizen_link o WHERE o.citizen_id = n.id AND (o.system, o.source_ref) <> (b.system, b.source_ref))
     AND NOT EXISTS (SELECT 1 FROM citizen m WHERE m.merged_into = n.id)
     AND NOT EXISTS (SELECT 1 FROM consent r WHERE r.citizen_ref = n.ref)
     AND NOT EXISTS (SELECT 1 FROM objection r WHERE r.citizen_ref = n.ref)
     AND NOT EXISTS (SELECT 1 FROM restriction r WHERE r.citizen_ref = n.ref)
     AND NOT EXISTS (SELECT 1 FROM link_decision d WHERE d.revoked_at IS NULL AND d.kind IN ('unlink', 'distinct') AND (
           ((d.system, d.source_ref) = (b.system, b.source_ref) AND (d.citizen_id = $1 OR (d.other_system, d.other_source_ref) = ($3, $4)))
           OR ((d.system, d.source_ref) = ($3, $4) AND (d.citizen_id = n.id OR (d.other_system, d.other_source_ref) = (b.system, b.source_ref)))))
   ORDER BY n.id`;

/**
 * The account a record split off `from` goes to: the account it brought into `from`, once the last of the records
 * that account brought leaves, so that the reference its person held, and the consents, objections and restrictions
 * kept under it, go with the record again instead of staying with another person's account; else a new account.
 * With `rejoin`, the reopened account also takes back the records it brought that left before (REJOIN_SQL).
 */
async function splitTarget(db: pg.PoolClient, from: number | null, system: string, sourceRef: string, linkedBy: LinkedBy, actor: Actor, rejoin: boolean): Promise<number> {
  const brought = from === null ? undefined : (await db.query<{ id: string }>(BROUGHT_SQL, [from, system, sourceRef])).rows[0];
  if (!brought) return createCitizen(db, actor, { system, sourceRef, linkedBy });
  const to = Number(brought.id);
  await db.query(REOPEN_SQL, [to, from, system, sourceRef, linkedBy, actor.clientId, actor.reason]);
  await citizenChanged(db, to, 'citizen.created');
  const rejoined = rejoin ? (await db.query<{ id: string }>(REJOIN_SQL, [to, from, system, sourceRef])).rows : [];
  for (const n of rejoined) await mergeCitizens(db, Number(n.id), to, { clientId: actor.clientId, reason: 'its record goes back to the account it was brought with' }, to);
  return to;
}

/**
 * Moves a record out of an account into one of its own (a split): the account it brought, or a new one; returns
 * that account. Published as one change: citizen.split for the account it left, citizen.created for the one it went
 * to (no citizen.updated besides). `rejoin`, for a steward's split: the account it brought takes back its other
 * records too. Not for the model's splits, whose record is linked on its own evidence next, and whose batch keeps
 * its accounts in memory.
 */
export async function splitRecord(db: pg.PoolClient, system: string, sourceRef: string, linkedBy: LinkedBy, actor: Actor, rejoin = false): Promise<number> {
  const from = await endLink(db, system, sourceRef, actor, 'split');
  const to = await splitTarget(db, from, system, sourceRef, linkedBy, actor, rejoin);
  if (from !== null) {
    await event(db, from, 'split', actor, { other: to, system, sourceRef });
    await citizenChanged(db, from, 'citizen.split', to);
  }
  return to;
}

/**
 * For each record of $1 but $2/$3, the account merged into $1 that brought it (of several, the one whose merge moved
 * it into $1: the latest merged), when $2/$3 is one of $1's own (no account merged into $1 brought it), and every
 * other record was brought so, none placed by a steward: then it is the merges, not $2/$3, that were wrong.
 */
const SWAP_SQL = `
  WITH others AS (
    SELECT n.system, n.source_ref, n.linked_by FROM citizen_link n
     WHERE n.citizen_id = $1 AND n.ended_at IS NULL AND (n.system, n.source_ref) <> ($2, $3)),
  brought AS (
    SELECT DISTINCT ON (o.system, o.source_ref) m.id, o.system, o.source_ref
      FROM others o JOIN citizen_link b ON b.system = o.system AND b.source_ref = o.source_ref AND b.ended_why = 'merged'
      JOIN citizen m ON m.id = b.citizen_id AND m.merged_into = $1
     ORDER BY o.system, o.source_ref, m.merged_at DESC, m.id DESC)
  SELECT b.id, b.system, b.source_ref AS "sourceRef" FROM brought b
   WHERE NOT EXISTS (SELECT 1 FROM citizen o JOIN citizen_link l ON l.citizen_id = o.id AND l.ended_why = 'merged' AND l.system = $2 AND l.source_ref = $3
                      WHERE o.merged_into = $1)
     AND NOT EXISTS (SELECT 1 FROM others o WHERE o.linked_by = 'steward')
     AND (SELECT count(*) FROM brought) = (SELECT count(*) FROM others)`;

/**
 * Accounts merged into $1 that brought records, every one of which is now in one of the accounts $2 given them back:
 * they point at that account instead, so that their references, and the register records kept under them, stay
 * with their person's records.
 */
const REPOINT_SQL = `
  UPDATE citizen c SET merged_into = t.into
    FROM (SELECT m.id, min(n.citizen_id) AS into
            FROM citizen m JOIN citizen_link b ON b.citizen_id = m.id AND b.ended_why = 'merged'
            LEFT JOIN citizen_link n ON n.system = b.system AND n.source_ref = b.source_ref AND n.ended_at IS NULL
           WHERE m.merged_into = $1
           GROUP BY m.id
          HAVING count(DISTINCT n.citizen_id) = 1 AND count(n.citizen_id) = count(*) AND min(n.citizen_id) = ANY($2::bigint[])) t
   WHERE c.id = t.id
  RETURNING c.id, c.merged_into AS into`;

/** The links of $1's records but $2/$3 ended as a split, with their events; the records, as they were linked. */
const SWAP_OUT_SQL = `
  WITH ended AS (UPDATE citizen_link SET ended_at = now(), ended_why = 'split'
                  WHERE citizen_id = $1 AND ended_at IS NULL AND (system, source_ref) <> ($2, $3)
                  RETURNING id, system, source_ref, linked_by, weight),
       e AS (INSERT INTO citizen_event (citizen_id, kind, system, source_ref, client_id, reason) SELECT $1, 'unlink', system, source_ref, $4, $5 FROM ended)
  SELECT system, source_ref AS "sourceRef", linked_by AS "linkedBy", weight FROM ended ORDER BY id`;

type Returned = { system: string; sourceRef: string; linkedBy: LinkedBy };

/**
 * What a record leaving its account came to: the account it is in now, the accounts given back their records
 * instead, and the accounts merged away that now point at one of those (REPOINT_SQL).
 */
export interface Left {
  account: number;
  returned: { account: number; records: Returned[] }[];
  repointed: { id: number; into: number }[];
}

/**
 * The model's split of a record that no longer agrees with its account. When the account is the survivor of merges,
 * the record is one of its own and the records left are all ones those merges brought, the merges are what was
 * wrong: each of those records goes back to the merged account that brought it, active again under its reference,
 * and the record stays, so that each reference, and the consents, objections and restrictions kept under it, stays
 * with its own person (else the survivor's reference would stay with other people's records). Linking later
 * brings together again the records of accounts given back that are one person. Otherwise a split (splitRecord).
 */
export async function leaveAccount(db: pg.PoolClient, system: string, sourceRef: string, actor: Actor): Promise<Left> {
  const from = await currentLink(db, system, sourceRef);
  const back = from === null ? [] : (await db.query<{ id: string; system: string; sourceRef: string }>(SWAP_SQL, [from.citizenId, system, sourceRef])).rows;
  if (!from || back.length === 0) return { account: await splitRecord(db, system, sourceRef, 'model', actor), returned: [], repointed: [] };
  const owner = new Map(back.map((b) => [recordKey(b.system, b.sourceRef), Number(b.id)]));
  const records = (await db.query<Returned & { weight: number | null }>(SWAP_OUT_SQL, [from.citizenId, system, sourceRef, actor.clientId, actor.reason])).rows;
  const returned: Left['returned'] = [];
  for (const r of records) {
    const account = owner.get(recordKey(r.system, r.sourceRef))!;
    const group = returned.find((g) => g.account === account);
    if (group) {
      await db.query(LINK_SQL, [account, r.system, r.sourceRef, r.linkedBy, r.weight, actor.clientId, actor.reason]);
      group.records.push({ system: r.system, sourceRef: r.sourceRef, linkedBy: r.linkedBy });
    } else {
      await db.query(REOPEN_SQL, [account, from.citizenId, r.system, r.sourceRef, r.linkedBy, actor.clientId, actor.reason]);
      returned.push({ account, records: [{ system: r.system, sourceRef: r.sourceRef, linkedBy: r.linkedBy }] });
    }
    await event(db, from.citizenId, 'split', actor, { other: account, system: r.system, sourceRef: r.sourceRef });
  }
  const repointed = (await db.query<{ id: string; into: string }>(REPOINT_SQL, [from.citizenId, returned.map((g) => g.account)])).rows
    .map((r) => ({ id: Number(r.id), into: Number(r.into) }));
  for (const { account } of returned) {
    await citizenChanged(db, account, 'citizen.created');
    await citizenChanged(db, from.citizenId, 'citizen.split', account);
  }
  return { account: from.citizenId, returned, repointed };
}

/**
 * Whether an emptied account must be kept rather than merged into `into`: it holds register records (under its
 * reference or one merged into it) and not every record it ever held is in `into` now. Then whose consents,
 * objections and restrictions they are is a person's question: merged, they would bind the other account's person.
 */
const KEEP_SQL = `
  SELECT EXISTS (SELECT 1 FROM citizen c WHERE (c.id = $1 OR c.merged_into = $1) AND (
           EXISTS (SELECT 1 FROM consent r WHERE r.citizen_ref = c.ref)
           OR EXISTS (SELECT 1 FROM objection r WHERE r.citizen_ref = c.ref)
           OR EXISTS (SELECT 1 FROM restriction r WHERE r.citizen_ref = c.ref)))
     AND EXISTS (SELECT 1 FROM citizen_link l WHERE l.citizen_id = $1 AND NOT EXISTS (
           SELECT 1 FROM citizen_link n WHERE n.system = l.system AND n.source_ref = l.source_ref AND n.ended_at IS NULL AND n.citizen_id = $2)) AS keep`;

/** The account closed: its reference and register records stay, its open reviews are withdrawn, its history says why. */
const CLOSE_SQL = `
  WITH c AS (UPDATE citizen SET status = 'closed', closed_at = now() WHERE id = $1 AND status = 'active' RETURNING id),
       withdrawn AS (UPDATE person_review SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'the candidate account was closed'
                      WHERE citizen_id = $1 AND status = 'open')
  INSERT INTO citizen_event (citizen_id, kind, other_citizen, client_id, reason) SELECT id, 'close', $2, $3, $4 FROM c`;

/**
 * An account left with no records after its last record went to `into`: merged with it by `merge` (the caller's
 * merge: a steward's picks the survivor, a batch's keeps its state in memory), so that its reference still leads
 * somewhere, unless its register records may be another person's (KEEP_SQL); then it is closed (CLOSE_SQL). Returns
 * the account `into`'s records are in afterwards.
 */
export async function settleEmptied(db: pg.PoolClient, emptied: number, into: number, actor: Actor, merge: () => Promise<number>): Promise<number> {
  if (!(await db.query<{ keep: boolean }>(KEEP_SQL, [emptied, into])).rows[0]!.keep) return merge();
  const closed = await db.query(CLOSE_SQL, [emptied, into, actor.clientId,
    `${actor.reason}; emptied, it holds consents, objections or restrictions and its records went to more than one account: kept, not merged`]);
  if (closed.rowCount) await citizenChanged(db, emptied, 'citizen.closed');
  return into;
}

/** A closed account a steward links a record to is active again: announced as created, as its closing announced its end. */
export async function reactivate(db: pg.PoolClient, citizenId: number): Promise<void> {
  const opened = await db.query("UPDATE citizen SET status = 'active', closed_at = NULL WHERE id = $1 AND status = 'closed'", [citizenId]);
  if (opened.rowCount) await citizenChanged(db, citizenId, 'citizen.created');
}

export interface Resolved {
  id: number;
  ref: string;
  /** Set when the asked-for reference was merged: the survivor's reference. */
  mergedFrom: string | null;
  /** References merged into the survivor. */
  aliases: string[];
}

/** The account a reference stands for, following a merge to the survivor. */
export async function resolveRef(db: pg.Pool | pg.PoolClient, ref: string): Promise<Resolved | null> {
  const row = (await db.query<{ id: string; ref: string; merged: boolean; aliases: string[] }>({
    name: 'citizen-resolve-ref',
    text: `SELECT coalesce(s.id, c.id) AS id, coalesce(s.ref, c.ref) AS ref, c.merged_into IS NOT NULL AS merged,
            ARRAY(SELECT m.ref FROM citizen m WHERE m.merged_into = coalesce(s.id, c.id) ORDER BY m.ref) AS aliases
       FROM citizen c LEFT JOIN citizen s ON s.id = c.merged_into WHERE c.ref = $1`,
    values: [ref],
  })).rows[0];
  return row ? { id: Number(row.id), ref: row.ref, mergedFrom: row.merged ? ref : null, aliases: row.aliases } : null;
}

/** Survivors of the given accounts (an account not merged is its own survivor). */
export async function survivors(db: pg.PoolClient, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>('SELECT DISTINCT coalesce(merged_into, id) AS id FROM citizen WHERE id = ANY($1::bigint[])', [ids]);
  return rows.map((r) => Number(r.id));
}
