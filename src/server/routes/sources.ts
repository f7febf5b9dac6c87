/**
 * Push intake: a source system posts one record or a batch, as JSON (objects
 * with the fields of its extract layout) or XML (its own XML layout, or
 * Records/Record with one element per field). The records are stored before
 * the answer (202: matching and linking follow in the pipeline). A source
 * system that pushes says a record is gone with DELETE (withdraw.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Type } from 'typebox';
import { loadMapping, mapRecord, parseDateTime, readAndMap, sourceRefOf, DEFAULT_MAPPING_FILES, type MapOptions, type MapReject, type Mapping, type MappedItem } from '../../../adapters/mapping/index.js';
import { declaredXmlEncoding, decodeText, duplicateField, encodingProblem, parseExact, UnknownEncodingError, type ExactJson } from '../../../adapters/readers/index.js';
import { londonDate } from '../../policy/decide.js';
import { createIntake, ingestItems } from '../../intake/ingest.js';
import type { MappingFiles } from '../../intake/systems.js';
import { intakeById, knownSystem, rejectsOf } from '../../intake/queries.js';
import { resolveRef, withdraw, type PartiesOf } from '../../intake/withdraw.js';
import { PageNextId, RowId } from '../../../schemas/common.js';
import { errorResponses, HubError } from '../errors.js';
import { nextOf } from '../paging.js';
import { clientOf } from '../plugins/auth.js';
import { jsonBodyParser } from '../plugins/json-body.js';

const System = Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$' });
const Fields = Type.Record(Type.String(), Type.Unknown(), { description: 'one record with the fields of the system\'s extract layout' });
const JsonBody = Type.Union([Fields, Type.Array(Fields), Type.Object({ records: Type.Array(Fields) })]);

const Intake = Type.Object({
  id: Type.Integer(),
  system: Type.String(),
  channel: Type.String(),
  fileName: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  read: Type.Integer(),
  accepted: Type.Integer(),
  unchanged: Type.Integer(),
  superseded: Type.Integer(),
  stale: Type.Integer({ description: 'of the accepted, versions older than the current one, kept as history only' }),
  rejected: Type.Integer(),
  fullExtract: Type.Boolean({ description: 'a file taken in as holding every open record of its system' }),
  extractedAt: Type.String({
    description: 'the intake\'s source time: when the source made the file (given, or the intake\'s start), or when the push or withdrawal was received; '
      + 'records without an update time of their own are ordered by it',
  }),
  closed: Type.Integer({ description: 'records closed by the intake: those a full extract lacked, or those a source system withdrew (DELETE)' }),
  closingRefused: Type.Union([Type.String(), Type.Null()], {
    description: 'why a full extract closed nothing (rejects in the file, made before a full extract already taken, or more missing than allowed)',
  }),
  error: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

const Reject = Type.Object({
  id: Type.Integer(),
  intakeId: Type.Integer(),
  position: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])),
  sourceRef: Type.Union([Type.String(), Type.Null()], {
    description: 'the record\'s reference in its source (a party\'s with its suffix, CT000901-2), when it could be read from the record: '
      + 'null for a record the reader could not read, or whose reference is missing, too long, or is itself what was wrong',
  }),
  field: Type.Union([Type.String(), Type.Null()]),
  rule: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  receivedAt: Type.String(),
});

const Withdrawn = Type.Object({
  intakeId: Type.Integer({ description: 'the intake the withdrawal was taken in as (GET /v1/intakes/{id})' }),
  form: Type.Union([Type.Literal('row'), Type.Literal('party'), Type.Literal('record')], {
    description: 'how the reference was read: a row (every party of it), one party of a row, or the record of a system without parties',
  }),
  changed: Type.Boolean({ description: 'false when nothing was closed: closed already, or the withdrawal is older than the records' }),
  closed: Type.Array(Type.String(), { description: 'source references of the records closed by this withdrawal' }),
  alreadyClosed: Type.Array(Type.String(), { description: 'source references of records named that were closed already' }),
  stale: Type.Array(Type.String(), { description: 'source references of records the source updated after updatedAt: left open' }),
});

/** An ISO 8601 date or date-time (read as UTC without an offset), as the mappings read the sources' update times. */
const isoTime = (description: string) => Type.String({ description, pattern: '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$' });

