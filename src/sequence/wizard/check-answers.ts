/**
 * Every problem of a set of answers at once: the shape problems (unknown keys, with a "did you
 * mean"; wrong types; values that are not among the choices) and the wizard's own rules
 * (validate.ts). A shape problem does not stop the rules: it is taken out of a copy of the answers
 * (an unknown key dropped, a wrong value left to its default), and the rules run on the rest, so an
 * administrator fixes the whole file in one go. Used by `osd ts new install-image` and by the site's
 * wizard, for answers from a file or from a request body alike.
 */
import { suggest } from '../../common/did-you-mean.js';
import { knownKeysAt } from '../../common/zod-keys.js';
import type { z } from 'zod';
import type { InputLocation } from '../input-error.js';
import type { SiteManifest } from '../site-manifest.js';
import { MASK } from '../secrets.js';
import { answersSchema, PAGES, type WizardAnswers } from './answers.js';
import { EMPTY, show, showProductKey, showSecret, validateAnswers, type WizardProblem } from './validate.js';

export interface CheckedAnswers {
  /** The answers with the console's defaults, when their shape is right (the rules may still refuse them). */
  answers?: WizardAnswers;
  /** Shape problems first, then the wizard's rules, each with its page, field, path and value. */
  problems: WizardProblem[];
}

/** Where a path is in the answers file (a line), when the answers came from one. */
export type LocatePath = (path: PropertyKey[]) => InputLocation | undefined;

/** The console's label of each answer (the wizard's pages and fields, osd-features §1.2). */
const LABELS: Record<string, string> = {
  taskSequence: 'Task Sequence Information',
  'taskSequence.name': 'Task sequence name',
  'taskSequence.description': 'Description',
  'taskSequence.bootImageId': 'Boot image',
  'taskSequence.highPerformancePowerPlan': 'Run as high performance power plan',
  installWindows: 'Install Windows',
  'installWindows.imagePackageId': 'Image package',
  'installWindows.imageIndex': 'Image index',
  'installWindows.partitionAndFormat': 'Partition and format the target computer before installing the operating system',
  'installWindows.configureBitLocker': 'Configure task sequence for use with BitLocker',
  'installWindows.productKey': 'Product key',
  'installWindows.serverLicensing': 'Server licensing',
  'installWindows.serverLicensing.mode': 'Server licensing',
  'installWindows.serverLicensing.maxConnections': 'Maximum server connections',
  'installWindows.localAdministrator': 'Local administrator account',
  'installWindows.localAdministrator.mode': 'Local administrator account',
  'installWindows.localAdministrator.password': 'Local administrator password',
  'installWindows.localAdministrator.confirmPassword': 'Confirm local administrator password',
  configureNetwork: 'Configure Network',
  'configureNetwork.join': 'Join a workgroup or a domain',
  'configureNetwork.workgroup': 'Workgroup',
  'configureNetwork.domain': 'Domain',
  'configureNetwork.domainOU': 'Domain OU',
  'configureNetwork.account': 'Account',
  'configureNetwork.password': 'Account password',
  'configureNetwork.confirmPassword': 'Confirm account password',
  installConfigMgr: 'Install Configuration Manager',
  'installConfigMgr.clientPackageId': 'Package',
  'installConfigMgr.usePreProductionClient': 'Use pre-production client package',
  'installConfigMgr.preProductionClientPackageId': 'Pre-production client package',
  'installConfigMgr.installationProperties': 'Installation properties',
  stateMigration: 'State Migration',
  'stateMigration.captureUserSettings': 'Capture user settings',
  'stateMigration.saveTo': 'Save user settings',
  'stateMigration.useHardLinks': 'Capture locally by using links instead of by copying files',
  'stateMigration.usmtPackageId': 'User State Migration Tool package',
  'stateMigration.captureNetworkSettings': 'Capture network settings',
  'stateMigration.captureWindowsSettings': 'Capture Microsoft Windows settings',
  includeUpdates: 'Include updates',
  installApplications: 'Install Applications',
  'installApplications.applications': 'Applications',
  'installApplications.continueOnFailure': 'If an application installation fails, continue installing other applications in the list',
  console: 'Console values',
  'console.userName': 'Registered user',
  'console.computerName': 'Registered organization',
  'console.timeZone': 'Time zone',
  'console.inputLocale': 'Input locale',
};

