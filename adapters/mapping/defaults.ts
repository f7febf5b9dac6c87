/** The mappings shipped for the four source systems, in their adapter folders. */
import { fileURLToPath } from 'node:url';
import { loadMapping, type Mapping } from './load.js';

export const DEFAULT_MAPPING_FILES = {
  revenues: fileURLToPath(new URL('../revenues/council-tax.mapping.yaml', import.meta.url)),
  housing: fileURLToPath(new URL('../housing/tenancies.mapping.yaml', import.meta.url)),
  'social-care': fileURLToPath(new URL('../social-care/clients.mapping.yaml', import.meta.url)),
  smartcard: fileURLToPath(new URL('../smartcard/registrations.mapping.yaml', import.meta.url)),
} as const;

export type DefaultSystem = keyof typeof DEFAULT_MAPPING_FILES;

export function loadDefaultMapping(system: DefaultSystem): Promise<Mapping> {
  return loadMapping(DEFAULT_MAPPING_FILES[system]);
}
