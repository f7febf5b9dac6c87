/** A failure at start or in a command: one clear line on stderr, no stack trace, non-zero exit. */
import { ConfigError } from '../config.js';
import { errorMessage } from '../logging.js';

export function exitWithError(error: unknown): never {
  const message = error instanceof ConfigError
    ? `citizen hub: configuration error: ${error.message}`
    : `citizen hub: ${errorMessage(error)}`;
  process.stderr.write(`${message.split('\n')[0]}\n`);
  if (process.env.HUB_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
