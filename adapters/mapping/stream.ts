/** Reading a source and mapping every record in one pass; nothing is dropped silently. */
import { readRecords, type ByteSource, type Position, type ReadContext } from '../readers/index.js';
import type { Mapping } from './load.js';
import { mapRecord, type MapOptions, type MapReject } from './map.js';
import type { SourceRecord } from '../../schemas/source-record.js';

export type MappedItem =
  | { position: Position; raw: string; record: SourceRecord }
  /** raw is null when the reader could not produce the record's text at all. */
  | { position: Position; raw: string | null; reject: MapReject };

export async function* readAndMap(mapping: Mapping, source: ByteSource, options: MapOptions = {}, context: ReadContext = {}): AsyncGenerator<MappedItem> {
  for await (const item of readRecords(source, mapping.reader, context)) {
    if ('error' in item) {
      yield { position: item.error.position, raw: null, reject: { field: '(record)', rule: 'unreadable', message: item.error.reason } };
      continue;
    }
    for (const result of mapRecord(mapping, item, options)) {
      yield 'record' in result ? { position: item.position, raw: item.raw, record: result.record } : { position: item.position, raw: item.raw, reject: result.reject };
    }
  }
}
