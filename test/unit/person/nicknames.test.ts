import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CURATED_NICKNAMES_URL } from '../../../matching/person-data/index.js';
import { areNicknames, buildNicknameTable, nicknameRoots, parseNicknameCsv, parseRelationshipCsv } from '../../../matching/person/nicknames.js';

const curatedText = readFileSync(CURATED_NICKNAMES_URL, 'utf8');

describe('nickname table', () => {
  const curated = parseNicknameCsv(curatedText);
  const table = buildNicknameTable(curated);

  it('ships a curated British table of a few hundred pairs', () => {
    expect(curated.length).toBeGreaterThanOrEqual(300);
    expect(curated).toContainEqual({ name: 'MARGARET', nickname: 'PEGGY' });
  });

  it('links a nickname to its name and two nicknames of one name', () => {
    expect(areNicknames(table, 'William', 'Bill')).toBe(true);
    expect(areNicknames(table, 'BILL', 'WILL')).toBe(true);
    expect(areNicknames(table, 'Peggy', 'Margaret')).toBe(true);
    expect(areNicknames(table, 'SANDY', 'ALEXANDER')).toBe(true);
  });

  it('does not link names that only share a nickname target elsewhere, nor equal names', () => {
    expect(areNicknames(table, 'CHRISTOPHER', 'CHRISTINE')).toBe(false);
    expect(areNicknames(table, 'WILLIAM', 'MARGARET')).toBe(false);
    expect(areNicknames(table, 'BILL', 'BILL')).toBe(false);
    expect(nicknameRoots(table, 'ZEBEDEE')).toEqual(['ZEBEDEE']);
  });

  it('adds a configured extra table in the published relationship format', () => {
    const extra = parseRelationshipCsv('name1,relationship,name2\nzebedee,has_nickname,zeb\nzebedee,is_unrelated_to,bob\n');
    expect(extra).toEqual([{ name: 'zebedee', nickname: 'zeb' }]);
    const combined = buildNicknameTable(curated, extra);
    expect(areNicknames(combined, 'Zeb', 'Zebedee')).toBe(true);
    expect(areNicknames(combined, 'Bill', 'William')).toBe(true);
    expect(areNicknames(table, 'Zeb', 'Zebedee')).toBe(false);
  });
});