const PUSH_XML_RECORDS = { kind: 'xml', recordPath: 'Records/Record' } as const;

function partiesOf(mapping: Mapping): PartiesOf {
  if (mapping.parties?.columns) return { columns: mapping.parties.columns.length };
  if (mapping.parties?.each) return { each: true };
  return null;
}

/** The field whose text is not valid UTF-8 (the body parser made its bytes U+FFFD), or "(record)". */
function mangledField(fields: Record<string, unknown>): string {
  const found = Object.entries(fields).find(([key, value]) => key.includes('\uFFFD') || JSON.stringify(value ?? null).includes('\uFFFD'));
  return found ? found[0] : '(record)';
}

async function* fromJson(records: Record<string, unknown>[], doc: ExactJson, charset: string, mapping: Mapping, options: MapOptions): AsyncGenerator<MappedItem> {
  for (const [index, fields] of records.entries()) {
    // The record's text as received, not written again from its fields.
    const item = { position: { index }, fields, raw: doc.textOf(fields) };
    // The reference of a record rejected whole, so that its source can find it; not one given twice (which is meant is not known).
    const withRef = (reject: MapReject, duplicate: string | null = null): MapReject => {
      const sourceRef = duplicate === mapping.sourceRef || mapping.sourceRef.startsWith(`${duplicate}.`) ? null : sourceRefOf(mapping, fields);
      return sourceRef === null ? reject : { ...reject, sourceRef };
    };
    const problem = encodingProblem(item.raw, charset);
    if (problem !== null) {
      yield { position: item.position, raw: item.raw, reject: withRef({ field: mangledField(fields), rule: 'unreadable', message: problem }) };
      continue;
    }
    const duplicate = doc.duplicateIn(fields);
    if (duplicate !== null) {
      const { reason, field, rule } = duplicateField(duplicate);
      yield { position: item.position, raw: item.raw, reject: withRef({ field, rule, message: reason }, duplicate) };
      continue;
    }
    for (const result of mapRecord(mapping, item, options)) {
      yield 'record' in result ? { position: item.position, raw: item.raw, record: result.record } : { position: item.position, raw: item.raw, reject: result.reject };
    }
  }
}

/** Every item of a pushed document, read before anything is stored: a batch over the limit is refused whole. */
async function readLimited(items: AsyncIterable<MappedItem>, max: number): Promise<MappedItem[]> {
  const seen = new Set<number>();
  const all: MappedItem[] = [];
  for await (const item of items) {
    seen.add(item.position.index);
    if (seen.size > max) throw new HubError('payload-too-large', `a pushed batch may hold at most ${max} records`);
    all.push(item);
  }
  return all;
}

async function* each(items: MappedItem[]): AsyncGenerator<MappedItem> {
  yield* items;
}

const PUSH_MEDIA_TYPES = new Set(['application/json', 'application/xml', 'text/xml']);

/** The charset the content type names, if any. */
const charsetOf = (request: FastifyRequest): string | undefined => /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1];

/** A body's text in `charset` (a byte-order mark wins); a charset the hub cannot read is 415. */
async function decoded(body: Buffer, charset: string): Promise<string> {
  let text = '';
  try {
    for await (const part of decodeText(body, charset)) text += part;
  } catch (error) {
    if (error instanceof UnknownEncodingError) throw new HubError('unsupported-media-type', `charset "${charset}" is not one the hub reads`);
    throw error;
  }
  return text;
}

