/**
 * Apply Windows Settings → answer file (unattend.md §4.1, §4.2, §5, §6). Log lines name element
 * paths, never values: the answer file is a secret (§2).
 */
import type { UnattendDocument } from './document.js';
import { invalidParameter } from './errors.js';
import { generateRandomPassword } from './password.js';
import { C, type UnattendPass } from './schema.js';
import { childNamed, getAttribute, textContent } from './tree.js';

/** Looks up a task sequence variable (case-insensitive, as the engine's environment does); undefined = not set. */
export type VariableLookup = (name: string) => string | undefined;

export interface WindowsSettingsOptions {
  /** Source of the random administrator password (tests); default `generateRandomPassword` (§6). */
  randomPassword?: () => string;
}

/** §4.2: variable → International-Core element. */
export const LANGUAGE_SETTINGS: ReadonlyArray<[variable: string, element: string]> = [
  ['OSDWindowsSettingsInputLocale', 'InputLocale'],
  ['OSDWindowsSettingsSystemLocale', 'SystemLocale'],
  ['OSDWindowsSettingsUILanguage', 'UILanguage'],
  ['OSDWindowsSettingsUILanguageFallback', 'UILanguageFallback'],
  ['OSDWindowsSettingsUserLocale', 'UserLocale'],
];

const PRODUCT_KEY = /^[A-Z0-9]{5}(?:-[A-Z0-9]{5}){4}$/i;

/** A variable's value, or undefined when unset or whitespace only (whitespace-only values count as empty). */
export function valueOf(v: VariableLookup, name: string): string | undefined {
  const x = v(name);
  return x === undefined || x.trim() === '' ? undefined : x.trim();
}

export function parseBoolean(v: VariableLookup, name: string, fallback?: boolean): boolean | undefined {
  const x = valueOf(v, name);
  if (x === undefined) return fallback;
  if (/^true$/i.test(x)) return true;
  if (/^false$/i.test(x)) return false;
  throw invalidParameter(`${name} must be "true" or "false"`);
}

/** The editing verbs every step module logs through. */
export class StepEditor {
  readonly log: string[] = [];
  constructor(readonly doc: UnattendDocument) {}

  /** Sets the element when `value` is given, else releases it (§7 step 3). `variable` names the source in the log. */
  put(pass: UnattendPass, component: string, path: string, value: string | undefined, variable: string): void {
    const where = `${pass}/${component}/${path}`;
    if (value !== undefined) {
      this.doc.set(pass, component, path, value);
      this.log.push(`set ${where}`);
      return;
    }
    const r = this.doc.release(pass, component, path);
    if (r === 'removed') this.log.push(`removed ${where} (${variable} is empty)`);
    else if (r === 'kept') this.log.push(`kept ${where} from the answer file (${variable} is empty)`);
  }

  remove(pass: UnattendPass, component: string, path: string, why: string): void {
    if (this.doc.remove(pass, component, path)) this.log.push(`removed ${pass}/${component}/${path} (${why})`);
  }
}

