/**
 * `osd ts lint`: rules that catch, before deploying, what an admin would otherwise find on a
 * destination computer. Each finding has a rule id, a severity, the item path and a hint.
 * Rules are listed in LINT_RULES (docs/lint-rules.md describes each).
 */
import { namesPackage } from '../content-references.js';
import {
  type AnyStepType,
  applyNetworkSettings,
  applyWindowsSettings,
  captureUserState,
  installApplication,
  joinDomainWorkgroup,
  partitionDisk,
  releaseStateStore,
  requestStateStore,
  restartInto,
  restoreUserState,
  runCommandLine,
  setTaskSequenceVariable,
  setupWindows,
  stepTypeOf,
} from '../catalog/index.js';
import type { Group, SequenceItem, Step, TaskSequence } from '../model/task-sequence.js';
import { continuesOnError, isDisabled, isTrue, runInOf, variableValue } from '../model/options.js';
import type { ItemVisit } from '../model/walk.js';
import { pathText, walkItems } from '../model/walk.js';
import type { SiteManifest } from '../site-manifest.js';
import { knownPackageIds } from '../site-manifest.js';
import {
  allExpressions,
  allOperators,
  domainOf,
  environmentsAllowed,
  isOnlyVariableTests,
  requiredTests,
  VARIABLE_OPERATORS,
  variableTestOf,
} from './condition-facts.js';
import type { LintFinding, LintRuleInfo, Severity } from './finding.js';
import { SEVERITY_ORDER } from './finding.js';

export const LINT_RULES: LintRuleInfo[] = [
  { id: 'name-too-long', severity: 'warning', summary: 'Step or group name longer than the editor allows (50; the SDK refuses over 100)' },
  { id: 'description-too-long', severity: 'warning', summary: 'Description longer than 256 characters' },
  { id: 'duplicate-sibling-name', severity: 'warning', summary: 'Two items in the same group have the same name' },
  { id: 'condition-never-true', severity: 'error', summary: 'A variable condition compares against a value the variable can never have' },
  { id: 'condition-always-true', severity: 'warning', summary: 'A variable condition is true whatever the variable holds' },
  {
    id: 'condition-invalid',
    severity: 'error',
    summary:
      'A condition the engine cannot evaluate: unknown operator or expression type, a variable condition without a variable, a WQL query that does not parse',
  },
  {
    id: 'condition-wql-*',
    severity: 'warning',
    summary: 'WQL that parses but may not do what it says: unknown class or property, array comparison, %VAR% in a query, smart quotes (conditions-wql §8)',
  },
  {
    id: 'condition-empty-operator-with-siblings',
    severity: 'warning',
    summary: 'An empty and/or/not followed by expressions that were probably meant to be inside it',
  },
  { id: 'wrong-environment', severity: 'error', summary: 'A WinPE-only step is reachable only in the full OS (or the reverse)' },
  { id: 'partition-without-guards', severity: 'warning', summary: 'Format and Partition Disk runs without the usual data-loss guards' },
  {
    id: 'capture-all-profiles-without-local-accounts',
    severity: 'warning',
    summary: 'Capture User State takes all profiles but Restore User State does not restore local accounts',
  },
  { id: 'install-application-empty', severity: 'error', summary: 'Install Application with no applications and no base variable' },
  { id: 'unknown-content', severity: 'error', summary: 'A step references a package or application the site manifest does not know' },
  { id: 'application-not-installable', severity: 'error', summary: 'An application is not allowed to install from a task sequence' },
  { id: 'invalid-success-codes', severity: 'error', summary: 'successCodeList is not a list of whole numbers' },
  { id: 'invalid-run-in', severity: 'error', summary: 'runIn is not WinPE, FullOS or WinPEandFullOS' },
  { id: 'setup-windows-continue-on-error', severity: 'warning', summary: 'Setup Windows and ConfigMgr marked continue on error' },
  { id: 'state-store-not-released', severity: 'warning', summary: 'Request State Store without a later Release State Store' },
  {
    id: 'state-store-step-without-continue-on-error',
    severity: 'info',
    summary: 'A step between Request and Release State Store (but the last) that does not continue on error',
  },
  { id: 'state-store-root-path', severity: 'error', summary: 'OSDStateStorePath set to the root of a drive' },
  { id: 'hardlinks-with-state-migration-point', severity: 'error', summary: 'Capture User State with hard links after a Request State Store (capture)' },
  { id: 'usmt-option-ignored', severity: 'warning', summary: 'A USMT switch in OSDMigrateAdditional*Options that capture/restore do not honour' },
  { id: 'missing-secret', severity: 'warning', summary: 'A password the step needs is empty (exports never carry passwords)' },
  { id: 'multiple-network-settings', severity: 'warning', summary: 'Several Apply Network Settings steps: the last one wins whatever the conditions' },
  { id: 'empty-group', severity: 'info', summary: 'A group with no steps' },
  { id: 'unknown-step-type', severity: 'info', summary: 'A step type OpenOSD does not know (kept as a command line)' },
];

