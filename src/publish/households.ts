/**
 * A citizen's view names the household at their address, so when someone
 * moves in, moves out, changes name, or their account is merged away or
 * closed, the people at the address they left and at the one they came to
 * have changed views too. Publishing keeps, per citizen, the residence the
 * last published change of theirs had (citizen_residence: the current UPRN
 * and name their view gave) and, when a change alters it, records a
 * `citizen.updated` for the citizens living at the old and the new UPRN.
 * Their own residences are unchanged by it, so nothing cascades further.
 */
import type pg from 'pg';
import type { CitizenSource } from '../citizens/source.js';
import { citizensAt } from '../linkage/golden.js';

interface Residence {
  uprn: number | null;
  name: string | null;
}

const STORED = 'SELECT citizen_id, uprn, name FROM citizen_residence WHERE citizen_id = ANY($1::bigint[])';
const STORE = `
  INSERT INTO citizen_residence (citizen_id, uprn, name) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])
  ON CONFLICT (citizen_id) DO UPDATE SET uprn = excluded.uprn, name = excluded.name`;
const HOUSEMATES_CHANGED = `
  INSERT INTO citizen_outbox (citizen_id, event_type) SELECT id, 'citizen.updated' FROM citizen WHERE ref = ANY($1::text[]) AND status = 'active'
  ON CONFLICT DO NOTHING`;

/** Where the citizen lives and under what name, as their view gives it today; nowhere for an account merged away, closed or gone. */
async function residenceOf(source: CitizenSource, ref: string, today: string): Promise<Residence> {
  const found = await source.view(ref, today);
  if (!found || !('view' in found) || found.closed) return { uprn: null, name: null };
  const { view } = found;
  const name = view.identity ? [...view.identity.name.value.forenames, view.identity.name.value.surname].join(' ') : null;
  return { uprn: view.addresses?.find((a) => a.current)?.uprn ?? null, name };
}

/**
 * For the changed citizens (id and reference), in the caller's transaction:
 * records a change of everyone living where a residence was and is now, for
 * each citizen whose residence differs from the one stored, and stores the
 * new ones. Returns how many changes it recorded.
 */
export async function householdsChanged(db: pg.PoolClient, source: CitizenSource, changed: ReadonlyMap<number, string>, today: string): Promise<number> {
  if (changed.size === 0) return 0;
  const ids = [...changed.keys()];
  const stored = new Map((await db.query<{ citizen_id: string; uprn: string | null; name: string | null }>(STORED, [ids])).rows
    .map((r): [number, Residence] => [Number(r.citizen_id), { uprn: r.uprn === null ? null : Number(r.uprn), name: r.name }]));
  const moved: number[] = [];
  const now: { id: number; residence: Residence }[] = [];
  for (const [id, ref] of changed) {
    const residence = await residenceOf(source, ref, today);
    const before = stored.get(id);
    if (before && before.uprn === residence.uprn && before.name === residence.name) continue;
    for (const uprn of [before?.uprn ?? null, residence.uprn]) if (uprn !== null && !moved.includes(uprn)) moved.push(uprn);
    now.push({ id, residence });
  }
  if (now.length === 0) return 0;
  await db.query(STORE, [now.map((n) => n.id), now.map((n) => n.residence.uprn), now.map((n) => n.residence.name)]);
  if (moved.length === 0) return 0;
  const changedRefs = new Set(changed.values());
  const housemates = (await citizensAt(db, moved, null)).map((c) => c.citizenRef).filter((ref) => !changedRefs.has(ref));
  if (housemates.length === 0) return 0;
  return (await db.query(HOUSEMATES_CHANGED, [housemates])).rowCount ?? 0;
}
