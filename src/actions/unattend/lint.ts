/**
 * Checks on the answer file before it is written (unattend.md §7 step 5) and the lint rules the
 * spec names (§3 architecture, §4.1 product key and computer name, §4.3 workgroup, §5/§6 passwords,
 * §7 `%VAR%` traps). Messages name element paths; secret values never appear.
 */
import type { XmlElement } from '../../sequence/xml/nodes.js';
import type { UnattendDocument } from './document.js';
import { UnattendError } from './errors.js';
import { decodePassword } from './password.js';
import { C, IDENTITY_ATTRIBUTES, NON_EMPTY_ELEMENTS, NUMERIC_ELEMENTS, WINPE_TRAP_VARIABLES } from './schema.js';
import { childElements, childNamed, getAttribute, textContent } from './tree.js';

export interface UnattendFinding {
  code: string;
  severity: 'error' | 'warning';
  /** `pass/Component/Element/…` */
  path: string;
  message: string;
}

/** Characters a computer name may not contain (§4.1 [D]). */
const COMPUTER_NAME_FORBIDDEN = /[\s{|}~[\]\\^'":;<>=?@!#$%`()+/.,*&]/;
const PRODUCT_KEY = /^[A-Z0-9]{5}(?:-[A-Z0-9]{5}){4}$/i;
const WINPE_TRAP = new RegExp(`%(?:${WINPE_TRAP_VARIABLES.join('|')})%`, 'i');

export function lintAnswerFile(doc: UnattendDocument): UnattendFinding[] {
  const out: UnattendFinding[] = [];
  const add = (code: string, severity: UnattendFinding['severity'], path: string, message: string): void => {
    out.push({ code, severity, path, message });
  };

  for (const { pass, el: comp } of doc.components()) {
    const name = getAttribute(comp, 'name') ?? '(unnamed)';
    const base = `${pass}/${name}`;
    const missing = IDENTITY_ATTRIBUTES.filter((a) => getAttribute(comp, a) === undefined);
    if (missing.length) add('UNATTEND_COMPONENT_IDENTITY', 'error', base, `the component has no ${missing.join(', ')} attribute`);
    const arch = getAttribute(comp, 'processorArchitecture');
    if (arch !== undefined && arch.toLowerCase() !== doc.arch) {
      // [I] §3: Setup skips components whose architecture differs from the OS.
      add('UNATTEND_ARCH_MISMATCH', 'error', base, `processorArchitecture is ${arch} but the image is ${doc.arch}; Setup would ignore this component`);
    }
    walk(comp, base, (el, path, parent) => {
      const value = textContent(el);
      const leafElement = !el.children.some((c) => c.kind === 'element');
      if (!leafElement) return;
      const empty = value.trim() === '';
      const credential = parent.name === 'Credentials';
      if (empty && (NON_EMPTY_ELEMENTS.has(el.name) || credential)) {
        add('UNATTEND_EMPTY_VALUE', 'error', path, `${el.name} does not accept an empty value; omit the element instead`);
      }
      if (NUMERIC_ELEMENTS.has(el.name) && value.includes('%')) {
        add('UNATTEND_NUMERIC_VARIABLE', 'error', path, `${el.name} holds a number; %VARIABLE% references are not substituted there`);
      }
      if (WINPE_TRAP.test(value) && !isHiddenPassword(parent)) {
        add(
          'UNATTEND_ENV_IN_WINPE',
          'warning',
          path,
          "ConfigMgr replaces %WINDIR%, %SystemRoot%, %ProgramFiles% and %SystemDrive% with Windows PE's values (X:\\Windows); use literal paths",
        );
      }
    });
  }

  const shell = doc.component('specialize', C.shellSetup);
  const computerName = shell && childNamed(shell, 'ComputerName');
  if (computerName) {
    const problem = computerNameProblem(textContent(computerName).trim());
    if (problem) add('UNATTEND_COMPUTER_NAME', 'error', `specialize/${C.shellSetup}/ComputerName`, problem);
  }
  for (const [pass, comp, path] of [
    ['specialize', C.shellSetup, 'ProductKey'],
    ['windowsPE', C.setup, 'UserData/ProductKey/Key'],
  ] as const) {
    const key = doc.get(pass, comp, path)?.trim();
    if (key && !key.includes('%') && !PRODUCT_KEY.test(key)) {
      add(
        'UNATTEND_PRODUCT_KEY',
        'warning',
        `${pass}/${comp}/${path}`,
        'a product key has the form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (29 characters); Setup fails with an invalid key',
      );
    }
  }

  const identification = doc.find('specialize', C.unattendedJoin, 'Identification');
  if (identification) {
    const where = `specialize/${C.unattendedJoin}/Identification`;
    if (childNamed(identification, 'JoinDomain') && childNamed(identification, 'JoinWorkgroup')) {
      add('UNATTEND_JOIN_CONFLICT', 'error', where, 'both JoinDomain and JoinWorkgroup are present; Setup ignores JoinWorkgroup');
    }
    const workgroup = childNamed(identification, 'JoinWorkgroup');
    if (workgroup && textContent(workgroup).trim().length > 15) {
      add('UNATTEND_WORKGROUP_NAME', 'warning', `${where}/JoinWorkgroup`, 'a workgroup name longer than 15 characters is not a valid NetBIOS name');
    }
  }

  for (const component of [C.tcpip, C.dnsClient, C.netbt]) {
    const interfaces = doc.find('specialize', component, 'Interfaces');
    if (!interfaces) continue;
    const seen = new Set<string>();
    for (const item of childElements(interfaces)) {
      const id = childNamed(item, 'Identifier');
      if (!id) {
        add('UNATTEND_INTERFACE_IDENTIFIER', 'error', `specialize/${component}/Interfaces/Interface`, 'an interface needs an Identifier');
        continue;
      }
      const key = textContent(id).trim().toLowerCase();
      if (seen.has(key))
        add(
          'UNATTEND_DUPLICATE_INTERFACE',
          'error',
          `specialize/${component}/Interfaces/Interface[${textContent(id).trim()}]`,
          'two interfaces have the same Identifier',
        );
      seen.add(key);
    }
  }

  for (const { pass, el: comp } of doc.components()) {
    if (getAttribute(comp, 'name') !== C.shellSetup) continue;
    const base = `${pass}/${C.shellSetup}`;
    const admin = childNamed(childNamed(comp, 'UserAccounts') ?? comp, 'AdministratorPassword');
    if (admin && childNamed(comp, 'UserAccounts')) checkHiddenPassword(admin, 'AdministratorPassword', `${base}/UserAccounts/AdministratorPassword`, add, true);
    const autoLogon = childNamed(comp, 'AutoLogon');
    const autoPassword = autoLogon && childNamed(autoLogon, 'Password');
    if (autoPassword) checkHiddenPassword(autoPassword, 'Password', `${base}/AutoLogon/Password`, add, false);
    const user = autoLogon && childNamed(autoLogon, 'Username');
    if (user && doc.adminAccount === 'disabled' && /^(?:\.\\|[^\\]*\\)?administrator$/i.test(textContent(user).trim())) {
      add(
        'UNATTEND_AUTOLOGON_ADMIN',
        'warning',
        `${base}/AutoLogon`,
        'AutoLogon as Administrator re-enables the account that the random-password option disables',
      );
    }
  }
  return out;
}

/** §4.1 [D] rules; `*`, empty (random name) and `%VAR%` (resolved later) pass. */
export function computerNameProblem(name: string): string | undefined {
  if (name === '' || name === '*' || name.includes('%')) return undefined;
  if (Buffer.byteLength(name, 'utf8') > 15) return 'a computer name is at most 15 bytes';
  if (COMPUTER_NAME_FORBIDDEN.test(name)) return 'a computer name may not contain spaces or any of {|}~[]\\^\'":;<>=?@!#$%`()+/.,*&';
  if (/^\d+$/.test(name)) return 'a computer name may not be all digits';
  // [I] DNS name validation: letters, digits and hyphens only (underscores and non-ASCII are non-standard).
  if (!/^[A-Za-z0-9-]+$/.test(name)) return 'a computer name must be a valid DNS label (letters, digits and hyphens)';
  return undefined;
}

function isHiddenPassword(el: XmlElement): boolean {
  return el.name === 'AdministratorPassword' || el.name === 'Password';
}

/** §5: a `PlainText=false` value must decode and end with the element name; §5/§6: never a blank administrator password. */
function checkHiddenPassword(
  el: XmlElement,
  suffix: 'AdministratorPassword' | 'Password',
  path: string,
  add: (code: string, severity: UnattendFinding['severity'], path: string, message: string) => void,
  refuseBlank: boolean,
): void {
  const valueEl = childNamed(el, 'Value');
  const value = valueEl ? textContent(valueEl) : '';
  const plain = (childNamed(el, 'PlainText') ? textContent(childNamed(el, 'PlainText')!) : 'true').trim().toLowerCase() !== 'false';
  let decoded = value;
  if (!plain) {
    try {
      decoded = decodePassword(value, suffix);
    } catch (e) {
      if (!(e instanceof UnattendError)) throw e;
      add('UNATTEND_PASSWORD_ENCODING', 'error', `${path}/Value`, `${e.message}; Setup would use a wrong password`);
      return;
    }
  }
  if (refuseBlank && decoded === '') {
    add('UNATTEND_BLANK_ADMIN_PASSWORD', 'error', `${path}/Value`, 'a blank administrator password enables the account without a password');
  }
}

function walk(el: XmlElement, path: string, visit: (el: XmlElement, path: string, parent: XmlElement) => void): void {
  for (const c of childElements(el)) {
    const key = getAttribute(c, 'wcm:keyValue');
    const p = `${path}/${c.name}${key !== undefined ? `[${key}]` : ''}`;
    visit(c, p, el);
    walk(c, p, visit);
  }
}