/** Keys whose values are secrets (or look like one: a misspelled "pasword" is still a password). */
const SECRET_KEY = /pas+w|pwd|secret/i;
/** How many known keys a message lists when no single one is near. */
const MAX_KEYS_LISTED = 12;
/** Repair rounds: each fixes what the previous parse reported (a value replaced, then its missing parts). */
const MAX_ROUNDS = 4;

/** `installApplications.applications[1]` from ['installApplications', 'applications', 1]. */
export function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/** ['installApplications', 'applications', 1] from `installApplications.applications[1]` (pathText reversed). */
export function pathOfText(text: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function labelOf(path: readonly PropertyKey[]): string {
  const key = pathText(path.filter((p) => typeof p === 'string'));
  return LABELS[key] ?? String(path.at(-1) ?? '(answers)');
}

function pageOf(path: readonly PropertyKey[]): string {
  const top = path[0];
  return typeof top === 'string' && top in PAGES ? PAGES[top as keyof typeof PAGES] : 'Answers file';
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let here = value;
  for (const key of path) {
    if (typeof here !== 'object' || here === null) return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}

/** A value as a problem shows it: secrets masked, the product key all but its last five characters. */
function shown(value: unknown, path: readonly PropertyKey[]): string {
  const key = String(path.at(-1) ?? '');
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return showSecret(value);
    if (/productkey/i.test(key)) return showProductKey(value);
    return show(value);
  }
  if (value === undefined) return EMPTY;
  if (SECRET_KEY.test(key)) return MASK;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return show(JSON.stringify(value));
}

/** What a type is called in a message. */
const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a set of keys and values',
  array: 'a list',
};

function typeOf(value: unknown): string {
  if (value === null) return 'empty (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return TYPE_WORDS[typeof value] ?? typeof value;
}

function choices(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function choiceRule(given: unknown, values: readonly unknown[]): string {
  const near = typeof given === 'string' ? suggest(given, values.map(String)) : undefined;
  return `must be one of ${choices(values)}${near !== undefined ? `: did you mean "${near}"?` : ''}`;
}

interface ShapeProblem {
  problem: WizardProblem;
  /** What the rules would also say about (the value's own path, or the key an unknown key stood for). */
  covers: string[];
}

/** An unknown key, with the key it most likely stands for (or the keys there are, `known`). */
function unknownKey(value: unknown, at: readonly PropertyKey[], key: string, known: readonly string[]): ShapeProblem {
  const near = suggest(key, known);
  const parent = valueAt(value, at) as Record<string, unknown> | undefined;
  const path = [...at, key];
  const rule =
    near !== undefined
      ? `unknown key: did you mean "${near}" (${labelOf([...at, near])})?`
      : `unknown key: the keys here are ${known.slice(0, MAX_KEYS_LISTED).join(', ')}${known.length > MAX_KEYS_LISTED ? ', …' : ''}`;
  return {
    // A misspelled secret is still a secret ("pasword" stands for "password").
    problem: {
      page: pageOf(path),
      field: key,
      path: pathText(path),
      value: shown(parent?.[key], near !== undefined && SECRET_KEY.test(near) ? [...at, near] : path),
      rule,
      severity: 'error',
    },
    // The key it stood for is missing because of the typo: its "required" is the same problem.
    covers: near !== undefined && parent && !(near in parent) ? [pathText([...at, near])] : [],
  };
}

function shapeProblem(value: unknown, issue: z.core.$ZodIssue): ShapeProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(answersSchema, issue.path, value) ?? [];
    return issue.keys.map((k) => unknownKey(value, issue.path, k, known));
  }
  const given = valueAt(value, issue.path);
  let rule: string;
  if (issue.code === 'invalid_type') {
    const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
    const got = typeOf(given);
    rule =
      given === undefined
        ? `required: give ${expected}`
        : got === expected || (issue.expected === 'int' && typeof given === 'number')
          ? `must be ${expected}`
          : `must be ${expected}, not ${got}`;
  } else if (issue.code === 'invalid_value') {
    rule = choiceRule(given, issue.values);
  } else if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    // A discriminated union's choice (configureNetwork.join, localAdministrator.mode).
    rule = choiceRule(given, issue.options as unknown[]);
  } else {
    rule = issue.message.replace(/^Invalid input: /, '');
  }
  const out: ShapeProblem[] = [
    {
      problem: { page: pageOf(issue.path), field: labelOf(issue.path), path: pathText(issue.path), value: shown(given, issue.path), rule, severity: 'error' },
      covers: [pathText(issue.path)],
    },
  ];
  // A choice that chooses nothing leaves the keys beside it unchecked: every option's keys are the known ones.
  if (issue.code === 'invalid_union' && issue.path.length) {
    const at = issue.path.slice(0, -1);
    const parent = valueAt(value, at);
    const known = knownKeysAt(answersSchema, at, value);
    if (known && parent && typeof parent === 'object' && !Array.isArray(parent)) {
      for (const k of Object.keys(parent)) if (!known.includes(k)) out.push(unknownKey(value, at, k, known));
    }
  }
  return out;
}

