/** The `hub` command. */
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startHub, stopOnSignals } from '../hub.js';
import { auditCommand } from './audit.js';
import { clientsCommand } from './clients.js';
import { action, withDatabase } from './context.js';
import { gazetteerCommand } from './gazetteer.js';
import { ingestCommand, rejectsCommand } from './ingest.js';
import { exportCommand, linkageCommand } from './linkage.js';
import { matchAddressesCommand } from './match-addresses.js';
import { pipelineCommand } from './pipeline.js';

const program = new Command('hub')
  .description('citizen hub: council data integration, address matching, person linkage and the single citizen view')
  .showHelpAfterError();

program
  .command('start')
  .description('run the API and the queue workers (same as npm start)')
  .action(action(async () => {
    const config = loadConfig();
    const hub = await startHub(config, { api: true, workers: config.workers });
    stopOnSignals(hub, config);
    process.stdout.write(`citizen hub ready at ${hub.address}\n`);
  }));

program
  .command('worker')
  .description('run only the queue workers (scale them apart from the API)')
  .action(action(async () => {
    const config = loadConfig();
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

program.addCommand(clientsCommand());
program.addCommand(gazetteerCommand());
program.addCommand(ingestCommand());
program.addCommand(rejectsCommand());
program.addCommand(matchAddressesCommand());
program.addCommand(pipelineCommand());
program.addCommand(linkageCommand());
program.addCommand(exportCommand());
program.addCommand(auditCommand());

await program.parseAsync(process.argv);