/** A finding about one condition, from a checker the caller plugs in (the engine's WQL validator). */
export interface ConditionFinding {
  severity: Severity;
  rule?: string;
  message: string;
  hint?: string;
}

export interface LintOptions {
  manifest?: SiteManifest;
  /**
   * Deeper condition checks than this layer can do (WQL syntax, classes, properties): the CLI
   * passes the engine's validator, keeping `sequence` free of engine imports.
   */
  checkCondition?: (condition: NonNullable<ItemVisit['item']['condition']>) => ConditionFinding[];
}

/** Step types the rules look at, by their definitions (never by a type name written here). */
const T = {
  partition: partitionDisk,
  setup: setupWindows,
  capture: captureUserState,
  restore: restoreUserState,
  installApp: installApplication,
  request: requestStateStore,
  release: releaseStateStore,
  network: applyNetworkSettings,
  windows: applyWindowsSettings,
  runCommand: runCommandLine,
  joinDomain: joinDomainWorkgroup,
} as const;

function isType(step: Step, type: AnyStepType): boolean {
  return stepTypeOf(step.type) === type;
}

export function lintSequence(ts: TaskSequence, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const add = (rule: string, severity: Severity, path: string[] | string, message: string, hint: string): void => {
    findings.push({ rule, severity, path: typeof path === 'string' ? path : pathText(path), message, hint });
  };
  const visits = [...walkItems(ts)];
  // Each item's enclosing group, to walk up to the ancestors' conditions (not a map keyed by path
  // text: that would hold every item's whole path, which grows with depth times names).
  const parents = new Map<Group | Step, Group | undefined>(visits.map((v) => [v.item, v.parent]));

  checkNamesAndStructure(ts.items, [], add);
  for (const v of visits) {
    checkConditions(v, add);
    if (options.checkCondition && v.item.condition) {
      for (const f of options.checkCondition(v.item.condition)) {
        add(f.severity === 'error' ? 'condition-invalid' : conditionRuleId(f.rule), f.severity, v.path, f.message, f.hint ?? 'see docs/lint-rules.md');
      }
    }
    if (v.item.kind === 'step') checkStep(v as ItemVisit & { item: Step }, add, parents);
  }
  checkEnvironments(ts, add);
  checkUserState(visits, add, parents);
  checkNetworkSettings(visits, add);
  if (options.manifest) checkContent(ts, visits, options.manifest, add);

  // Stable: by severity, then in tree order as found.
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** WQL_ARRAY_COMPARISON → condition-wql-array-comparison; COND_X → condition-x (conditions-wql §8). */
function conditionRuleId(rule: string | undefined): string {
  const id = (rule ?? 'warning').toLowerCase().replace(/_/g, '-');
  return id.startsWith('cond-') ? `condition-${id.slice(5)}` : `condition-${id}`;
}

type Add = (rule: string, severity: Severity, path: string[] | string, message: string, hint: string) => void;

function checkNamesAndStructure(items: SequenceItem[], parentPath: string[], add: Add): void {
  const seen = new Map<string, number>();
  for (const item of items) {
    if (item.kind === 'raw') continue;
    const n = (seen.get(item.name.toLowerCase()) ?? 0) + 1;
    seen.set(item.name.toLowerCase(), n);
    const path = [...parentPath, n > 1 ? `${item.name}[${n}]` : item.name];
    const what = item.kind === 'group' ? 'group' : 'step';
    if (item.name.length > 100) {
      add(
        'name-too-long',
        'error',
        path,
        `${what} name is ${item.name.length} characters; ConfigMgr refuses more than 100`,
        'shorten the name to 50 characters or fewer',
      );
    } else if (item.name.length > 50) {
      add(
        'name-too-long',
        'warning',
        path,
        `${what} name is ${item.name.length} characters; the task sequence editor allows 50`,
        'shorten the name to 50 characters or fewer; put detail in the description',
      );
    }
    if (item.name.trim() === '') add('name-too-long', 'error', path, `${what} has no name`, 'give every step and group a name');
    if ((item.description ?? '').length > 256) {
      add('description-too-long', 'warning', path, `description is ${item.description!.length} characters; ConfigMgr allows 256`, 'shorten the description');
    }
    if (n === 2) {
      add(
        'duplicate-sibling-name',
        'warning',
        path,
        `another item in the same group is also called "${item.name}"`,
        'names need not be unique, but logs, status messages and _SMSTSLastActionName cannot tell these apart; rename one',
      );
    }
    if (item.kind === 'group') {
      if (!item.items.some((c) => c.kind !== 'raw')) add('empty-group', 'info', path, 'group has no steps', 'remove the group or add steps to it');
      checkNamesAndStructure(item.items, path, add);
    }
  }
}

function checkConditions(v: ItemVisit, add: Add): void {
  const cond = v.item.condition;
  if (!cond) return;
  for (const op of allOperators(cond)) {
    if (!['and', 'or', 'not'].includes(op.operator.toLowerCase())) {
      add(
        'condition-invalid',
        'error',
        v.path,
        `unknown condition operator "${op.operator}"`,
        "use and, or or not (the editor's If statement All / Any / None)",
      );
    }
  }
  for (const ex of allExpressions(cond)) {
    const t = variableTestOf(ex);
    if (!t) continue;
    const op = t.operator.toLowerCase();
    if (t.variable === '') {
      add('condition-invalid', 'error', v.path, 'a task sequence variable condition names no variable', 'set the variable name or remove the condition');
      continue;
    }
    if (!VARIABLE_OPERATORS.includes(op)) {
      add(
        'condition-invalid',
        'error',
        v.path,
        `unknown operator "${t.operator}" in the condition on ${t.variable}`,
        `use one of: ${VARIABLE_OPERATORS.join(', ').replace('notexists', 'notExists').replace('notequals', 'notEquals').replace('lessequal', 'lessEqual').replace('greaterequal', 'greaterEqual')}`,
      );
      continue;
    }
    const domain = domainOf(t.variable);
    if (!domain || op === 'exists' || op === 'notexists') continue;
    const inDomain = domain.some((d) => d.toLowerCase() === t.value.toLowerCase());
    const values = domain.map((d) => `"${d}"`).join(', ');
    if (op === 'equals' && !inDomain) {
      add(
        'condition-never-true',
        'error',
        v.path,
        `${t.variable} equals "${t.value}" can never be true: the engine sets ${t.variable} only to ${values}`,
        `compare against one of ${values}`,
      );
    } else if (op === 'notequals' && !inDomain) {
      add(
        'condition-always-true',
        'warning',
        v.path,
        `${t.variable} notEquals "${t.value}" is always true: the engine sets ${t.variable} only to ${values}`,
        `compare against one of ${values}, or remove the condition`,
      );
    } else if (['less', 'lessequal', 'greater', 'greaterequal'].includes(op) && domain.includes('true')) {
      add(
        'condition-never-true',
        'error',
        v.path,
        `${t.variable} ${t.operator} "${t.value}" orders a true/false variable`,
        'use equals or notEquals with "true" or "false"',
      );
    }
  }
}

function checkStep(v: ItemVisit & { item: Step }, add: Add, parents: Map<Group | Step, Group | undefined>): void {
  const step = v.item;
  const def = stepTypeOf(step.type);
  if (step.successCodeList !== undefined && !/^\s*-?\d+(\s+-?\d+)*\s*$/.test(step.successCodeList)) {
    add(
      'invalid-success-codes',
      'error',
      v.path,
      `successCodeList "${step.successCodeList}" is not a space-separated list of whole numbers`,
      'write exit codes as decimal numbers, e.g. "0 3010"',
    );
  }
  if (step.runIn !== undefined && !['winpe', 'fullos', 'winpeandfullos'].includes(step.runIn.toLowerCase())) {
    add('invalid-run-in', 'error', v.path, `runIn "${step.runIn}" is not an environment the engine knows`, 'use WinPE, FullOS or WinPEandFullOS');
  }
  if (step.type && !def && !/^BDD_/i.test(step.type)) {
    add(
      'unknown-step-type',
      'info',
      v.path,
      `step type ${step.type} is not in OpenOSD's catalog`,
      'it is kept word for word and runs as its <action> command line',
    );
  }
  if (isDisabled(step) || v.underDisabled) return;
  if (isType(step, T.setup) && step.continueOnError) {
    add(
      'setup-windows-continue-on-error',
      'warning',
      v.path,
      'Setup Windows and ConfigMgr is marked continue on error',
      'a failure of this step fails the task sequence regardless (task-sequence-format §8.8); clear the option',
    );
  }
  if (isType(step, T.installApp)) {
    const apps = (variableValue(step, 'ApplicationName') ?? '').trim();
    const base = (variableValue(step, 'BaseVariableName') ?? '').trim();
    const actionApps = /\/app:(\S*)/i.exec(step.action ?? '')?.[1] ?? '';
    if (apps === '' && actionApps === '' && base === '') {
      add(
        'install-application-empty',
        'error',
        v.path,
        'Install Application lists no applications and no base variable name',
        'add the applications to install, or set "install applications according to dynamic variable list"',
      );
    }
  }
  if (isType(step, T.partition)) checkPartitionGuards(v, add, parents);
  checkSecrets(v, add);
}

/** Conditions required by the step and all its ancestors (each must hold for the step to run). */
function effectiveTests(v: ItemVisit, parents: Map<Group | Step, Group | undefined>): ReturnType<typeof requiredTests> {
  const tests = requiredTests(v.item.condition);
  for (let g = v.parent; g; g = parents.get(g)) {
    for (const t of requiredTests(g.condition)) tests.push(t);
  }
  return tests;
}

function checkPartitionGuards(v: ItemVisit & { item: Step }, add: Add, parents: Map<Group | Step, Group | undefined>): void {
  const tests = effectiveTests(v, parents);
  const has = (variable: string, pred: (op: string, value: string) => boolean): boolean =>
    tests.some((t) => t.variable.toLowerCase() === variable && pred(t.operator.toLowerCase(), t.value.toLowerCase()));
  // MDT's bare-metal scenario test covers all three (the disk holds nothing to keep).
  if (has('deploymenttype', (op, val) => op === 'equals' && val === 'newcomputer')) return;
  const missing: string[] = [];
  if (!has('_smstsclientcache', (op) => op === 'notexists'))
    missing.push('_SMSTSClientCache notExists (started from the full OS: the client cache and content live on this disk)');
  if (!has('_smstsmediatype', (op, val) => op === 'notequals' && val === 'oemmedia'))
    missing.push('_SMSTSMediaType notEquals "OEMMedia" (prestaged media: the image is already on the disk)');
  if (!has('_osdmigrateusehardlinks', (op, val) => (op === 'notequals' && val === 'true') || (op === 'equals' && val === 'false'))) {
    missing.push('_OSDMigrateUseHardlinks notEquals "true" (user state hard-linked on the disk)');
  }
  if (missing.length === 0) return;
  add(
    'partition-without-guards',
    'warning',
    v.path,
    `Format and Partition Disk wipes the disk without ${missing.length === 3 ? 'any of the usual guards' : 'some of the usual guards'}`,
    `add to its condition (as the wizard does, osd-features §1.4): ${missing.join('; ')}`,
  );
}

const SECRETS: Array<{ type: AnyStepType; password: string; needed: (s: Step) => boolean; why: string }> = [
  {
    type: T.windows,
    password: 'OSDLocalAdminPassword',
    needed: (s) => !isTrue(variableValue(s, 'OSDRandomAdminPassword') ?? 'true'),
    why: 'the local Administrator account is enabled with a password',
  },
  {
    type: T.network,
    password: 'OSDJoinPassword',
    needed: (s) => (variableValue(s, 'OSDNetworkJoinType') ?? '').trim() === '0',
    why: 'the step joins a domain',
  },
  {
    type: T.joinDomain,
    password: 'OSDJoinPassword',
    needed: (s) => /domain/i.test(variableValue(s, 'OSDJoinType') ?? '') || (variableValue(s, 'OSDJoinType') ?? '').trim() === '0',
    why: 'the step joins a domain',
  },
  {
    type: T.runCommand,
    password: 'SMSTSRunCommandLineUserPassword',
    needed: (s) => isTrue(variableValue(s, '_SMSTSRunCommandLineAsUser')),
    why: 'the command runs as another account',
  },
  {
    type: T.restore,
    password: 'OSDMigrateLocalAccountPassword',
    needed: (s) => isTrue(variableValue(s, 'OSDMigrateLocalAccounts')),
    why: 'local accounts are restored',
  },
];

function checkSecrets(v: ItemVisit & { item: Step }, add: Add): void {
  for (const s of SECRETS) {
    if (!isType(v.item, s.type) || !s.needed(v.item)) continue;
    if ((variableValue(v.item, s.password) ?? '').trim() === '') {
      add(
        'missing-secret',
        'warning',
        v.path,
        `${s.password} is empty although ${s.why}`,
        'exports never carry passwords: enter it again in the step (or supply it as a masked collection variable)',
      );
    }
  }
}

/**
 * Which environments each item can be reached in: both at the start (PXE/media start in WinPE,
 * Software Center in the full OS), then narrowed by `_SMSTSInWinPE` conditions and moved by
 * restarts and Setup Windows and ConfigMgr (engine-semantics §6, task-sequence-format §8.1/§8.8).
 */
function checkEnvironments(ts: TaskSequence, add: Add): void {
  type Env = { winpe: boolean; fullos: boolean };
  const visitList = (items: SequenceItem[], path: string[], env: Env): Env => {
    const seen = new Map<string, number>();
    for (const item of items) {
      if (item.kind === 'raw') continue;
      const n = (seen.get(item.name) ?? 0) + 1;
      seen.set(item.name, n);
      const p = [...path, n > 1 ? `${item.name}[${n}]` : item.name];
      if (isDisabled(item)) continue;
      const allowed = environmentsAllowed(requiredTests(item.condition));
      const runEnv: Env = { winpe: env.winpe && allowed.winpe, fullos: env.fullos && allowed.fullos };
      // Skipped: if the condition tests only _SMSTSInWinPE, it is false exactly where not allowed.
      const onlyEnvTest =
        item.condition !== undefined &&
        isOnlyVariableTests(item.condition) &&
        requiredTests(item.condition).every((t) => t.variable.toLowerCase() === '_smstsinwinpe');
      const skipEnv: Env = !item.condition
        ? { winpe: false, fullos: false }
        : onlyEnvTest
          ? { winpe: env.winpe && !allowed.winpe, fullos: env.fullos && !allowed.fullos }
          : env;
      let after: Env;
      if (!runEnv.winpe && !runEnv.fullos) {
        after = skipEnv;
      } else if (item.kind === 'group') {
        after = visitList(item.items, p, runEnv);
      } else {
        checkStepEnvironment(item, p, runEnv, add);
        after = stepEffect(item, runEnv);
      }
      env = { winpe: after.winpe || skipEnv.winpe, fullos: after.fullos || skipEnv.fullos };
    }
    return env;
  };
  visitList(ts.items, [], { winpe: true, fullos: true });
}

function checkStepEnvironment(step: Step, path: string[], env: { winpe: boolean; fullos: boolean }, add: Add): void {
  // The step's own runIn is what the engine enforces; the catalog says what the type supports.
  const def = stepTypeOf(step.type);
  const runIn = def && def.runIn !== 'WinPEandFullOS' ? def.runIn : runInOf(step);
  const name = def?.displayName ?? step.type ?? 'command line';
  if (runIn === 'WinPE' && !env.winpe) {
    add(
      'wrong-environment',
      'error',
      path,
      `${name} runs only in Windows PE, but the computer can only be in the full OS here`,
      'add a "Restart in Windows PE" step before it, or move it before the step that restarts into the installed OS',
    );
  } else if (runIn === 'FullOS' && !env.fullos) {
    add(
      'wrong-environment',
      'error',
      path,
      `${name} runs only in the full OS, but the computer can only be in Windows PE here`,
      'move it after "Setup Windows and ConfigMgr" (or a restart into the installed OS)',
    );
  }
}

function stepEffect(step: Step, env: { winpe: boolean; fullos: boolean }): { winpe: boolean; fullos: boolean } {
  // A step that restarts leaves the computer where its definition says: Setup Windows and
  // ConfigMgr finishes in the new OS (§8.8), Prepare Windows for Capture restarts into the boot
  // image, Restart Computer goes where its target says (§8.1).
  const def = stepTypeOf(step.type);
  const into = def && restartInto(def, (n) => variableValue(step, n), step.action);
  if (into === 'WinPE') return { winpe: true, fullos: false };
  if (into === 'FullOS') return { winpe: false, fullos: true };
  return env;
}

function checkUserState(visits: ItemVisit[], add: Add, parents: Map<Group | Step, Group | undefined>): void {
  const enabled = visits.filter((v) => v.item.kind === 'step' && !v.underDisabled) as Array<ItemVisit & { item: Step }>;
  const captures = enabled.filter((v) => isType(v.item, T.capture));
  const restores = enabled.filter((v) => isType(v.item, T.restore));
  // Advanced mode: the admin chose profiles and config files.
  const simple = captures.filter((c) => (variableValue(c.item, 'OSDMigrateMode') ?? 'Simple').trim().toLowerCase() === 'simple');
  if (simple.length) {
    // One finding per restore (naming the first such capture), not one per capture and restore:
    // that would be quadratic in a task sequence with many of both.
    const first = `"${pathText(simple[0].path)}"${simple.length > 1 ? ` (and ${simple.length - 1} other capture step${simple.length > 2 ? 's' : ''})` : ''}`;
    for (const r of restores) {
      if (!isTrue(variableValue(r.item, 'OSDMigrateLocalAccounts'))) {
        add(
          'capture-all-profiles-without-local-accounts',
          'warning',
          r.path,
          `${first} captures all user profiles, but this step does not restore local computer user profiles`,
          'if any local (non-domain) account has a profile, the restore fails (osd-features §1.2, a wizard default): tick "Restore local computer user profiles" and give a password, or capture with custom options',
        );
      }
    }
  }
  // Every Request needs a matching Release (task-sequence-format §8.16): one after it.
  let lastRelease = -1;
  enabled.forEach((v, i) => {
    if (isType(v.item, T.release)) lastRelease = i;
  });
  for (let idx = 0; idx < enabled.length; idx++) {
    const r = enabled[idx];
    if (!isType(r.item, T.request)) continue;
    if (idx > lastRelease) {
      add(
        'state-store-not-released',
        'warning',
        r.path,
        'Request State Store has no Release State Store after it',
        'add Release State Store after the capture/restore step, or the state migration point keeps the store locked',
      );
    }
  }
  checkStateStoreBetween(enabled, add, parents);
  checkStorePaths(enabled, add);
}

/**
 * The steps between a Request State Store and its Release State Store: "configure any task
 * sequence steps between them to continue on error", so that Release runs; "the step that runs
 * just before Release State Store must succeed" (task-sequence-steps, Release State Store [D]).
 * Info, not a warning: ConfigMgr's and MDT's own templates leave the capture steps as they are.
 */
function checkStateStoreBetween(enabled: Array<ItemVisit & { item: Step }>, add: Add, parents: Map<Group | Step, Group | undefined>): void {
  const continues = (item: Step): boolean => {
    for (let at: Group | Step | undefined = item; at; at = parents.get(at)) if (continuesOnError(at)) return true;
    return false;
  };
  for (let idx = 0; idx < enabled.length; idx++) {
    if (!isType(enabled[idx].item, T.request)) continue;
    let end = idx + 1;
    while (end < enabled.length && !isType(enabled[end].item, T.release) && !isType(enabled[end].item, T.request)) end++;
    if (end >= enabled.length || !isType(enabled[end].item, T.release)) continue;
    // The step right before Release is left out: it must succeed anyway.
    for (let k = idx + 1; k < end - 1; k++) {
      const v = enabled[k];
      if (continues(v.item)) continue;
      add(
        'state-store-step-without-continue-on-error',
        'info',
        v.path,
        `this step runs between "${pathText(enabled[idx].path)}" and its Release State Store without continue on error: if it fails, the store is never released`,
        'tick "Continue on error" on the steps between Request and Release State Store (all but the one just before Release)',
      );
    }
  }
}

/** The USMT switches Capture/Restore User State honour (user-state.md §2.1); anything else is logged as ignored. */
const HONOURED_USMT_SWITCHES = new Set(['ui', 'ue', 'uel', 'localonly', 'c', 'v', 'efs', 'md', 'mu', 'lac', 'lae', 'hardlink', 'nocompress']);

/** Variables a Set Task Sequence Variable step sets, by name (lower case) → [step, value]. */
function variablesSet(enabled: Array<ItemVisit & { item: Step }>): Array<{ v: ItemVisit & { item: Step }; name: string; value: string }> {
  const out: Array<{ v: ItemVisit & { item: Step }; name: string; value: string }> = [];
  for (const v of enabled) {
    if (!isType(v.item, setTaskSequenceVariable)) continue;
    const name = variableValue(v.item, 'VariableName');
    const value = variableValue(v.item, 'VariableValue');
    if (name !== undefined && value !== undefined) out.push({ v, name: name.trim().toLowerCase(), value });
  }
  return out;
}

function checkStorePaths(enabled: Array<ItemVisit & { item: Step }>, add: Add): void {
  for (const { v, name, value } of variablesSet(enabled)) {
    // "OSDStateStorePath … must be a folder or subfolder, not a drive root" (user-state.md §1.1 [D]).
    if (name === 'osdstatestorepath' && /^\s*([A-Za-z]:|%systemdrive%)\\?\s*$/i.test(value)) {
      add(
        'state-store-root-path',
        'error',
        v.path,
        `OSDStateStorePath is the root of a drive (${value.trim()}): a local state store must be a folder`,
        'set it to a folder such as %_SMSTSUserStatePath% or C:\\UserState (USMT refuses a drive root, and the capture would scan the store itself)',
      );
    }
    if (name === 'osdmigrateadditionalcaptureoptions' || name === 'osdmigrateadditionalrestoreoptions') {
      for (const m of value.matchAll(/(?:^|\s)\/([A-Za-z]+)/g)) {
        const sw = (m[1] as string).toLowerCase();
        if (HONOURED_USMT_SWITCHES.has(sw)) continue;
        add(
          'usmt-option-ignored',
          'warning',
          v.path,
          `/${m[1]} in ${name === 'osdmigrateadditionalcaptureoptions' ? 'OSDMigrateAdditionalCaptureOptions' : 'OSDMigrateAdditionalRestoreOptions'} is not honoured: OpenOSD's capture and restore ignore it (logged at run time)`,
          'the honoured switches are /ui /ue /uel /localonly /c /v /efs /md /mu /lac /lae /hardlink /nocompress (user-state.md §2.1); express the rest as a rules file',
        );
      }
    }
  }
  // Hard links keep the data on the disk; a state migration point takes it away: "you can't use an
  // SMP and hard-links together" (user-state.md §1.1 [D]).
  let requested = false;
  for (const v of enabled) {
    if (isType(v.item, T.request) && (variableValue(v.item, 'OSDStateRequestType') ?? 'capture').trim().toLowerCase() === 'capture') requested = true;
    if (isType(v.item, T.release)) requested = false;
    if (requested && isType(v.item, T.capture) && isTrue(variableValue(v.item, '_OSDMigrateUseHardlinks'))) {
      add(
        'hardlinks-with-state-migration-point',
        'error',
        v.path,
        'this Capture User State uses local hard links, but a Request State Store before it sends the store to a state migration point',
        'choose one: a state migration point (untick "Capture locally by using links"), or hard links (remove Request/Release State Store and set OSDStateStorePath to a local folder)',
      );
    }
  }
}

function checkNetworkSettings(visits: ItemVisit[], add: Add): void {
  const steps = visits.filter((v) => v.item.kind === 'step' && !v.underDisabled && isType(v.item as Step, T.network));
  if (steps.length < 2) return;
  const last = pathText(steps[steps.length - 1].path);
  for (const v of steps.slice(0, -1)) {
    add(
      'multiple-network-settings',
      'warning',
      v.path,
      `the settings of this Apply Network Settings are overridden by "${last}"`,
      'conditions do not separate several instances: the last one wins (task-sequence-format §8.5); keep one, or set OSD* variables per case instead',
    );
  }
}

function checkContent(ts: TaskSequence, visits: ItemVisit[], manifest: SiteManifest, add: Add): void {
  const known = knownPackageIds(manifest);
  const apps = new Map(manifest.applications.map((a) => [a.modelName.toLowerCase(), a]));
  const checkPackage = (id: string, path: string[] | string, where: string): void => {
    const v = id.trim();
    if (v === '' || v.includes('%')) return;
    if (!known.has(v.toUpperCase())) {
      add(
        'unknown-content',
        'error',
        path,
        `${where} references package ${v}, which the site manifest does not know`,
        'distribute the content and add it to the site, or pick an existing package in the step',
      );
    }
  };
  for (const r of ts.references ?? []) {
    if (r.package) checkPackage(r.package, '', 'the reference list');
    if (r.application && !apps.has(r.application.toLowerCase())) {
      add(
        'unknown-content',
        'error',
        '',
        `the reference list names application ${r.application}, which the site manifest does not know`,
        'add the application to the site or remove it from the task sequence',
      );
    }
  }
  for (const v of visits) {
    if (v.item.kind !== 'step') continue;
    const step = v.item;
    for (const variable of step.variables ?? []) {
      const prop = variable.property ?? variable.name;
      if (namesPackage(variable)) {
        checkPackage(variable.value, v.path, `${prop}`);
      }
    }
    if (isType(step, T.installApp)) {
      const list = (variableValue(step, 'ApplicationName') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const name of list) {
        const app = apps.get(name.toLowerCase());
        if (!app) {
          add(
            'unknown-content',
            'error',
            v.path,
            `application ${name} is not in the site manifest`,
            'add the application to the site, or remove it from the step',
          );
        } else if (!app.allowTaskSequenceInstall) {
          add(
            'application-not-installable',
            'error',
            v.path,
            `application "${app.name}" is not allowed to install from a task sequence`,
            'tick "Allow this application to be installed from the Install Application task sequence action without being deployed" on the application',
          );
        }
      }
    }
  }
}

/** Exported for the CLI's exit code: errors make `osd ts lint` exit 1. */
export function hasErrors(findings: LintFinding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