/** A placeholder for a missing required value, so the rules can say what they say about it. */
const PLACEHOLDER: Record<string, () => unknown> = {
  string: () => '',
  object: () => ({}),
  array: () => [],
  number: () => 0,
  int: () => 0,
  boolean: () => false,
};

const DROPPED = Symbol('dropped');

/** Takes a shape problem out of `copy`: an unknown key removed, a wrong value removed (its default applies). */
function repair(copy: unknown, issue: z.core.$ZodIssue): boolean {
  let path: readonly PropertyKey[] = issue.path;
  if (issue.code === 'invalid_union' && path.length) path = path.slice(0, -1); // the whole choice goes
  const parent = valueAt(copy, path.slice(0, -1)) as Record<PropertyKey, unknown> | undefined;
  if (issue.code === 'unrecognized_keys') {
    const here = valueAt(copy, issue.path) as Record<string, unknown> | undefined;
    if (!here || typeof here !== 'object') return false;
    for (const k of issue.keys) delete here[k];
    return true;
  }
  if (!path.length || !parent || typeof parent !== 'object') return false;
  const key = path.at(-1)!;
  if (issue.code === 'invalid_type' && parent[key] === undefined) {
    const make = PLACEHOLDER[issue.expected];
    if (!make) return false;
    parent[key] = make();
  } else if (Array.isArray(parent)) parent[key as number] = DROPPED;
  else delete parent[key];
  return true;
}

function withoutDropped(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== DROPPED).map(withoutDropped);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = withoutDropped(v);
  }
  return value;
}

function covered(path: string, covers: ReadonlySet<string>): boolean {
  if (covers.has(path)) return true;
  for (let i = path.length - 1; i > 0; i--) {
    const c = path[i];
    if ((c === '.' || c === '[') && covers.has(path.slice(0, i))) return true;
  }
  return false;
}

/**
 * Checks answers (parsed JSON or YAML, before defaults) against the schema and the wizard's rules,
 * every problem at once. `locate` adds the line of each problem in the file it came from; without
 * `rules`, only the shape is checked.
 */
export function checkAnswers(value: unknown, site?: SiteManifest, locate?: LocatePath, options: { rules?: boolean } = {}): CheckedAnswers {
  const withRules = options.rules ?? true;
  const parsed = answersSchema.safeParse(value);
  if (parsed.success) return { answers: parsed.data, problems: withRules ? withLines(validateAnswers(parsed.data, site), locate) : [] };
  const shape = parsed.error.issues.flatMap((i) => shapeProblem(value, i));
  // The rules on what is left once the shape problems are taken out.
  let rules: WizardProblem[] = [];
  if (withRules && value && typeof value === 'object' && !Array.isArray(value)) {
    let copy: unknown = structuredClone(value);
    let issues = parsed.error.issues;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (!issues.every((i) => repair(copy, i))) break;
      copy = withoutDropped(copy);
      const again = answersSchema.safeParse(copy);
      if (again.success) {
        const covers = new Set(shape.flatMap((s) => s.covers));
        rules = validateAnswers(again.data, site).filter((p) => !covered(p.path, covers));
        break;
      }
      issues = again.error.issues;
    }
  }
  return { problems: withLines([...shape.map((s) => s.problem), ...rules], locate) };
}

/** The problems with the line of each in the answers file (the site's answer has paths; the CLI has the file). */
export function withLines(problems: WizardProblem[], locate: LocatePath | undefined): WizardProblem[] {
  if (!locate) return problems;
  return problems.map((p) => {
    // An answer the file does not have (missing, or left to its default) has no line.
    const line = locate(pathOfText(p.path))?.line;
    return line === undefined ? p : { ...p, line };
  });
}
