/**
 * A hub app with the register, citizen and audit routes over an in-memory
 * citizen source of synthetic people, on a fresh test database.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { Role } from '../../../schemas/roles.js';
import { createClient } from '../../../src/auth/clients.js';
import type { CitizenLookup, CitizenSearch, CitizenSource } from '../../../src/citizens/source.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logging.js';
import { policyOptions } from '../../../src/policy/options.js';
import authPlugin from '../../../src/server/plugins/auth.js';
import strictQueryPlugin from '../../../src/server/plugins/strict-query.js';
import rateLimitPlugin from '../../../src/server/plugins/rate-limit.js';
import errorsPlugin from '../../../src/server/plugins/errors.js';
import auditRoutes from '../../../src/server/routes/audit.js';
import citizenRoutes from '../../../src/server/routes/citizens.js';
import registerRoutes from '../../../src/server/routes/register.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const source = { system: 'revenues', sourceRef: 'CT1-1', asOf: '2026-01-01T00:00:00.000Z', verified: true };

/** A synthetic citizen with data in most categories. */
export function person(ref: string, surname: string, over: { phone?: string; uprn?: number; sourceRef?: string } = {}): CitizenView {
  const src = { ...source, sourceRef: over.sourceRef ?? `${ref}-CT` };
  return {
    ref,
    identity: {
      name: { value: { title: null, forenames: ['TESTA'], surname, suffix: null, raw: null, kind: 'current' }, source: src },
      otherNames: [],
      dateOfBirth: { value: '1960-01-02', source: src },
      sex: null,
      nhsNumber: { value: '9434765919', source: src },
      nino: null,
    },
    contact: [{ contact: { kind: 'phone', value: over.phone ?? '+447700900001', raw: '07700 900001', valid: true, use: 'mobile' }, source: src }],
    addresses: [{ uprn: over.uprn ?? 100000001, line: '1 TEST STREET, NORTHBY', postcode: 'ZZ1 1AA', matchStatus: 'matched', current: true, source: src }],
    household: [],
    entitlements: [
      { entitlement: { kind: 'disability', code: 'DIS', from: null, to: null, evidence: { verified: true, verifiedOn: '2020-02-01', method: 'GP letter' } }, category: 'health-disability', status: 'current', holder: 'person', source: src },
      { entitlement: { kind: 'council-tax-reduction', code: 'CTR', from: null, to: null, evidence: { verified: true, verifiedOn: '2021-01-01', method: null } }, category: 'revenues', status: 'current', holder: 'person', source: src },
    ],
    involvements: [],
    sourceRecords: [{ system: src.system, sourceRef: src.sourceRef, linkedAt: '2026-01-01T00:00:00.000Z', linkedBy: 'model', closed: false }],
    withheld: [],
  };
}

export class MemorySource implements CitizenSource {
  readonly people = new Map<string, CitizenView>();
  readonly merged = new Map<string, string>();

  add(view: CitizenView): this {
    this.people.set(view.ref, view);
    return this;
  }

  async view(ref: string): Promise<CitizenLookup> {
    const survivor = this.merged.get(ref);
    if (survivor) return { redirectTo: survivor };
    const view = this.people.get(ref);
    return view ? { view: structuredClone(view) } : null;
  }

  async search(criteria: CitizenSearch, limit: number): Promise<string[]> {
    return [...this.people.values()]
      .filter((p) => (criteria.surname === undefined || p.identity?.name.value.surname === criteria.surname.toUpperCase())
        && (criteria.phone === undefined || p.contact?.some((c) => c.contact.value === criteria.phone)))
      .map((p) => p.ref)
      .slice(0, limit);
  }

  async occupants(uprn: number): Promise<string[]> {
    return [...this.people.values()].filter((p) => p.addresses?.some((a) => a.uprn === uprn && a.current)).map((p) => p.ref);
  }

  async mergedInto(ref: string): Promise<string[]> {
    return [...this.merged.entries()].filter(([, survivor]) => survivor === ref).map(([old]) => old);
  }
}

export interface RegisterHub {
  app: Awaited<ReturnType<typeof build>>;
  db: TestDatabase;
  source: MemorySource;
  logLines: string[];
  clock: { now: Date };
  key(role: Role, org: string): Promise<{ key: string; clientId: number; orgId: number }>;
  close(): Promise<void>;
}

async function build(db: TestDatabase, source: MemorySource, clock: { now: Date }, logLines: string[]) {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = Fastify({
    loggerInstance: createLogger('info', sink),
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // As the hub does: tests find a request's audit entries by its id.
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(errorsPlugin);
  // As the hub registers them: auth counts failed keys in the rate limiter. The limit is the hub's default.
  await app.register(rateLimitPlugin, { rateLimitPerMinute: loadConfig({}).rateLimitPerMinute });
  await app.register(authPlugin, { pool: db.pool });
  await app.register(strictQueryPlugin);
  const now = () => clock.now;
  const policy = policyOptions({ extraPurposes: ['housing-allocation'], breakGlassMinutes: 60 });
  await app.register(registerRoutes, { pool: db.pool, source, clock: now, policy });
  await app.register(citizenRoutes, { pool: db.pool, source, clock: now, policy });
  await app.register(auditRoutes, { pool: db.pool, source });
  await app.ready();
  return app;
}

export async function createRegisterHub(): Promise<RegisterHub> {
  const db = await createTestDatabase();
  const source = new MemorySource();
  const clock = { now: new Date('2026-06-15T10:00:00.000Z') };
  const logLines: string[] = [];
  const app = await build(db, source, clock, logLines);
  return {
    app, db, source, logLines, clock,
    async key(role, org) {
      const { key, client } = await createClient(db.pool, { org, role });
      return { key, clientId: client.id, orgId: client.orgId };
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
