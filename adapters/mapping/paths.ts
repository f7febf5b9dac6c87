/**
 * Reading values out of a read record by mapping path. Every value comes
 * back with a label naming where it came from in the source (NINO_1,
 * Tenant[2].NINO), which is what warnings and rejects report instead of the
 * value itself.
 */
export interface Scope {
  root: Record<string, unknown>;
  /** Column-style party: alias → path in the root. */
  partyColumns?: Record<string, string>;
  /** Element-style party: the element and its label (Tenant[1]). */
  party?: { node: unknown; label: string };
  item?: { node: unknown; label: string };
}

export interface Found {
  values: unknown[];
  label: string;
}

// Mapping paths are few and read for every record: split each once.
const segmentCache = new Map<string, string[]>();
const segmentsOf = (path: string): string[] => {
  let segments = segmentCache.get(path);
  if (!segments) segmentCache.set(path, (segments = path.split('.')));
  return segments;
};

/** Walk a path; arrays met on the way fan out, so Tenant.Forename reads every tenant's forename. */
function walk(node: unknown, segments: string[]): unknown[] {
  // The common case, a column of a flat record, without the fan-out's arrays.
  if (segments.length === 1 && typeof node === 'object' && node !== null && !Array.isArray(node)) {
    const segment = segments[0]!;
    if (!(segment in node)) return [];
    const value = (node as Record<string, unknown>)[segment];
    return Array.isArray(value) ? [...value] : [value];
  }
  let current: unknown[] = [node];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const n of current) {
      const items = Array.isArray(n) ? n : [n];
      for (const item of items) {
        if (typeof item === 'object' && item !== null && segment in item) next.push((item as Record<string, unknown>)[segment]);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

export function find(scope: Scope, path: string): Found {
  if (path.startsWith('$party.')) {
    const [alias, ...rest] = segmentsOf(path.slice('$party.'.length));
    if (scope.partyColumns && alias !== undefined) {
      const column = scope.partyColumns[alias];
      if (column === undefined) return { values: [], label: path };
      return rest.length === 0 ? { values: walk(scope.root, segmentsOf(column)), label: column } : find({ root: scope.root }, [column, ...rest].join('.'));
    }
    if (scope.party && alias !== undefined) return { values: walk(scope.party.node, [alias, ...rest]), label: `${scope.party.label}.${[alias, ...rest].join('.')}` };
    return { values: [], label: path };
  }
  if (path.startsWith('$item.')) {
    const rest = segmentsOf(path.slice('$item.'.length));
    return scope.item ? { values: walk(scope.item.node, rest), label: `${scope.item.label}.${rest.join('.')}` } : { values: [], label: path };
  }
  return { values: walk(scope.root, segmentsOf(path)), label: path };
}

/** Scalars as trimmed text; objects (an element with only attributes) give their #text. */
export function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'object' && '#text' in value) return textOf((value as Record<string, unknown>)['#text']);
  return null;
}

export function texts(scope: Scope, path: string): { values: string[]; label: string } {
  const found = find(scope, path);
  return { values: found.values.map(textOf).filter((v): v is string => v !== null), label: found.label };
}
