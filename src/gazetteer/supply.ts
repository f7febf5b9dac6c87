/**
 * Where a file sits in the council's run of supplies (a FULL, then dated
 * change-only files, each perhaps in volumes), and the checks that keep an
 * import from rolling the gazetteer back: a file older than the supply
 * loaded, a change-only volume already applied, or a supply with a volume
 * missing is refused before anything is changed.
 */
import path from 'node:path';
import type pg from 'pg';
import type { GazetteerHeader } from '../../adapters/gazetteer/detect.js';
import { toIsoDate } from '../../adapters/gazetteer/record-table.js';

export interface SupplyPlace {
  /** The header's PROCESS_DATE (ISO), else the date in the file name; null when neither says. */
  processDate: string | null;
  volume: number | null;
}

export interface SupplyFile {
  name: string;
  fileType: 'FULL' | 'COU';
  place: SupplyPlace;
}

export class SupplyOrderError extends Error {
  override name = 'SupplyOrderError';
}

/** `AddressBasePremium_COU_2026-02-01_001.csv`: the date and volume OS puts in its file names. */
const NAMED = /(\d{4}-\d{2}-\d{2})(?:_(\d{1,3}))?(?:\.[a-z]+)?$/i;

export function placeOf(header: GazetteerHeader | null, fileName: string): SupplyPlace {
  const named = NAMED.exec(path.basename(fileName));
  const fromHeader = header?.processDate ? toIsoDate(header.processDate) : null;
  const fromName = named ? toIsoDate(named[1]!) : null;
  return {
    processDate: fromHeader ?? fromName,
    volume: header?.volumeNumber ?? (named?.[2] ? Number(named[2]) : null),
  };
}

/**
 * The supply now loaded: the files of the last applied FULL import and of
 * the change-only imports applied after it. A FULL restarts the run, so
 * after an operator reloads an older FULL its change-only files can follow.
 */
const LOADED = `
  SELECT to_char(f.process_date, 'YYYY-MM-DD') AS "processDate", f.volume_number AS volume, f.file_type AS "fileType"
    FROM gazetteer_import_file f JOIN gazetteer_import i ON i.id = f.import_id
   WHERE i.status = 'applied' AND f.process_date IS NOT NULL
     AND i.id >= coalesce((SELECT max(id) FROM gazetteer_import WHERE status = 'applied' AND file_type = 'FULL'), 0)`;

export const insertFiles = `
  INSERT INTO gazetteer_import_file (import_id, file_name, file_type, process_date, volume_number)
  SELECT $1, u.name, u.type, u.date, u.volume FROM unnest($2::text[], $3::text[], $4::date[], $5::int[]) AS u(name, type, date, volume)`;

export const insertFileValues = (importId: number, files: SupplyFile[]) => [
  importId, files.map((f) => f.name), files.map((f) => f.fileType), files.map((f) => f.place.processDate), files.map((f) => f.place.volume),
];

const volumeKey = (date: string, volume: number) => `${date}/${volume}`;

export interface Loaded {
  newest: string | null;
  /** Change-only volumes applied since the last FULL, as date/volume. */
  couVolumes: Set<string>;
}

export async function loadedSupply(db: pg.Pool | pg.PoolClient): Promise<Loaded> {
  const rows = (await db.query<{ processDate: string; volume: number | null; fileType: string }>(LOADED)).rows;
  const newest = rows.reduce<string | null>((n, r) => (n === null || r.processDate > n ? r.processDate : n), null);
  const couVolumes = new Set(rows.filter((r) => r.fileType === 'COU' && r.volume !== null).map((r) => volumeKey(r.processDate, r.volume!)));
  return { newest, couVolumes };
}

/**
 * Refuses, in the order given, a file dated before the supply loaded or a
 * file given before it (unless `allowOlder`), and a change-only volume
 * applied already or given twice. A file with no date cannot be placed and
 * is let through.
 */
export function checkOrder(files: SupplyFile[], loaded: Loaded, allowOlder: boolean): void {
  let newest = loaded.newest;
  const applied = new Set(loaded.couVolumes);
  for (const { name, fileType, place: { processDate: date, volume } } of files) {
    if (date === null) continue;
    if (!allowOlder && newest !== null && date < newest) {
      throw new SupplyOrderError(`${name}: dated ${date}, older than the supply of ${newest} already loaded or given before it; applying it would roll the gazetteer back (--allow-older to load it anyway)`);
    }
    if (fileType === 'COU' && volume !== null) {
      const key = volumeKey(date, volume);
      if (applied.has(key)) throw new SupplyOrderError(`${name}: volume ${volume} of the change-only supply of ${date} is already applied`);
      applied.add(key);
    }
    if (newest === null || date > newest) newest = date;
  }
}

/**
 * Every volume of each supply must be there: 1 up to the highest given, and
 * the one its trailer names next (NEXT_VOLUME_NUMBER, 0 for the last). A
 * change-only volume applied by an earlier import counts as there; a FULL
 * replaces the whole gazetteer, so all its volumes come in one import.
 */
export function checkVolumes(files: (SupplyFile & { nextVolume: number | null })[], loaded: Loaded): void {
  const supplies = new Map<string, Map<number, number | null>>();
  for (const f of files) {
    if (f.place.processDate === null || f.place.volume === null) continue;
    const key = `${f.fileType} ${f.place.processDate}`;
    const volumes = supplies.get(key) ?? new Map<number, number | null>();
    if (volumes.has(f.place.volume)) throw new SupplyOrderError(`${f.name}: volume ${f.place.volume} of the ${key} supply is given twice`);
    supplies.set(key, volumes.set(f.place.volume, f.nextVolume));
  }
  for (const [key, volumes] of supplies) {
    const [fileType, date] = key.split(' ') as ['FULL' | 'COU', string];
    const present = (v: number) => volumes.has(v) || (fileType === 'COU' && loaded.couVolumes.has(volumeKey(date, v)));
    const last = Math.max(...volumes.keys());
    const next = volumes.get(last) ?? 0;
    const wanted = next > last ? next : last;
    for (let v = 1; v <= wanted; v++) {
      if (!present(v)) throw new SupplyOrderError(`volume ${v} of the ${fileType} supply of ${date} is missing: import every volume of a supply together`);
    }
  }
}