export function applyWindowsSettings(doc: UnattendDocument, v: VariableLookup, options: WindowsSettingsOptions): string[] {
  const ed = new StepEditor(doc);

  // ComputerName (§4.1, §10): always present. Empty variable ⇒ keep what the user's file says (a
  // `%OSDComputerName%` there resolves at Setup Windows and ConfigMgr), else "*" = random [I].
  const computerName = valueOf(v, 'OSDComputerName');
  const existing = doc.find('specialize', C.shellSetup, 'ComputerName');
  if (computerName !== undefined) ed.put('specialize', C.shellSetup, 'ComputerName', computerName, 'OSDComputerName');
  else if (existing && doc.isFromUser(existing)) ed.log.push(`kept specialize/${C.shellSetup}/ComputerName from the answer file (OSDComputerName is empty)`);
  else ed.put('specialize', C.shellSetup, 'ComputerName', '*', 'OSDComputerName');

  ed.put('specialize', C.shellSetup, 'RegisteredOwner', valueOf(v, 'OSDRegisteredUserName'), 'OSDRegisteredUserName');
  ed.put('specialize', C.shellSetup, 'RegisteredOrganization', valueOf(v, 'OSDRegisteredOrgName'), 'OSDRegisteredOrgName');

  const productKey = valueOf(v, 'OSDProductKey');
  ed.put('specialize', C.shellSetup, 'ProductKey', productKey, 'OSDProductKey');
  if (doc.install === 'setup') ed.put('windowsPE', C.setup, 'UserData/ProductKey/Key', productKey, 'OSDProductKey');
  if (productKey !== undefined && !productKey.includes('%') && !PRODUCT_KEY.test(productKey)) {
    // [I] §4.1: an invalid key fails Setup; we say so and still write it (the product key is a secret: no value in the log).
    ed.log.push('warning: OSDProductKey is not in the form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (29 characters); written as given');
  }

  // TimeZone: specialize; [I, as MDT] also overwrite an oobeSystem TimeZone the user's file has.
  const timeZone = valueOf(v, 'OSDTimeZone');
  ed.put('specialize', C.shellSetup, 'TimeZone', timeZone, 'OSDTimeZone');
  if (timeZone !== undefined && doc.find('oobeSystem', C.shellSetup, 'TimeZone')) ed.put('oobeSystem', C.shellSetup, 'TimeZone', timeZone, 'OSDTimeZone');

  // Server licensing (§4.1 [I]): no unattend.xml equivalent — the variables stay, nothing is written.
  for (const name of ['OSDServerLicenseMode', 'OSDServerLicenseConnectionLimit']) {
    if (valueOf(v, name) !== undefined)
      ed.log.push(`info: ${name} has no unattend.xml setting (it was a Windows Server 2003 sysprep.inf option); nothing written`);
  }

  applyAdministrator(ed, v, options);

  // Languages (§4.2): oobeSystem; [I] the step overwrites existing values, so a specialize copy is overwritten too.
  for (const [variable, name] of LANGUAGE_SETTINGS) {
    const value = valueOf(v, variable);
    ed.put('oobeSystem', C.internationalCore, name, value, variable);
    if (value !== undefined && doc.find('specialize', C.internationalCore, name)) ed.put('specialize', C.internationalCore, name, value, variable);
  }
  return ed.log;
}

/** §6: random password + account disabled after setup, or the given password + account enabled. */
function applyAdministrator(ed: StepEditor, v: VariableLookup, options: WindowsSettingsOptions): void {
  const where = `oobeSystem/${C.shellSetup}/UserAccounts/AdministratorPassword`;
  const random = parseBoolean(v, 'OSDRandomAdminPassword', true);
  if (random) {
    ed.doc.setAdministratorPassword((options.randomPassword ?? generateRandomPassword)(), 'disabled');
    ed.log.push(`set ${where} (random password; the Administrator account is disabled after setup)`);
    for (const { pass, el } of ed.doc.components()) {
      if (getAttribute(el, 'name') !== C.shellSetup) continue;
      const autoLogon = childNamed(el, 'AutoLogon');
      const user = autoLogon && childNamed(autoLogon, 'Username');
      if (user && /^(?:\.\\|[^\\]*\\)?administrator$/i.test(textContent(user).trim())) {
        ed.log.push(`warning: ${pass}/${C.shellSetup}/AutoLogon logs on as Administrator, which re-enables the account the random-password option disables`);
      }
    }
    return;
  }
  const password = v('OSDLocalAdminPassword');
  if (password === undefined || password.trim() === '') {
    throw invalidParameter('OSDRandomAdminPassword is false but OSDLocalAdminPassword is empty: a blank administrator password is not allowed');
  }
  ed.doc.setAdministratorPassword(password, 'enabled');
  ed.log.push(`set ${where} (OSDLocalAdminPassword; the Administrator account is enabled after setup)`);
}
