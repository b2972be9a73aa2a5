/**
 * The simulator's executor: instead of doing a step's work it predicts its effect on the variables
 * and on the (virtual) computer — Restart Computer restarts, Apply Operating System puts an OS on
 * the disk, Capture steps set the OSD* variables they would, Set Task Sequence Variable sets its
 * variable. Exit codes can be forced per step (`--fail "NAME"=CODE`) to see the failure paths.
 * Real handlers (issue 5 onwards) will give their own `simulate` answers; this is the fallback.
 */
import { readSettings } from '../../sequence/catalog/index.js';
import { importConditionXml } from '../../sequence/codec/xml-import.js';
import { isTrue } from '../../sequence/model/options.js';
import type { Step } from '../../sequence/model/task-sequence.js';
import { evaluateCondition } from '../conditions/index.js';
import type { MachineInventory } from '../inventory.js';
import type { Executor, RestartTarget, StepExecution, StepResult } from '../ports.js';

/** What the simulator tracks about the computer between steps. */
export interface SimulatedMachine {
  environment: 'WinPE' | 'FullOS';
  /** An operating system is on the disk (installed before, or applied by Apply Operating System). */
  osOnDisk: boolean;
  /** Disk partitioned by a Format and Partition Disk step during this run. */
  partitioned: boolean;
  /** Apply Operating System ran: the OS on the disk is the new one. */
  imageApplied?: boolean;
  /** The computer name of the installed OS, if any (Capture Windows Settings reads it). */
  computerName?: string;
  timeZone?: string;
  registeredOrganization?: string;
  registeredOwner?: string;
  domain?: string;
  workgroup?: string;
  /** Current inventory, for Set Dynamic Variables rules. */
  inventory: () => MachineInventory;
}

export interface ForcedExitCode {
  /** A step name or path (as `osd ts show` prints it). */
  step: string;
  exitCode: number;
}

const is = (step: Step, type: string): boolean => (step.type ?? '').toLowerCase() === `sms_tasksequence_${type}`.toLowerCase();

export class PredictingExecutor implements Executor {
  constructor(
    private readonly machine: SimulatedMachine,
    private readonly forced: ForcedExitCode[] = [],
  ) {}

  /** Notes of what each step was predicted to do, by instruction index (for the report). */
  readonly notes = new Map<number, string[]>();

  private note(index: number, text: string): void {
    const list = this.notes.get(index) ?? [];
    list.push(text);
    this.notes.set(index, list);
  }

