import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HUB_PURPOSES } from '../../../schemas/categories.js';
import { OVERSIGHT_PURPOSE } from '../../../src/citizens/access-explanation.js';
import { SUBJECT_ACCESS_PURPOSE } from '../../../src/citizens/subject-access.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { STEWARDSHIP_PURPOSE } from '../../../src/linkage/steward-audit.js';
import { REGISTER_PURPOSE } from '../../../src/register/change-entry.js';

describe('configuration from the environment', () => {
  it('uses defaults when nothing is set', () => {
    const config = loadConfig({}, '/srv/hub');
    expect(config).toMatchObject({ databaseUrl: null, dataDir: '/srv/hub/.data', host: '127.0.0.1', port: 3000, logLevel: 'info', workers: true });
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://hub:pw@db:5432/hub', DATA_DIR: '/var/hub', HOST: '0.0.0.0', PORT: '8080',
      LOG_LEVEL: 'WARN', HUB_WORKERS: 'false', BODY_LIMIT_BYTES: '2048', HUB_EXTRA_PURPOSES: 'housing-allocation',
    }, '/srv');
    expect(config).toMatchObject({
      databaseUrl: 'postgres://hub:pw@db:5432/hub', dataDir: '/var/hub', host: '0.0.0.0', port: 8080,
      logLevel: 'warn', workers: false, bodyLimit: 2048, extraPurposes: ['housing-allocation'],
    });
  });

  it('loads the demo council by default only on the embedded database', () => {
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ HUB_DEMO: 'false' }).demo).toBe(false);
    // An empty server given by DATABASE_URL is a council's new database: no demo people in it unless asked.
    expect(loadConfig({ DATABASE_URL: 'postgres://hub:pw@db:5432/hub' }).demo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://hub:pw@db:5432/hub', HUB_DEMO: 'true' }).demo).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ HUB_WORKERS: 'maybe' }, 'HUB_WORKERS'],
    [{ HUB_EXTRA_PURPOSES: 'Bad Purpose' }, 'HUB_EXTRA_PURPOSES'],
  ])('refuses %o naming the variable', (env, variable) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as Error).message.startsWith(`${variable}:`)).toBe(true);
    expect((caught as Error).message).not.toContain('\n');
  });
});

describe('HUB_EXTRA_PURPOSES', () => {
  it.each([
    ['subject-access', 'a purpose the hub records its own work under'],
    ['housing-allocation,data-protection-oversight', 'a purpose the hub records its own work under'],
    ['data-stewardship', 'a purpose the hub records its own work under'],
    ['register-maintenance', 'a purpose the hub records its own work under'],
    ['emergency', 'in the vocabulary already'],
    ['housing-allocation, housing-allocation', 'in the vocabulary already'],
  ])('refuses %s, naming the variable and the purpose', (value, rule) => {
    const purpose = value.split(',').at(-1)!.trim();
    let caught: unknown;
    try {
      loadConfig({ HUB_EXTRA_PURPOSES: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe('HUB_EXTRA_PURPOSES');
    expect((caught as Error).message).toMatch(new RegExp(`^HUB_EXTRA_PURPOSES: "${purpose}" is ${rule}`));
  });

  it('knows every purpose the hub records its own work under', () => {
    expect([...HUB_PURPOSES].sort()).toEqual([OVERSIGHT_PURPOSE, REGISTER_PURPOSE, STEWARDSHIP_PURPOSE, SUBJECT_ACCESS_PURPOSE].sort());
  });
});

describe('TRUST_PROXY', () => {
  it('trusts no proxy by default, and takes true, a number of hops, or addresses and ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.1,loopback,2001:db8::/32' }).trustProxy)
      .toEqual(['10.0.0.0/8', '192.0.2.1', 'loopback', '2001:db8::/32']);
  });
  it.each(['10.0.0.0/33', 'proxy.example.org', '10.0.0.1/8/1', '2001:db8::/129'])('refuses %s naming the variable and the entry', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(new RegExp(`^TRUST_PROXY: "${value.replace(/[.*/]/g, '\\$&')}" is not`));
  });
});

describe('ADDRESS_PARSER', () => {
  it('defaults to the built-in parser and accepts libpostal', () => {
    expect(loadConfig({}).addressParser).toBe('builtin');
    expect(loadConfig({ ADDRESS_PARSER: 'libpostal' }).addressParser).toBe('libpostal');
  });
  it('names the variable when the value is unknown', () => {
    expect(() => loadConfig({ ADDRESS_PARSER: 'magic' })).toThrow(/ADDRESS_PARSER/);
  });
});

describe('NICKNAMES_FILE', () => {
  it('is resolved against the working directory and checked at start', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-nicknames-'));
    try {
      writeFileSync(path.join(dir, 'names.csv'), 'name1,relationship,name2\nKATHERINE,has_nickname,KIT\n');
      expect(loadConfig({}).nicknamesFile).toBeNull();
      expect(loadConfig({ NICKNAMES_FILE: 'names.csv' }, dir).nicknamesFile).toBe(path.join(dir, 'names.csv'));
      expect(() => loadConfig({ NICKNAMES_FILE: '/nonexistent' })).toThrow(new ConfigError('NICKNAMES_FILE', 'cannot read /nonexistent: no such file'));
      expect(() => loadConfig({ NICKNAMES_FILE: dir })).toThrow(new ConfigError('NICKNAMES_FILE', `cannot read ${dir}: it is a directory`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MAPPING_FILES', () => {
  it('lists files resolved against the working directory, each checked at start', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-mappings-'));
    try {
      writeFileSync(path.join(dir, 'library.mapping.yaml'), 'version: 1\n');
      writeFileSync(path.join(dir, 'leisure.mapping.yaml'), 'version: 1\n');
      expect(loadConfig({}).mappingFiles).toEqual([]);
      expect(loadConfig({ MAPPING_FILES: ' library.mapping.yaml , leisure.mapping.yaml,' }, dir).mappingFiles)
        .toEqual([path.join(dir, 'library.mapping.yaml'), path.join(dir, 'leisure.mapping.yaml')]);
      expect(() => loadConfig({ MAPPING_FILES: 'library.mapping.yaml,missing.yaml' }, dir))
        .toThrow(new ConfigError('MAPPING_FILES', `cannot read ${path.join(dir, 'missing.yaml')}: no such file`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
