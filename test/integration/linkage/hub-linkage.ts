/** The linkage commands as a stand-alone `hub`, for the CLI test (src/cli/main.ts wires the same commands). */
import { Command } from 'commander';
import { exportCommand, linkageCommand } from '../../../src/cli/linkage.js';

await new Command('hub').addCommand(linkageCommand()).addCommand(exportCommand()).parseAsync(process.argv);