  async execute(x: StepExecution): Promise<StepResult> {
    const step = x.step;
    const forced = this.forced.find((f) => f.step === step.name || f.step === x.instruction.path);
    if (forced && !x.resumed) {
      this.note(x.instruction.index, `forced exit code ${forced.exitCode}`);
      return { exitCode: forced.exitCode, message: 'exit code forced by --fail' };
    }
    const set = (name: string, value: string | undefined): void => {
      if (value === undefined) return;
      x.variables.set(name, value);
      this.note(x.instruction.index, `sets ${name}${x.variables.get(name) === undefined ? ' (deleted: empty value)' : ''}`);
    };
    const m = this.machine;

    if (is(step, 'RebootAction')) {
      const target = restartTarget(step, x);
      return { exitCode: 0, restart: { target, reason: `Restart Computer to ${target === 'WinPE' ? 'Windows PE' : 'the installed OS'}` } };
    }
    if (is(step, 'SetupWindowsAndSMSAction')) {
      if (!x.resumed) {
        // Starts in WinPE, restarts into the new OS and completes there (engine-semantics §7).
        this.note(x.instruction.index, 'restarts into the new operating system; the step completes there');
        return { exitCode: 0, restart: { target: 'HD', rerun: true, stepState: { phase: 'setup' }, reason: 'Windows setup and the ConfigMgr client' } };
      }
      return { exitCode: 0 };
    }
    if (is(step, 'PartitionDiskAction')) {
      const read = readSettings<{ partitions?: Array<{ fileSystem?: string; volumeLetterVariable?: string; assignVolumeLetter?: boolean }> }>(step);
      const letters = 'CDEFGHIJKLMNOPQRSTUVW'.split('');
      for (const p of read?.settings.partitions ?? []) {
        if (!p.fileSystem) continue;
        const letter = p.assignVolumeLetter === false ? undefined : letters.shift();
        if (p.volumeLetterVariable && letter) set(p.volumeLetterVariable, `${letter}:`);
      }
      m.partitioned = true;
      m.osOnDisk = false;
      this.note(x.instruction.index, 'wipes the disk: no operating system on it any more');
      return { exitCode: 0 };
    }
    if (is(step, 'ApplyOperatingSystemAction')) {
      const destVar = x.properties.DestinationVariable;
      const drive = destVar ? x.variables.get(destVar) ?? 'C:' : 'C:';
      set('OSDTargetSystemDrive', /^[A-Za-z]:$/.test(drive) ? drive.toUpperCase() : 'C:');
      m.osOnDisk = true;
      m.imageApplied = true;
      this.note(x.instruction.index, 'applies the image: an operating system is now on the disk');
      return { exitCode: 0 };
    }
    if (is(step, 'CaptureWindowsSettingsAction')) {
      if (isTrue(x.properties.OSDMigrateComputerName ?? 'true')) set('OSDComputerName', m.computerName);
      if (isTrue(x.properties.OSDMigrateTimeZone ?? 'true')) set('OSDTimeZone', m.timeZone);
      if (isTrue(x.properties.OSDMigrateRegistrationInfo ?? 'true')) {
        set('OSDRegisteredOrgName', m.registeredOrganization);
        set('OSDRegisteredUserName', m.registeredOwner);
      }
      return { exitCode: 0 };
    }
    if (is(step, 'CaptureNetworkSettingsAction')) {
      if (isTrue(x.properties.OSDMigrateNetworkMembership ?? 'true')) {
        if (m.domain) {
          set('OSDNetworkJoinType', '0');
          set('OSDDomainName', m.domain);
        } else if (m.workgroup) {
          set('OSDNetworkJoinType', '1');
          set('OSDWorkgroupName', m.workgroup);
        }
      }
      if (isTrue(x.properties.OSDMigrateAdapterSettings ?? 'true')) set('OSDAdapterCount', '0');
      return { exitCode: 0 };
    }
    if (is(step, 'RequestStateStoreAction')) {
      const computer = x.variables.get('_SMSTSMachineName') ?? 'COMPUTER';
      set('OSDStateStorePath', `\\\\SMP01.contoso.com\\SMPSTOREC_${computer.toUpperCase()}$`);
      return { exitCode: 0 };
    }
    if (is(step, 'CaptureUserStateAction') || is(step, 'RestoreUserStateAction')) {
      if (!x.variables.get('OSDStateStorePath')) {
        return { exitCode: 0x80004005, message: 'OSDStateStorePath is not set: request a state store (or set a local path) before this step' };
      }
      return { exitCode: 0 };
    }
    if (is(step, 'SetVariableAction')) {
      const name = x.properties.VariableName ?? '';
      const value = x.variables.expand(x.properties.VariableValue ?? '');
      x.variables.set(name, value, { secret: isTrue(x.properties.DoNotShowVariableValue) });
      this.note(x.instruction.index, value === '' ? `deletes ${name}` : `sets ${name}`);
      return { exitCode: 0 };
    }
    if (is(step, 'SetDynamicVariablesAction')) {
      return this.dynamicVariables(x);
    }
    if (is(step, 'InstallApplicationAction')) {
      this.note(x.instruction.index, 'installs the applications (predicted: all succeed)');
      return { exitCode: 0 };
    }
    if (is(step, 'UpgradeOperatingSystemAction')) {
      m.osOnDisk = true;
      return { exitCode: 0, restart: { target: 'HD', reason: 'Windows setup upgrades the operating system' } };
    }
    return { exitCode: 0 };
  }

  private dynamicVariables(x: StepExecution): StepResult {
    const read = readSettings<{ rules?: Array<{ condition?: string; variables: Array<{ name: string; value: string; isSecret: boolean }> }> }>(x.step);
    if (!read || read.issues.length) {
      return { exitCode: 0x80004005, message: `the rules cannot be read: ${read?.issues.join('; ') ?? 'no settings'}` };
    }
    for (const rule of read.settings.rules ?? []) {
      let applies = true;
      if (rule.condition) {
        const outcome = evaluateCondition(importConditionXml(rule.condition, `${x.instruction.path} rules`), {
          variable: (n) => x.variables.get(n),
          expand: (t) => x.variables.expand(t),
          inventory: this.machine.inventory(),
        });
        applies = outcome.value && outcome.errors.length === 0;
      }
      if (!applies) continue;
      for (const v of rule.variables) {
        x.variables.set(v.name, v.value, { secret: v.isSecret });
        this.note(x.instruction.index, `sets ${v.name}${v.isSecret ? ' (secret)' : ''}`);
      }
    }
    return { exitCode: 0 };
  }
}

function restartTarget(step: Step, x: StepExecution): RestartTarget {
  const t = (x.properties.SMSRebootTarget ?? x.properties.Target ?? '').trim();
  const fromAction = /\/target:(\w+)/i.exec(step.action ?? '')?.[1] ?? '';
  return /^winpe$/i.test(t || fromAction) ? 'WinPE' : 'HD';
}
