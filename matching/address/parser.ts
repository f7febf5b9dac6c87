/**
 * Address parsers behind one interface: the built-in BS 7666 parser (the
 * default, no download) and an optional libpostal backend (`node-postal`),
 * loaded only when asked for and only if the host has it installed.
 */
import { normaliseName } from './normalise.js';
import { emptyObject, parseAddress, parseObjectText, type ParsedAddress } from './parse.js';
import { findPostcode, repairPostcode } from './postcode.js';
import type { Vocabulary } from './vocabulary.js';

export interface AddressParser {
  name: string;
  parse(text: string, postcode?: string | null): ParsedAddress;
}

/** The built-in parser, using the loaded gazetteer's street, locality and town names. */
export function builtinParser(vocab: Vocabulary): AddressParser {
  return { name: 'builtin', parse: (text, postcode) => parseAddress(text, postcode, vocab) };
}

interface PostalComponent { component: string; value: string }
interface PostalModule { parser: { parse_address(text: string): PostalComponent[] } }

function isPostalModule(mod: unknown): mod is PostalModule {
  const parser = (mod as { parser?: { parse_address?: unknown } } | null)?.parser;
  return typeof parser?.parse_address === 'function';
}

/** libpostal's labelled components as BS 7666 fields. */
export function fromPostalComponents(components: readonly PostalComponent[], postcode?: string | null): ParsedAddress {
  const get = (name: string) => components.filter((c) => c.component === name).map((c) => c.value).join(' ') || null;
  const unit = [get('level'), get('unit')].filter((v) => v !== null).join(' ');
  const house = get('house');
  const houseNumber = get('house_number');
  const pao = houseNumber ? parseObjectText(houseNumber) : emptyObject();
  if (house) pao.text = normaliseName(house);
  const road = get('road');
  const locality = get('suburb') ?? get('city_district');
  const town = get('city');
  const written = get('postcode');
  const poBox = get('po_box');
  return {
    sao: unit ? parseObjectText(unit) : emptyObject(),
    pao,
    street: road ? normaliseName(road) : null,
    locality: locality ? normaliseName(locality) : null,
    town: town ? normaliseName(town) : null,
    postcode: repairPostcode(postcode) ?? repairPostcode(written) ?? (written ? findPostcode(written)?.postcode ?? null : null),
    leftover: [],
    // libpostal labels a PO box itself; only its number is kept, as the built-in parser keeps it.
    ...(poBox !== null ? { poBox: /\d+[A-Z]?/.exec(poBox.toUpperCase())?.[0] ?? '' } : {}),
  };
}

/**
 * The libpostal parser. Throws a clear error when `node-postal` (and with it
 * libpostal and its model) is not installed on this host.
 */
export async function loadLibpostalParser(moduleName = 'node-postal'): Promise<AddressParser> {
  let mod: unknown;
  try {
    mod = await import(moduleName);
  } catch (cause) {
    throw new Error(
      `The libpostal address parser needs the optional package "${moduleName}" and the libpostal library with its model; ` +
        'install them or use the built-in parser.',
      { cause },
    );
  }
  const candidate = isPostalModule(mod) ? mod : (mod as { default?: unknown }).default;
  if (!isPostalModule(candidate)) throw new Error(`The package "${moduleName}" does not provide parser.parse_address.`);
  const postal = candidate;
  return { name: 'libpostal', parse: (text, postcode) => fromPostalComponents(postal.parser.parse_address(text), postcode) };
}
