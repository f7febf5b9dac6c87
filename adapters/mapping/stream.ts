/** Reading a source and mapping every record in one pass; nothing is dropped silently. */
import { readRecords, type ByteSource, type Position, type ReadContext } from '../readers/index.js';
import { missingColumn } from './columns.js';
import type { Mapping } from './load.js';
import { mapRecord, sourceRefOf, type MapOptions, type MapReject } from './map.js';
import type { SourceRecord } from '../../schemas/source-record.js';

export type MappedItem =
  | { position: Position; raw: string; record: SourceRecord }
  /** raw is null when the reader could not produce the record's text at all. */
  | { position: Position; raw: string | null; reject: MapReject };

export async function* readAndMap(mapping: Mapping, source: ByteSource, options: MapOptions = {}, context: ReadContext = {}): AsyncGenerator<MappedItem> {
  for await (const items of readAndMapEach(mapping, source, options, context)) yield* items;
}

/**
 * readAndMap, one read record at a time: the items each read record gives.
 * The first `skip` read records are read but neither mapped nor yielded (a
 * file intake maps the start of a file in one thread and the rest in another).
 */
export async function* readAndMapEach(mapping: Mapping, source: ByteSource, options: MapOptions = {}, context: ReadContext = {}, skip = 0): AsyncGenerator<MappedItem[]> {
  let read = 0;
  // Every record of a header-row CSV has every column of the header, so the first record tells what the header lacks.
  let toCheck = mapping.reader.kind === 'csv' && !mapping.reader.columns;
  let missing: string | null = null;
  for await (const item of readRecords(source, mapping.reader, context)) {
    if (read++ < skip) continue;
    if ('error' in item) {
      yield [{ position: item.error.position, raw: item.raw ?? null, reject: { field: item.error.field ?? '(record)', rule: item.error.rule ?? 'unreadable', message: item.error.reason } }];
      continue;
    }
    if (toCheck) {
      missing = missingColumn(mapping, item.fields);
      toCheck = false;
    }
    if (missing !== null) {
      const reject = { field: missing, rule: 'missing-column', message: 'the header has no column of this name, which the mapping reads' };
      const sourceRef = sourceRefOf(mapping, item.fields);
      yield [{ position: item.position, raw: item.raw, reject: sourceRef === null ? reject : { ...reject, sourceRef } }];
      continue;
    }
    yield mapRecord(mapping, item, options).map((result) => ('record' in result
      ? { position: item.position, raw: item.raw, record: result.record }
      : { position: item.position, raw: item.raw, reject: result.reject }));
  }
}
