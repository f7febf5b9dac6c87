import { describe, expect, it } from 'vitest';
import { run } from '../../support/process.js';

// Refused by the argument parser before any database is opened: the URL below is never reached.
const env = { DATABASE_URL: 'postgres://hub:hub@127.0.0.1:1/hub', LOG_LEVEL: 'warn' };

describe('hub rejects', () => {
  it('refuses an --intake or --limit that is not a whole number, naming the option, instead of a database error', async () => {
    for (const [option, value] of [['--intake', 'abc'], ['--limit', '-1']] as const) {
      const result = await run('src/cli/main.ts', ['rejects', 'revenues', option, value], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`option '${option} <`);
      expect(result.stderr).toContain(`argument '${value}' is invalid`);
      expect(result.stderr).not.toMatch(/bigint|LIMIT|ECONNREFUSED/);
    }
  });
});
