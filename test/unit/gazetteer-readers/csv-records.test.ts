import { describe, expect, it } from 'vitest';
import { CsvRecordSplitter } from '../../../adapters/gazetteer/csv-records.js';

type Out = { rows: { fields: string[]; line: number }[]; problems: { reason: string; line: number }[]; lines: number; finalNewline: boolean };

function split(chunks: string[]): Out {
  const s = new CsvRecordSplitter();
  const out: Out = { rows: [], problems: [], lines: 0, finalNewline: true };
  const sink = { row: (fields: string[], line: number) => out.rows.push({ fields, line }), problem: (reason: string, line: number) => out.problems.push({ reason, line }) };
  for (const c of chunks) s.push(c, sink);
  s.end(sink);
  out.lines = s.lines;
  out.finalNewline = s.finalNewline;
  return out;
}

const SAMPLE = '\uFEFF11,"I",1,"a, b","say ""hi"""\r\n\r\n21,"I",2,"two\nlines",x\n24,I,3,,\r\n';

describe('CsvRecordSplitter', () => {
  it('splits quoted fields with commas, doubled quotes and line breaks, skipping blank lines, with physical line numbers', () => {
    const out = split([SAMPLE]);
    expect(out.problems).toEqual([]);
    expect(out.rows).toEqual([
      { fields: ['11', 'I', '1', 'a, b', 'say "hi"'], line: 1 },
      { fields: ['21', 'I', '2', 'two\nlines', 'x'], line: 3 },
      { fields: ['24', 'I', '3', '', ''], line: 5 },
    ]);
    expect(out.lines).toBe(5);
    expect(out.finalNewline).toBe(true);
  });

  it('gives the same result wherever the input is cut into chunks', () => {
    const whole = split([SAMPLE]);
    for (let i = 0; i <= SAMPLE.length; i++) {
      for (const j of [i, Math.min(SAMPLE.length, i + 1), Math.min(SAMPLE.length, i + 7)]) {
        expect(split([SAMPLE.slice(0, i), SAMPLE.slice(i, j), SAMPLE.slice(j)])).toEqual(whole);
      }
    }
  });

  it('reads a last line without a line break and says so', () => {
    const out = split(['11,I,1\n21,I,2,"x"']);
    expect(out.rows.map((r) => r.fields)).toEqual([['11', 'I', '1'], ['21', 'I', '2', 'x']]);
    expect(out.finalNewline).toBe(false);
    expect(out.lines).toBe(2);
  });

  it('reports a quote left open at the end of the input on its line', () => {
    const out = split(['11,I,1\r\n24,I,2,"FLAT 1']);
    expect(out.rows).toHaveLength(1);
    expect(out.problems).toEqual([{ reason: 'unterminated quoted field', line: 2 }]);
  });

  it('reports a quote left open mid-file and resumes on the next line once the field runs too long', () => {
    const lines = ['11,I,1,"never closed', ...Array.from({ length: 30 }, (_, i) => `21,I,${i + 2},x`)];
    const out = split([lines.join('\n') + '\n']);
    expect(out.problems).toEqual([{ reason: 'unterminated quoted field', line: 1 }]);
    expect(out.rows).toHaveLength(30);
    expect(out.rows[0]).toEqual({ fields: ['21', 'I', '2', 'x'], line: 2 });
  });

  it('rejects stray quotes without swallowing the following lines', () => {
    const out = split(['21,I,1,12"3,x\n21,I,2,"a"b,x\n21,I,3,ok\n']);
    expect(out.problems).toEqual([
      { reason: 'double quote inside an unquoted field', line: 1 },
      { reason: 'text after a closing quote', line: 2 },
    ]);
    expect(out.rows).toEqual([{ fields: ['21', 'I', '3', 'ok'], line: 3 }]);
  });

  it('keeps empty fields, quoted or not, including a trailing one', () => {
    expect(split(['a,,"",b,\n']).rows[0]?.fields).toEqual(['a', '', '', 'b', '']);
    expect(split(['"a",""\r\n']).rows[0]?.fields).toEqual(['a', '']);
  });
});
