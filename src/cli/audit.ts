/** `hub audit verify`: checks the audit trail's hash chain; exit code 1 and the first broken seq when it is broken. */
import { Command } from 'commander';
import { verifyAudit } from '../audit/store.js';
import { action, withDatabase } from './context.js';

export function auditCommand(): Command {
  const audit = new Command('audit').description('the tamper-evident audit trail of disclosures');
  audit
    .command('verify')
    .description('check every entry of the hash chain in order; exits 1 at the first broken entry')
    .action(action(async () => {
      const result = await withDatabase((db) => verifyAudit(db.pool));
      if (result.ok) {
        process.stdout.write(`audit trail intact: ${result.count} entries\n`);
        return;
      }
      process.stdout.write(`audit trail broken at seq ${result.firstBrokenSeq}: ${result.reason}\n`);
      process.exitCode = 1;
    }));
  return audit;
}
