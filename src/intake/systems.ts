/**
 * The source systems the hub takes records of, each with its mapping file:
 * the shipped mappings, and the council's own (MAPPING_FILES), which add a
 * system or replace the shipped mapping of theirs. Checked whole when the hub
 * or a CLI command starts, so that a broken mapping stops it with the
 * variable named rather than failing the first push.
 */
import { DEFAULT_MAPPING_FILES, loadMapping, MappingError } from '../../adapters/mapping/index.js';
import { ConfigError } from '../config.js';

/** Mapping file by system name. */
export type MappingFiles = Readonly<Record<string, string>>;

export async function mappingFilesOf(extra: readonly string[]): Promise<MappingFiles> {
  const files: Record<string, string> = { ...DEFAULT_MAPPING_FILES };
  const given = new Map<string, string>();
  for (const file of extra) {
    let system: string;
    try {
      ({ system } = await loadMapping(file));
    } catch (error) {
      const first = error instanceof MappingError ? error.issues[0] : undefined;
      const why = first ? `${first.path || '/'}: ${first.rule}: ${first.message}` : (error as Error).message;
      throw new ConfigError('MAPPING_FILES', `${file} is not a valid mapping (${why}; docs/mapping-files.md)`);
    }
    const earlier = given.get(system);
    if (earlier !== undefined) throw new ConfigError('MAPPING_FILES', `${earlier} and ${file} both map the ${system} system`);
    given.set(system, file);
    files[system] = file;
  }
  return files;
}
