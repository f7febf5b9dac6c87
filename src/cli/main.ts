/** The `hub` command. */
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { action, withDatabase } from './context.js';

// Each command's modules are loaded only when it runs (and all of them for help): loading the whole hub (the
// API, every route and the queue) cost `hub ingest` about 2.5 s of CPU before it read a line.
const COMMANDS: Record<string, () => Promise<Command[]>> = {
  clients: async () => [(await import('./clients.js')).clientsCommand()],
  gazetteer: async () => [(await import('./gazetteer.js')).gazetteerCommand()],
  ingest: async () => [(await import('./ingest.js')).ingestCommand()],
  rejects: async () => [(await import('./ingest.js')).rejectsCommand()],
  'match-addresses': async () => [(await import('./match-addresses.js')).matchAddressesCommand()],
  pipeline: async () => [(await import('./pipeline.js')).pipelineCommand()],
  linkage: async () => [(await import('./linkage.js')).linkageCommand()],
  export: async () => [(await import('./linkage.js')).exportCommand()],
  audit: async () => [(await import('./audit.js')).auditCommand()],
};

// A reader that stops early (`hub rejects revenues | head`) closes the pipe: the rest of the output is dropped and the
// command ends as it would have, its work done and its database closed, instead of on an unhandled EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const program = new Command('hub')
  .description('citizen hub: council data integration, address matching, person linkage and the single citizen view')
  .showHelpAfterError();

program
  .command('start')
  .description('run the API and the queue workers (same as npm start)')
  .action(action(async () => {
    const config = loadConfig();
    const { startHub, stopOnSignals } = await import('../hub.js');
    const hub = await startHub(config, { api: true, workers: config.workers });
    stopOnSignals(hub, config);
    process.stdout.write(`citizen hub ready at ${hub.address}\n`);
  }));

program
  .command('worker')
  .description('run only the queue workers (scale them apart from the API)')
  .action(action(async () => {
    const config = loadConfig();
    const { startHub, stopOnSignals } = await import('../hub.js');
    const hub = await startHub(config, { api: false, workers: true });
    stopOnSignals(hub, config);
    process.stdout.write('citizen hub workers running\n');
  }));

program
  .command('migrate')
  .description('apply database migrations')
  .action(action(async () => {
    await withDatabase(async () => {
      process.stdout.write('migrations applied\n');
    });
  }));

const named = COMMANDS[process.argv[2] ?? ''];
for (const load of named ? [named] : Object.values(COMMANDS)) for (const command of await load()) program.addCommand(command);

await program.parseAsync(process.argv);
