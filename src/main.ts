/** `npm start`: the hub API and workers on the embedded PostgreSQL (or DATABASE_URL). */
import { exitWithError } from './cli/fail.js';
import { loadConfig } from './config.js';
import { exitOnSignalsWhileStarting, startHub, stopOnSignals } from './hub.js';

try {
  const config = loadConfig();
  const starting = exitOnSignalsWhileStarting();
  const hub = await startHub(config, { api: true, workers: config.workers });
  starting();
  stopOnSignals(hub, config);
  process.stdout.write(`citizen hub ready at ${hub.address} (API docs at ${hub.address}/docs)\n`);
} catch (error) {
  exitWithError(error);
}
