/**
 * Telling a second signal from the same one delivered twice. Ctrl-C under
 * `npm start` or `npm run hub` reaches the process from the terminal (its
 * whole foreground group) and once more from npm, which forwards
 * SIGINT/SIGTERM to its script: that copy is not an operator insisting.
 */

/** A signal that comes again this soon after the first is the first one's copy. */
export const SAME_SIGNAL_MS = 250;

export interface FirstSignal {
  signal: NodeJS.Signals | null;
  at: number;
}

/** Whether `signal`, arriving now, is a copy of the first rather than a second signal. */
export const isCopyOf = (first: FirstSignal, signal: NodeJS.Signals, now = Date.now()): boolean =>
  signal === first.signal && now - first.at <= SAME_SIGNAL_MS;
