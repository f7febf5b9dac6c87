/**
 * The source systems the hub takes records of, each with its mapping file:
 * the shipped mappings, and the council's own (MAPPING_FILES), which add a
 * system or replace the shipped mapping of theirs. Checked whole when the hub
 * or a CLI command starts, so that a broken mapping stops it with the
 * variable named rather than failing the first push.
 */
import { DEFAULT_MAPPING_FILES, loadMapping, MappingError, type Mapping } from '../../adapters/mapping/index.js';
import { shippedSystemCategory, useSystemCategories, type SystemCategory } from '../../schemas/categories.js';
import { ConfigError } from '../config.js';

/** Mapping file by system name. */
export type MappingFiles = Readonly<Record<string, string>>;

export interface CouncilSystems {
  files: MappingFiles;
  /** The category each of the council's own systems holds (its mapping's `category`; schemas/categories.ts useSystemCategories). */
  categories: Readonly<Record<string, SystemCategory>>;
  /**
   * The council's own mappings as read here, by system: the hub uses these, so that a file edited while it runs
   * takes effect, fields and category together, at its next start.
   */
  mappings: Readonly<Record<string, Mapping>>;
}

/** The mapping file of every system the hub takes records of. */
export async function mappingFilesOf(extra: readonly string[]): Promise<MappingFiles> {
  return (await councilSystemsOf(extra)).files;
}

/**
 * The systems, with the categories of the council's own. A mapping of a
 * shipped system may not give it another category: social care's records
 * stay social-care data however the council maps them.
 */
export async function councilSystemsOf(extra: readonly string[]): Promise<CouncilSystems> {
  const files: Record<string, string> = { ...DEFAULT_MAPPING_FILES };
  const categories: Record<string, SystemCategory> = {};
  const mappings: Record<string, Mapping> = {};
  const given = new Map<string, string>();
  for (const file of extra) {
    let mapping: Mapping;
    try {
      mapping = await loadMapping(file);
    } catch (error) {
      const first = error instanceof MappingError ? error.issues[0] : undefined;
      const why = first ? `${first.path || '/'}: ${first.rule}: ${first.message}` : (error as Error).message;
      throw new ConfigError('MAPPING_FILES', `${file} is not a valid mapping (${why}; docs/mapping-files.md)`);
    }
    const { system, category } = mapping;
    const earlier = given.get(system);
    if (earlier !== undefined) throw new ConfigError('MAPPING_FILES', `${earlier} and ${file} both map the ${system} system`);
    const shipped = shippedSystemCategory(system);
    if (shipped !== undefined && category !== undefined && category !== shipped) {
      throw new ConfigError('MAPPING_FILES', `${file} gives the ${system} system the category ${category}; a shipped system keeps its own (${shipped})`);
    }
    given.set(system, file);
    files[system] = file;
    mappings[system] = mapping;
    if (shipped === undefined) categories[system] = category ?? 'service-involvement';
  }
  return { files, categories, mappings };
}

/** The systems, their categories put in force for the policy engine: what the hub does when it starts. */
export async function councilSystemsInForce(extra: readonly string[]): Promise<CouncilSystems> {
  const systems = await councilSystemsOf(extra);
  useSystemCategories(systems.categories);
  return systems;
}
