/** The `hub audit` command on its own, until src/cli/main.ts registers it. */
import { Command } from 'commander';
import { auditCommand } from '../../../src/cli/audit.js';

await new Command('hub').addCommand(auditCommand()).parseAsync(process.argv);
