import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_FILES } from '../../../adapters/mapping/index.js';
import { ConfigError } from '../../../src/config.js';
import { categoryOfSystem, systemCategories, useSystemCategories } from '../../../schemas/categories.js';
import { councilSystemsInForce, councilSystemsOf, mappingFilesOf } from '../../../src/intake/systems.js';

/** The systems the hub has mappings for: the shipped ones, and the council's own (MAPPING_FILES), checked at start. */
describe('configured mapping files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-configured-'));
  afterAll(() => {
    useSystemCategories({});
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  // A council's own system, made from the shipped smartcard mapping as docs/mapping-files.md says.
  const smartcard = readFileSync(DEFAULT_MAPPING_FILES.smartcard, 'utf8');
  const library = write('library.mapping.yaml', smartcard.replace('system: smartcard', 'system: library'));

  it('adds a system, or replaces the shipped mapping of one, and keeps the rest', async () => {
    const own = write('smartcard.mapping.yaml', smartcard);
    expect(await mappingFilesOf([])).toEqual(DEFAULT_MAPPING_FILES);
    expect(await mappingFilesOf([library, own])).toEqual({ ...DEFAULT_MAPPING_FILES, library, smartcard: own });
  });

  it('refuses a file that is not a valid mapping, or two for one system, naming MAPPING_FILES and the file', async () => {
    const broken = write('broken.mapping.yaml', smartcard.replace('kind: csv', 'kind: spreadsheet'));
    const error = await mappingFilesOf([broken]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable: 'MAPPING_FILES', message: expect.stringContaining(`${broken} is not a valid mapping (/reader`) });
    const again = write('library-again.mapping.yaml', smartcard.replace('system: smartcard', 'system: library'));
    await expect(mappingFilesOf([library, again])).rejects.toThrow(new ConfigError('MAPPING_FILES', `${library} and ${again} both map the library system`));
  });

  it("gives each of the council's own systems the category its mapping names, service involvement by default", async () => {
    const clinic = write('clinic.mapping.yaml', smartcard.replace('system: smartcard', 'system: stop-smoking\ncategory: health-disability'));
    const own = write('smartcard-own.mapping.yaml', smartcard.replace('system: smartcard', 'system: smartcard\ncategory: concessions'));
    const systems = await councilSystemsOf([library, clinic, own]);
    expect(systems).toMatchObject({
      files: { ...DEFAULT_MAPPING_FILES, library, 'stop-smoking': clinic, smartcard: own },
      categories: { library: 'service-involvement', 'stop-smoking': 'health-disability' },
    });
    expect(Object.keys(systems.categories).sort()).toEqual(['library', 'stop-smoking']);
    // The mappings as read, which the hub uses from then on.
    expect(Object.fromEntries(Object.entries(systems.mappings).map(([system, m]) => [system, [m.system, m.category]])))
      .toEqual({ library: ['library', undefined], 'stop-smoking': ['stop-smoking', 'health-disability'], smartcard: ['smartcard', 'concessions'] });
  });

  it('refuses another category for a shipped system, and a category that is not a system category', async () => {
    const weaker = write('social-care.mapping.yaml', smartcard.replace('system: smartcard', 'system: social-care\ncategory: service-involvement'));
    await expect(councilSystemsOf([weaker])).rejects.toThrow(
      new ConfigError('MAPPING_FILES', `${weaker} gives the social-care system the category service-involvement; a shipped system keeps its own (social-care)`));
    const who = write('who.mapping.yaml', smartcard.replace('system: smartcard', 'system: library\ncategory: identity'));
    await expect(councilSystemsOf([who])).rejects.toMatchObject({ variable: 'MAPPING_FILES', message: expect.stringContaining(`${who} is not a valid mapping (/category`) });
  });

  it('puts the categories in force for the policy engine when the hub starts', async () => {
    const clinic = write('clinic-in-force.mapping.yaml', smartcard.replace('system: smartcard', 'system: stop-smoking\ncategory: health-disability'));
    expect(categoryOfSystem('stop-smoking')).toBe('service-involvement');
    expect((await councilSystemsInForce([clinic])).files).toEqual({ ...DEFAULT_MAPPING_FILES, 'stop-smoking': clinic });
    expect(categoryOfSystem('stop-smoking')).toBe('health-disability');
    expect(categoryOfSystem('social-care')).toBe('social-care');
    expect(systemCategories()).toContain('health-disability');
    await councilSystemsInForce([]);
    expect(categoryOfSystem('stop-smoking')).toBe('service-involvement');
    expect(systemCategories()).not.toContain('health-disability');
  });
});
