import { describe, expect, it } from 'vitest';
import { readFixedWidth } from '../../../adapters/readers/index.js';
import { collect, utf8 } from './collect.js';

const columns = [
  { name: 'REF', start: 1, length: 4 },
  { name: 'SURNAME', start: 5, length: 10 },
  { name: 'DOB', start: 15, length: 8 },
];

describe('fixed-width reader', () => {
  it('cuts lines by the layout, trims values and skips header lines', async () => {
    const text = 'HEADER LINE\nA001SMITH     19700131\r\nA002O\'NEILL   19800229\n';
    const items = await collect(readFixedWidth(utf8(text), { kind: 'fixed-width', columns, skipLines: 1 }));
    expect(items).toEqual([
      { position: { line: 2, index: 0 }, fields: { REF: 'A001', SURNAME: 'SMITH', DOB: '19700131' }, raw: 'A001SMITH     19700131' },
      { position: { line: 3, index: 1 }, fields: { REF: 'A002', SURNAME: "O'NEILL", DOB: '19800229' }, raw: "A002O'NEILL   19800229" },
    ]);
  });

  it('reports a line that ends before the last column starts', async () => {
    const items = await collect(readFixedWidth(utf8('A001SMITH\nA002JONES     1990\n'), { kind: 'fixed-width', columns }));
    expect(items[0]).toEqual({ error: { position: { line: 1, index: 0 }, reason: 'short-line: 9 characters, the layout needs at least 15' } });
    expect(items[1]).toMatchObject({ fields: { REF: 'A002', SURNAME: 'JONES', DOB: '1990' } });
  });
});
