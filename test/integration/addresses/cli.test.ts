import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { run } from '../../support/process.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import { abpFile, tinyAbp } from '../../support/tiny-council.js';

describe('hub gazetteer import and hub match-addresses', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-cli-'));
  const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();

    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a supply and prints a summary per record type', async () => {
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    const result = await run('src/cli/main.ts', ['gazetteer', 'import', file], env());
    expect(result.stderr).not.toMatch(/citizen hub:/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/FULL import \d+ \(abp\)/);
    expect(result.stdout).toMatch(/21 BLPU: 9/);
    expect(result.stdout).toMatch(/address index: 10 addresses/);
  });

  it('reports a bad file with file, line and reason, and exits non-zero', async () => {
    const file = path.join(dir, 'AddressBasePremium_FULL_broken.csv');
    const lines = tinyAbp().split('\r\n');
    lines.splice(4, 0, '21,"I",1,NOT-A-UPRN');
    writeFileSync(file, lines.join('\r\n'));
    const result = await run('src/cli/main.ts', ['gazetteer', 'import', file], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/AddressBasePremium_FULL_broken\.csv line \d+: record 21/);
    expect(result.stderr).toMatch(/nothing was applied \(the gazetteer is unchanged\)/);
  });

  it('matches a batch in input order, one output row per input row', async () => {
    const input = path.join(dir, 'in.csv');
    writeFileSync(input, [
      'id,address,postcode',
      'a1,"2 Mill Lane, Northby",ZZ1 1AB',
      'a2,"Flat 2, Riverside Court, 5 High St",',
      'a3,,',
      'a4,"99 Nowhere Road, Elsewhere",ZZ9 9ZZ',
      'a5,"2a mill ln northby zz11ab",',
      // A PO box is no property, even where a house has its number; a run over 2 and 2A names both.
      'a6,"PO Box 2, Exampleton",ZZ1 1AB',
      'a7,"2-2A Mill Lane, Northby",ZZ1 1AB',
      // A postcode alone: a street's worth of houses, none of them told apart.
      'a8,ZZ1 1AB,',
    ].join('\n'));
    const out = path.join(dir, 'out.csv');
    const result = await run('src/cli/main.ts', ['match-addresses', '--in', input, '--out', out], env());
    expect(result.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,uprn,status,score');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      'a1,100001,matched', 'a2,100012,matched', 'a3,,unmatched', 'a4,,unmatched', 'a5,100002,matched', 'a6,,unmatched', 'a7,100001,review', 'a8,,unmatched',
    ]);
    expect(result.stderr).toMatch(/8 addresses in/);
  });

  it('refuses an input without the expected header', async () => {
    const input = path.join(dir, 'bad.csv');
    writeFileSync(input, 'ref,text\nx,2 Mill Lane\n');
    const result = await run('src/cli/main.ts', ['match-addresses', '--in', input, '--out', path.join(dir, 'o.csv')], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the header must be id,address,postcode/);
  });

  it('refuses an empty or blank input with one line and exit code 1, writing no output; one with a header only says it holds no addresses', async () => {
    for (const [name, text] of [['empty.csv', ''], ['blank.csv', '\n \n']] as const) {
      const input = path.join(dir, name);
      writeFileSync(input, text);
      const out = path.join(dir, `${name}.out.csv`);
      const result = await run('src/cli/main.ts', ['match-addresses', '--in', input, '--out', out], env());
      expect([name, result.code]).toEqual([name, 1]);
      expect(result.stderr).toBe(text === ''
        ? `citizen hub: ${input} is empty (0 bytes): there are no addresses to match\n`
        : `citizen hub: ${input} has no header line (id,address,postcode): there are no addresses to match\n`);
      expect(existsSync(out)).toBe(false);
    }
    const input = path.join(dir, 'header-only.csv');
    writeFileSync(input, 'id,address,postcode\n');
    const out = path.join(dir, 'header-only.out.csv');
    const result = await run('src/cli/main.ts', ['match-addresses', '--in', input, '--out', out], env());
    expect(result.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('id,uprn,status,score\n');
    expect(result.stderr).toMatch(/^the file holds no addresses: was it transferred whole\?\n0 addresses in /);
  });

  it('says a failed import applied nothing, listing what was wrong without counts that read as loaded', async () => {
    const file = path.join(dir, 'AddressBasePremium_COU_2026-02-01_001.csv');
    const lpi = fields(ABP[24], 24, { UPRN: 100002, LPI_KEY: '100002L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, PAO_START_NUMBER: 4, USRN: 7001 }, 'U');
    const blpu = fields(ABP[21], 21, { UPRN: '9999999999999', LOGICAL_STATUS: 1 }, 'I');
    writeFileSync(file, abpFile([lpi, blpu], 'C', { processDate: '2026-02-01' }));
    const result = await run('src/cli/main.ts', ['gazetteer', 'import', file], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^COU import \d+ \(abp\) failed\n {2}rejects: 1\n {4}AddressBasePremium_COU_2026-02-01_001\.csv line 3: record 21 field UPRN: not a UPRN/);
    expect(result.stderr).toMatch(/\ncitizen hub: import \d+ failed, nothing was applied \(the gazetteer is unchanged\): .*line 3: record 21 field UPRN/);
    // The LPI update of line 2 was read, but not applied: no count may say it was.
    expect(result.stderr).not.toMatch(/24 LPI|UPRNs touched|address index/);
    expect(result.stderr.trim().split('\n')).toHaveLength(4);
  });

  it('names a gazetteer file that cannot be read, before starting anything', async () => {
    const missing = path.join(dir, 'no-such-supply.csv');
    const result = await run('src/cli/main.ts', ['gazetteer', 'import', missing], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`citizen hub: cannot read ${missing}: no such file\n`);
  });

  it('names an input line it cannot read by the line it starts on and the rule, never its text, and matches the rest', async () => {
    const input = path.join(dir, 'quotes.csv');
    writeFileSync(input, [
      'id,address,postcode',
      'a1,"2 Mill Lane, Northby",ZZ1 1AB',
      'a2,"Flat 2, Riverside Court, 5 High St",',
      'a3,,',
      'a4,"99 Nowhere Road, Elsewhere",ZZ9 9ZZ',
      'a5,"2a mill ln northby zz11ab",',
      'a6,"12 Mill Road, Northby,ZZ1 1AD',
      'a7,"2 Mill Road, Northby",ZZ1 1AD',
      'a8,"5 High Street"x,ZZ1 2BD',
      // A trailing empty postcode left off is taken as empty, as it always was.
      'a9,"2 Mill Lane Northby"',
      'a10,5 High "Street",ZZ1 2BD',
    ].join('\n'));
    const out = path.join(dir, 'quotes-out.csv');
    const result = await run('src/cli/main.ts', ['match-addresses', '--in', input, '--out', out], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${input} line 7: unclosed-quote: no closing quote within 50 lines; left out\n`);
    expect(result.stderr).toContain(`${input} line 9: text after the closing quote of a quoted field (in field 2); left out\n`);
    expect(result.stderr).toContain(`${input} line 11: a quote inside a field that is not quoted (in field 2); left out\n`);
    expect(result.stderr).toContain('3 input line(s) could not be read and have no output row\n');
    expect(result.stderr).toMatch(/7 addresses in .*\n$/);
    expect(result.stderr).not.toMatch(/mill|high st|Invalid Closing|got "/i);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','));
    expect(rows).toEqual(['id,uprn,status', 'a1,100001,matched', 'a2,100012,matched', 'a3,,unmatched', 'a4,,unmatched', 'a5,100002,matched', 'a7,100005,matched', 'a9,100001,matched']);
  });

  it('names an output path it cannot write and an input it cannot read, in one line, writing nothing', async () => {
    const input = path.join(dir, 'one.csv');
    writeFileSync(input, 'id,address,postcode\na1,"2 Mill Lane, Northby",ZZ1 1AB\n');
    const badOut = path.join(dir, 'no-such-dir', 'out.csv');
    const unwritable = await run('src/cli/main.ts', ['match-addresses', '--in', input, '--out', badOut], env());
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toBe(`citizen hub: cannot write ${badOut}: its directory does not exist\n`);
    const missing = path.join(dir, 'no-such-input.csv');
    const unreadable = await run('src/cli/main.ts', ['match-addresses', '--in', missing, '--out', path.join(dir, 'never.csv')], env());
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toBe(`citizen hub: cannot read ${missing}: no such file\n`);
    expect(existsSync(path.join(dir, 'never.csv'))).toBe(false);
  });
});
