import { describe, expect, it } from 'vitest';
import { readJson, readJsonLines } from '../../../adapters/readers/index.js';
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