const sources: FastifyPluginAsyncTypebox<{
  pool: pg.Pool;
  pushBatchMax: number;
  onAccepted?: (ids: number[], db: pg.PoolClient) => Promise<void>;
  /** Pushed dates of birth after its day (in London) are warned of, as in a file. */
  clock?: () => Date;
  /** The systems records are pushed to and withdrawn from, with their mappings (mappingFilesOf); the shipped ones by default. */
  mappingFiles?: MappingFiles;
  /** Mappings already read, by system; a system's file is read on its first push otherwise. */
  mappings?: Readonly<Record<string, Mapping>>;
}> = async (app, opts) => {
  const { pool, pushBatchMax, clock = () => new Date(), mappingFiles = DEFAULT_MAPPING_FILES as MappingFiles } = opts;
  const mappings = new Map<string, Promise<Mapping>>(Object.entries(opts.mappings ?? {}).map(([system, m]) => [system, Promise.resolve(m)]));
  const mappingOf = (system: string): Promise<Mapping> => {
    const file = Object.hasOwn(mappingFiles, system) ? mappingFiles[system] : undefined;
    if (!file) throw new HubError('not-found', `no source system "${system}" is configured`);
    let m = mappings.get(system);
    if (!m) mappings.set(system, (m = loadMapping(file)));
    return m;
  };

  // Pushed XML is decoded by the charset it is sent in (RFC 7303): the content type's, else its declaration's, else UTF-8.
  // Undecodable bytes become U+FFFD, and their record is rejected by the reader, not stored mangled.
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) => {
    return decoded(body, charsetOf(request) ?? declaredXmlEncoding(body) ?? 'utf-8');
  });

  // Pushed JSON is checked and refused (400) by the hub's parser (plugins/json-body.ts), then read again keeping every digit of its numbers,
  // the fields given twice and each record's text (adapters/readers/exact-json.ts).
  const json = jsonBodyParser(app);
  // JSON is UTF-8 (RFC 8259), but a source that names another charset in the content type is read in it, as XML is.
  const exactBodies = new WeakMap<FastifyRequest, { doc: ExactJson; charset: string }>();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, bytes: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    const charset = charsetOf(request) ?? 'utf-8';
    const read = /^utf-?8$/i.test(charset) ? Promise.resolve(bytes.toString()) : decoded(Buffer.from(bytes), charset);
    read.then((text) => json(request, text, (error, body) => {
      if (error) return done(error);
      try {
        exactBodies.set(request, { doc: parseExact(text), charset });
      } catch (e) {
        return done(e as Error);
      }
      done(null, body);
    }), (error: unknown) => done(error as Error));
  });

  app.post('/v1/sources/:system/records', {
    // A record holding NUL is rejected by the mapping, and the rest of the batch taken in (see mapRecord).
    config: { roles: ['source-system'], nulCheckedByRoute: true },
    schema: {
      tags: ['intake'],
      summary: 'Push one record or a batch from a source system',
      description: `JSON: one object, an array, or {"records": [...]}, each with the fields of the system's extract layout, in UTF-8 or the charset the content type names; `
        + `a number a double cannot hold exactly `
        + '(a 19-digit card number) is read as its digits, a record giving a field twice is rejected (`duplicate-field`), and each record\'s raw payload is its text as sent. '
        + 'XML: the system\'s own layout or <Records><Record>…</Record></Records>, in the charset the content type names, else the one its declaration names, else UTF-8 '
        + '(UTF-16 needs a byte-order mark or a charset: without, the document is one reject, rule `unreadable`, reason `wrong-encoding: …`); a charset the hub cannot read is 415; '
        + 'character references (&#201;) are read, DOCTYPE and entities other than the five predefined are refused, and a malformed record is one reject while the rest is taken in. '
        + 'An empty body (in XML, also one of white space only) is 400 and starts no intake.',
      params: Type.Object({ system: System }),
      body: {
        content: {
          'application/json': { schema: JsonBody },
          'application/xml': { schema: Type.String() },
          'text/xml': { schema: Type.String() },
        },
      } as never,
      response: { 202: Type.Object({ intakeId: Type.Integer(), status: Type.String(), read: Type.Integer(), accepted: Type.Integer(), stale: Type.Integer(), unchanged: Type.Integer(), rejected: Type.Integer() }), ...errorResponses },
    },
  }, async (request, reply) => {
    const client = clientOf(request);
    const { system } = request.params;
    if (!client.systems.includes(system)) throw new HubError('forbidden', `this client may not push to the ${system} system`);
    const mapping = await mappingOf(system);
    const body = request.body as unknown;
    // An empty XML body is parsed as '': no body, as an empty JSON one is, not a batch holding one malformed record.
    if (body === undefined || body === null || (typeof body === 'string' && body.trim() === '')) {
      throw new HubError('bad-request', 'the request has no body: push one record or a batch as JSON or XML');
    }
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!PUSH_MEDIA_TYPES.has(mediaType)) throw new HubError('unsupported-media-type', 'push records as application/json, application/xml or text/xml');
    const mapOptions: MapOptions = { today: londonDate(clock()) };
    let items: AsyncIterable<MappedItem>;
    let rawFormat: string;
    if (typeof body === 'string') {
      rawFormat = 'xml';
      const xmlOptions = mapping.reader.kind === 'xml' ? mapping.reader : PUSH_XML_RECORDS;
      // Decoded already (above): the mapping's encoding is the one of its files, not of what is pushed.
      items = each(await readLimited(readAndMap({ ...mapping, reader: { ...xmlOptions, encoding: 'utf-8' } }, Buffer.from(body, 'utf8'), mapOptions), pushBatchMax));
    } else {
      rawFormat = 'json';
      const exact = exactBodies.get(request);
      if (!exact) throw new Error('a JSON body without its exact reading');
      const { doc, charset } = exact;
      // The exact reading, not the body: the same document, with every digit of its numbers.
      const value = doc.value as Record<string, unknown> | Record<string, unknown>[];
      const batch = !Array.isArray(value) && Array.isArray(value.records);
      if (batch && doc.duplicatesOf(value).includes('records')) throw new HubError('bad-request', 'the body gives "records" more than once: which batch is meant cannot be known');
      const records = Array.isArray(value) ? value : batch ? (value.records as Record<string, unknown>[]) : [value];
      if (records.length > pushBatchMax) throw new HubError('payload-too-large', `a pushed batch may hold at most ${pushBatchMax} records (this one has ${records.length})`);
      items = fromJson(records, doc, charset, mapping, mapOptions);
    }
    const source = { system, channel: 'push' as const, requestId: request.id, clientId: client.id, rawFormat };
    const intakeId = await createIntake(pool, source);
    const counts = await ingestItems(pool, intakeId, source, items, opts.onAccepted ? { onAccepted: opts.onAccepted } : {});
    return reply.code(202).send({ intakeId, status: 'accepted', read: counts.read, accepted: counts.accepted, stale: counts.stale, unchanged: counts.unchanged, rejected: counts.rejected });
  });

  app.delete('/v1/sources/:system/records/:ref', {
    config: { roles: ['source-system'] },
    schema: {
      tags: ['intake'],
      summary: 'Withdraw a record: the source system says it is gone',
      description: 'Closes the record as a full extract lacking it would: a new version, its content as last received marked closed '
        + '(raw format `withdrawn-by-source`), taken in as an intake; it no longer gives its person a home or household, its history stays, '
        + 'and pushed again it opens again. Matching and linking follow in the pipeline. `ref` is the system\'s own reference: for a system '
        + 'whose rows name several parties (revenues, housing), a row\'s (every party of it is closed) or one party\'s, the row\'s reference '
        + 'and the party\'s position (`CT000901-2`); `party=N` names party N of row `ref` unambiguously. A reference naming both a row and '
        + 'a party of another row is refused (409). With `updatedAt` older than a record\'s own update time, the record stays open (`stale`). '
        + 'Withdrawing a closed record changes nothing. An unknown reference is 404.',
      params: Type.Object({ system: System, ref: Type.String({ minLength: 1, maxLength: 200, description: 'the source system\'s reference of the row or record' }) }),
      querystring: Type.Object({
        party: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'only this party (its position) of row `ref`; for systems with parties' })),
        updatedAt: Type.Optional(isoTime('when the record went at the source (ISO 8601; UTC without an offset; a + in an offset written %2B): older than the record\'s own update time, the withdrawal is stale and changes nothing')),
      }),
      response: { 200: Withdrawn, ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    const { system, ref } = request.params;
    if (!client.systems.includes(system)) throw new HubError('forbidden', `this client may not withdraw records of the ${system} system`);
    const mapping = await mappingOf(system);
    const { party, updatedAt: givenAt } = request.query;
    let updatedAt: string | null = null;
    if (givenAt !== undefined) {
      const parsed = parseDateTime(givenAt, ['ISO']);
      if (!parsed.ok) throw new HubError('bad-request', 'updatedAt is not a date or date-time');
      updatedAt = parsed.value;
    }
    const parties = partiesOf(mapping);
    if (party !== undefined && !parties) throw new HubError('bad-request', `the records of the ${system} system have no parties: give the record's reference without party`);
    const target = await resolveRef(pool, system, ref, parties, party);
    if (!target) throw new HubError('not-found', party !== undefined ? `no party ${party} of ${ref} in the ${system} system` : `no record ${ref} in the ${system} system`);
    if ('ambiguous' in target) {
      throw new HubError('conflict', `${ref} is both a row of the ${system} system (its parties ${target.ambiguous.row.join(', ')}) and a party of another row; `
        + `name one party with the row's reference and party=N`);
    }
    const done = await withdraw(pool, { system, ref, ...(party !== undefined ? { party } : {}), updatedAt, requestId: request.id, clientId: client.id }, target, opts.onAccepted);
    return { intakeId: done.intakeId, form: target.form, changed: done.closed.length > 0, closed: done.closed, alreadyClosed: done.alreadyClosed, stale: done.stale };
  });

  app.get('/v1/intakes/:id', {
    config: { roles: ['admin', 'steward', 'source-system'] },
    schema: {
      tags: ['intake'],
      summary: 'Progress and counts of one intake (file or push)',
      params: Type.Object({ id: RowId({ minimum: 1 }) }),
      response: { 200: Intake, ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    const intake = await intakeById(pool, request.params.id);
    if (!intake || (client.role === 'source-system' && !client.systems.includes(intake.system))) throw new HubError('not-found', `no intake ${request.params.id}`);
    return intake;
  });

  app.get('/v1/sources/:system/rejects', {
    config: { roles: ['admin', 'steward', 'source-system'] },
    schema: {
      tags: ['intake'],
      summary: 'Records of a source system that could not be read or mapped, with position and reason',
      description: 'A system the hub does not ship and has taken nothing in for, or an `intake` of another system, is 404.',
      params: Type.Object({ system: System }),
      querystring: Type.Object({
        intake: Type.Optional(RowId({ minimum: 1 })),
        after: RowId({ minimum: 0, default: 0, description: 'page on: the last id seen' }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ rejects: Type.Array(Reject), next: PageNextId }), ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    const { system } = request.params;
    if (client.role === 'source-system' && !client.systems.includes(system)) throw new HubError('forbidden', `this client may not read the ${system} system`);
    const { intake, after, limit } = request.query;
    // A misspelt system or an intake of another system would otherwise look like one without rejects.
    if (!(await knownSystem(pool, system, Object.keys(mappingFiles)))) {
      throw new HubError('not-found', `unknown source system ${system}: not one the hub has a mapping for, and nothing has been taken in for it`);
    }
    if (intake !== undefined && (await intakeById(pool, intake))?.system !== system) throw new HubError('not-found', `no intake ${intake} of the ${system} system`);
    const rejects = await rejectsOf(pool, system, { intakeId: intake ?? null, after, limit });
    return { rejects, ...nextOf(rejects, limit, (r) => r.id) };
  });
};
export default sources;
