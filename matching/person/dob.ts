/** How far two dates of birth agree, best first. */
export type DobLevel = 'exact' | 'transposed' | 'one-digit' | 'year' | 'different';

/**
 * Compare two ISO dates. Day/month transposition (03-04 for 04-03) and a
 * single mistyped digit are the usual clerical errors, so they are partial
 * agreement rather than different dates.
 */
export function dobLevel(a: string, b: string): DobLevel {
  if (a === b) return 'exact';
  const [ya, ma, da] = [a.slice(0, 4), a.slice(5, 7), a.slice(8, 10)];
  const [yb, mb, db] = [b.slice(0, 4), b.slice(5, 7), b.slice(8, 10)];
  if (ya === yb && ma === db && da === mb) return 'transposed';
  const x = ya + ma + da;
  const y = yb + mb + db;
  let differing = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) differing++;
  if (differing === 1) return 'one-digit';
  if (ya === yb) return 'year';
  return 'different';
}
