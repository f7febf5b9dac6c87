/**
 * What every identifier validator returns: the normalised form when valid, and
 * the rule that failed when not. `problem` names a rule, never the value, so it
 * can go into logs.
 */
export interface IdentifierCheck {
  valid: boolean;
  normalised: string | null;
  problem?: string;
}

export const accept = (normalised: string): IdentifierCheck => ({ valid: true, normalised });

export const reject = (problem: string): IdentifierCheck => ({ valid: false, normalised: null, problem });
