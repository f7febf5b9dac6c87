/** A background task's failures are logged once per run of them; the database's host not resolving is the database out of reach. */
import { describe, expect, it } from 'vitest';
import { FailureLog } from '../../../src/server/unavailable.js';

const lines = () => {
  const said: string[] = [];
  const log = (_: object, message: string) => void said.push(message);
  return { said, logger: { error: log, warn: log, info: log } };
};
const notResolved = (hostname: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });

describe('FailureLog', () => {
  it("takes the database's own host not resolving for the database out of reach, once, and another host's for a failure", () => {
    const { said, logger } = lines();
    const failures = new FailureLog(logger, 'audit sealing', 'error', new Set(['db.council.example']));
    failures.failed(notResolved('DB.council.example'));
    failures.failed(notResolved('db.council.example'));
    expect(said).toEqual(['audit sealing: the database cannot be reached; retrying, logged again once it works']);
    failures.succeeded();
    failures.failed(notResolved('receiver.partner.example'));
    expect(said.slice(1)).toEqual(['audit sealing works again', 'audit sealing failed; retrying, logged again once it works or fails otherwise']);
  });
});
