import { parse } from 'csv-parse/sync';
import { foldName } from './normalise.js';

/**
 * Given-name nicknames. Each name maps to its "roots": the formal names it is a
 * nickname of, and itself. Two names agree as nicknames when their roots meet
 * (BILL and WILLIAM; BILL and WILL, both WILLIAM). The tables are data files so
 * that a council extends them without a code change; parsing takes their text,
 * the caller reads the file.
 */
export interface NicknameTable {
  roots: ReadonlyMap<string, readonly string[]>;
}

export interface NamePair {
  name: string;
  nickname: string;
}

const norm = (name: string): string => foldName(name).replace(/[\s-]/g, '');

/** The project's own table: header `name,nickname`, one pair a line. */
export function parseNicknameCsv(text: string): NamePair[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  return rows.map((row) => ({ name: row.name ?? '', nickname: row.nickname ?? '' })).filter((p) => p.name !== '' && p.nickname !== '');
}

/** The published `name1,relationship,name2` form (relationship `has_nickname`), e.g. carltonnorthern/nicknames. */
export function parseRelationshipCsv(text: string): NamePair[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  return rows
    .filter((row) => row.relationship === 'has_nickname')
    .map((row) => ({ name: row.name1 ?? '', nickname: row.name2 ?? '' }))
    .filter((p) => p.name !== '' && p.nickname !== '');
}

/** Build one table from any number of pair lists (the curated table plus configured extras). */
export function buildNicknameTable(...lists: readonly (readonly NamePair[])[]): NicknameTable {
  const roots = new Map<string, Set<string>>();
  const add = (name: string, root: string): void => {
    let set = roots.get(name);
    if (!set) roots.set(name, (set = new Set([name])));
    set.add(root);
  };
  for (const list of lists) {
    for (const pair of list) {
      const name = norm(pair.name);
      const nickname = norm(pair.nickname);
      if (name === '' || nickname === '' || name === nickname) continue;
      add(name, name);
      add(nickname, name);
    }
  }
  return { roots: new Map([...roots].map(([name, set]) => [name, [...set].sort()])) };
}

export const emptyNicknameTable = (): NicknameTable => ({ roots: new Map() });

/** The roots of a normalised name: itself when the table does not know it. */
export const nicknameRoots = (table: NicknameTable, name: string): readonly string[] => table.roots.get(name) ?? [name];

/** True when two different names are nicknames of one another or of the same name. */
export function areNicknames(table: NicknameTable, a: string, b: string): boolean {
  const x = norm(a);
  const y = norm(b);
  if (x === y) return false;
  return sharesRoot(nicknameRoots(table, x), nicknameRoots(table, y));
}

export function sharesRoot(a: readonly string[], b: readonly string[]): boolean {
  for (const r of a) if (b.includes(r)) return true;
  return false;
}
