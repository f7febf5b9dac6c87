import { describe, expect, it } from 'vitest';
import { exactNumber, parseExact, readJson, readJsonLines } from '../../../adapters/readers/index.js';
import { chunked, collect, utf8 } from './collect.js';

describe('JSON reader', () => {
  it('reads a top-level array', async () => {
    const items = await collect(readJson(utf8('[{"id":"C1"},{"id":"C2"}]'), { kind: 'json' }));
    expect(items).toEqual([
      { position: { index: 0 }, fields: { id: 'C1' }, raw: '{"id":"C1"}' },
      { position: { index: 1 }, fields: { id: 'C2' }, raw: '{"id":"C2"}' },
    ]);
  });

  it('reads the records array of an object, default or at a given path', async () => {
    expect(await collect(readJson(utf8('{"records":[{"id":"C1"}]}'), { kind: 'json' }))).toMatchObject([{ fields: { id: 'C1' } }]);
    expect(await collect(readJson(utf8('{"data":{"clients":[{"id":"C9"}, 3]}}'), { kind: 'json', recordsPath: 'data.clients' }))).toEqual([
      { position: { index: 0 }, fields: { id: 'C9' }, raw: '{"id":"C9"}' },
      { error: { position: { index: 1 }, reason: 'not-an-object: each record must be a JSON object' } },
    ]);
  });

  it('keeps each record\'s text as it is in the document, every digit of its numbers, and rejects a record giving a field twice', async () => {
    const text = '{ "records": [\n  { "id": 6338000012345678901, "n": 1.50 },\n  {"id": "C2", "name": {"given": "A", "given": "B"}},\n  {"id": 90071992547409932}\n] }';
    expect(await collect(readJson(utf8(text), { kind: 'json' }))).toEqual([
      { position: { index: 0 }, fields: { id: '6338000012345678901', n: 1.5 }, raw: '{ "id": 6338000012345678901, "n": 1.50 }' },
      {
        error: { position: { index: 1 }, reason: expect.stringMatching(/more than once/), field: 'name.given', rule: 'duplicate-field' },
        raw: '{"id": "C2", "name": {"given": "A", "given": "B"}}',
      },
      { position: { index: 2 }, fields: { id: '90071992547409932' }, raw: '{"id": 90071992547409932}' },
    ]);
    // A records array given twice would hide one of them.
    expect(await collect(readJson(utf8('{"records":[{"id":"C1"}],"records":[]}'), { kind: 'json' }))).toEqual([
      { error: { position: { index: 0 }, reason: 'duplicate-field: "records" is given more than once on the way to the records' } },
    ]);
  });

  it('reports a broken document and a missing records array', async () => {
    expect(await collect(readJson(utf8('[{"id":'), { kind: 'json' }))).toEqual([{ error: { position: { index: 0 }, reason: expect.stringMatching(/^invalid-json/) } }]);
    expect(await collect(readJson(utf8('{"rows":[]}'), { kind: 'json' }))).toEqual([{ error: { position: { index: 0 }, reason: expect.stringMatching(/^no-records-array/) } }]);
  });
});

describe('JSON Lines reader', () => {
  it('reports a bad line and reads the rest', async () => {
    const text = '{"id":"C1","name":{"given":"ANN"}}\n{"id":"C2",\n\n[1,2]\n{"id":"C3"}\n';
    const items = await collect(readJsonLines(chunked(utf8(text), 5), { kind: 'jsonl' }, { path: 'c.jsonl' }));
    expect(items).toEqual([
      { position: { line: 1, index: 0, path: 'c.jsonl' }, fields: { id: 'C1', name: { given: 'ANN' } }, raw: '{"id":"C1","name":{"given":"ANN"}}' },
      { error: { position: { line: 2, index: 1, path: 'c.jsonl' }, reason: expect.stringMatching(/^invalid-json/) } },
      { error: { position: { line: 4, index: 2, path: 'c.jsonl' }, reason: 'not-an-object: each line must be one JSON object' } },
      { position: { line: 5, index: 3, path: 'c.jsonl' }, fields: { id: 'C3' }, raw: '{"id":"C3"}' },
    ]);
  });

  it('keeps every digit of a number a double cannot hold, and rejects a line giving a field twice, naming the field', async () => {
    const text = '{"clientId":90071992547409931,"x":12345678901234567890}\n{"clientId":90071992547409932,"services":[{"type":"a","type":"b"}]}\n{"clientId":"C3","clientId":"C4"}\n';
    expect(await collect(readJsonLines(utf8(text), { kind: 'jsonl' }))).toEqual([
      { position: { line: 1, index: 0 }, fields: { clientId: '90071992547409931', x: '12345678901234567890' }, raw: '{"clientId":90071992547409931,"x":12345678901234567890}' },
      { error: { position: { line: 2, index: 1 }, reason: expect.any(String), field: 'services[1].type', rule: 'duplicate-field' }, raw: '{"clientId":90071992547409932,"services":[{"type":"a","type":"b"}]}' },
      { error: { position: { line: 3, index: 2 }, reason: expect.any(String), field: 'clientId', rule: 'duplicate-field' }, raw: '{"clientId":"C3","clientId":"C4"}' },
    ]);
  });

  it('never echoes the bad text in the reason', async () => {
    const items = await collect(readJsonLines(utf8('{"name": SECRETNAME}\n'), { kind: 'jsonl' }));
    expect(JSON.stringify(items)).not.toMatch(/SECRETNAME.*reason|reason.*SECRETNAME/);
  });

  it('reports an over-long line without holding it', async () => {
    const items = await collect(readJsonLines(utf8(`{"a":"${'x'.repeat(200)}"}\n{"b":1}\n`), { kind: 'jsonl', maxLineSize: 50 }));
    expect(items).toEqual([
      { error: { position: { line: 1, index: 0 }, reason: 'line-too-long: more than 50 characters' } },
      { position: { line: 2, index: 1 }, fields: { b: 1 }, raw: '{"b":1}' },
    ]);
  });
});

describe('exact JSON', () => {
  it('reads what JSON.parse reads, numbers a double holds exactly as numbers', () => {
    const text = ' {"a": [1, -2.5, 1e21, 0.1, 1.0, -0, 9007199254740992, true, false, null, "x\\"\\u00e9"], "b": {}, "c": [], "__proto__": {"d": 1}} ';
    const { value } = parseExact(text);
    expect(value).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('keeps as its text a number a double does not hold as written, and only such a number', () => {
    for (const token of ['6338000012345678901', '9007199254740993', '-12345678901234567890', '0.1000000000000000055511151231257827', '1e400', '1e-400']) expect(exactNumber(token)).toBe(token);
    for (const token of ['123456789012345', '9007199254740991', '1.50', '1E2', '2.5e-7', '0.30000000000000004']) expect(exactNumber(token)).toBe(Number(token));
  });

  it('refuses what is not JSON', () => {
    for (const text of ['', '{"a":1', '[1,]', '{"a" 1}', '[1 2]', 'tru', '{}x']) expect(() => parseExact(text), text).toThrow(/^invalid-json/);
  });
});
