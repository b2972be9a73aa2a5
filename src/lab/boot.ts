/**
 * `osd lab boot`: starts a lab machine and runs a task sequence on it to the end, following the
 * restarts its steps request — into Windows PE (`_SMSTSInWinPE=true`) or the installed OS — with
 * the real step handlers (src/actions) on its disk images, a crash-safe journal and smsts.log in
 * the machine's folder (copied onto its disk where osd-features §6.1 says at each restart and at
 * the end). Booting again after a kill resumes where the journal says. A step no handler can do
 * here (Upgrade Operating System …) is predicted, and the report says so.
 * A machine with no OS on its disks boots from the network (PXE) into Windows PE.
 */
import { join } from 'node:path';
import { ActionExecutor } from '../actions/executor.js';
import type { SiteServices } from '../actions/services.js';
import type { ContentLibrary } from '../actions/content.js';
import { stepSimulators } from '../actions/handlers/index.js';
import { placeSmstsLog } from '../actions/os/smsts-log-copy.js';
import type { InitialVariable } from '../engine/engine.js';
import { simulate, type MediaType, type SimulationReport } from '../engine/simulate/simulate.js';
import type { TaskSequence } from '../sequence/model/task-sequence.js';
import { FileJournal } from '../runner/file-journal.js';
import { SealedSecretsJournal } from '../runner/sealed-journal.js';
import { ProcessExecutor } from '../runner/process-executor.js';
import { SmstsLog } from '../runner/smsts-log.js';
import type { LabMachine } from './lab-machine.js';

export interface BootOptions {
  sequence: TaskSequence;
  /** Shown in the boot history. */
  sequenceName: string;
  content: ContentLibrary;
  variables?: InitialVariable[];
  mediaType?: MediaType;
  /** The site's services for the steps (a lab booted by the agent, a test's catalogs); none by default. */
  services?: SiteServices;
}

export async function bootLab(lab: LabMachine, options: BootOptions): Promise<SimulationReport & { logPath: string }> {
  const content = options.content;
  // Secret variables (a local user state store's key, passwords) are sealed in the journal (src/runner/sealed-journal.ts).
  const journal = new SealedSecretsJournal(new FileJournal(join(lab.stateDir, 'journal.json')), join(lab.stateDir, 'journal.key'));
  const log = new SmstsLog(join(lab.stateDir, 'logs'));
  const report = await simulate(options.sequence, {
    profile: lab.profile,
    variables: options.variables,
    mediaType: options.mediaType,
    journal,
    log,
    steps: stepSimulators({ content }),
    executor: (predicting) => new ActionExecutor(lab, content, new ProcessExecutor(predicting), options.services),
    restart: async (target) => {
      // smsts.log onto the computer's disk where §6.1 puts it for this phase (src/actions/os/smsts-log-copy.ts).
      await placeSmstsLog(lab, log.files(), false).catch((e: Error) => warnLog(log, e));
      await lab.restart(target === 'WinPE' ? 'WinPE' : 'OS');
    },
  });
  await placeSmstsLog(lab, log.files(), true).catch((e: Error) => warnLog(log, e));
  lab.recordBoot({ at: new Date().toISOString(), sequence: options.sequenceName, result: report.result, exitCode: report.exitCode, message: report.message });
  return { ...report, logPath: log.path };
}

/** A log copy that failed is the log's own warning, never the run's failure. */
function warnLog(log: SmstsLog, e: Error): void {
  log.write({
    time: new Date(),
    component: 'TSManager',
    severity: 'warning',
    message: `smsts.log could not be copied onto the disk: ${e.message}`,
    file: 'boot.ts',
  });
}
