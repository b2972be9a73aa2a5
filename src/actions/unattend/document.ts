/**
 * The answer file being built (unattend.md §7): our default document (§10), the user's file merged
 * over it (§7 step 2), then the edits of Apply Windows Settings and Apply Network Settings (§4), then
 * `%VAR%` substitution at Setup Windows and ConfigMgr (§7 step 4), validation (§7 step 5) and the
 * text written to `Windows\Panther\Unattend\Unattend.xml` (§2, §3).
 *
 * The document is a secret (§2): log lines returned by the editing methods name element paths only,
 * never values.
 */
import type { XmlElement, XmlNode } from '../../sequence/xml/nodes.js';
import { writeXml } from '../../sequence/xml/writer.js';
import { invalidParameter } from './errors.js';
import { lintAnswerFile, type UnattendFinding } from './lint.js';
import { applyNetworkSettings, type NetworkAdapter } from './network-settings.js';
import { encodePassword, generateRandomPassword } from './password.js';
import { readAnswerFile } from './read.js';
import {
  C,
  CHILD_ORDER,
  COMPONENT_IDENTITY,
  COMPONENT_ORDER,
  IDENTITY_ATTRIBUTES,
  PASSES,
  UNATTEND_NS,
  WCM_NS,
  XSI_NS,
  type UnattendArch,
  type UnattendPass,
} from './schema.js';
import {
  childElements,
  childNamed,
  cloneElement,
  element,
  getAttribute,
  hasElementChildren,
  isListItem,
  keyValue,
  leaf,
  listItem,
  removeChild,
  setText,
  textContent,
  walkElements,
} from './tree.js';
import { applyWindowsSettings, type VariableLookup, type WindowsSettingsOptions } from './windows-settings.js';

/** `image`: an applied WIM boots into specialize; `setup`: an OS upgrade package runs setup.exe (windowsPE and offlineServicing are processed). */
export type InstallKind = 'image' | 'setup';

export interface CreateOptions {
  install?: InstallKind;
  /** Source of the default document's random administrator password (tests); default `generateRandomPassword`. */
  randomPassword?: () => string;
}

export interface ParseOptions {
  /** The image's architecture; default: that of the file's first component, else amd64 [I]. */
  arch?: UnattendArch;
  install?: InstallKind;
}

/** What the post-setup phase does with the built-in Administrator account (§6). */
export type AdminAccountState = 'disabled' | 'enabled';

const ARCHES: readonly string[] = ['amd64', 'x86', 'arm64'];

/** A value that is only a `%Name%` token: a template placeholder (§3 "only because of a template placeholder"). */
const PLACEHOLDER = /^%[A-Za-z0-9_-]{1,256}%$/;

/** §10: OOBE must not stop for input, the task sequence resumes from SetupComplete. */
const DEFAULT_OOBE: ReadonlyArray<[string, string]> = [
  ['HideEULAPage', 'true'],
  ['HideOEMRegistrationScreen', 'true'],
  ['HideOnlineAccountScreens', 'true'],
  ['HideWirelessSetupInOOBE', 'true'],
  ['HideLocalAccountScreen', 'true'],
  ['ProtectYourPC', '1'],
  ['NetworkLocation', 'Work'],
];

/** Removed from the oobeSystem Shell-Setup component of a merged user file (§6 [C: MDT for ConfigMgr][I]). */
const STRIPPED_OOBE_SETTINGS = ['AutoLogon', 'FirstLogonCommands', 'UserAccounts/LocalAccounts'];

export class UnattendDocument {
  readonly arch: UnattendArch;
  readonly install: InstallKind;
  /** Set when an administrator password is written (default document, Apply Windows Settings); the post-setup hook acts on it (§6). */
  adminAccount: AdminAccountState | undefined;
  private readonly tree: XmlElement;
  /** Elements whose value came from a user (or previously written) file, not from us: an empty variable does not remove them (§7 step 3). */
  private readonly fromUser = new WeakSet<XmlElement>();

  private constructor(arch: UnattendArch, install: InstallKind, root: XmlElement) {
    this.arch = arch;
    this.install = install;
    this.tree = root;
  }

  /** Our default document (§10) for an image of this architecture. */
  static create(arch: UnattendArch, options: CreateOptions = {}): UnattendDocument {
    const doc = new UnattendDocument(arch, options.install ?? 'image', element('unattend', [['xmlns', UNATTEND_NS]]));
    // [I] "*" = Setup picks a random name; always present (§10), replaced by Apply Windows Settings.
    doc.set('specialize', C.shellSetup, 'ComputerName', '*');
    for (const [name, value] of DEFAULT_OOBE) doc.set('oobeSystem', C.shellSetup, `OOBE/${name}`, value);
    // [I] §6: a random password from the start, so a merged user file can never leave the account with a blank one.
    doc.setAdministratorPassword((options.randomPassword ?? generateRandomPassword)(), 'disabled');
    if (doc.install === 'setup') doc.set('windowsPE', C.setup, 'UserData/AcceptEula', 'true');
    return doc;
  }

  /** A document with nothing in it (e.g. drivers.xml, §9). */
  static empty(arch: UnattendArch): UnattendDocument {
    return new UnattendDocument(arch, 'image', element('unattend', [['xmlns', UNATTEND_NS]]));
  }

  /**
   * Reads an existing answer file (e.g. the one a previous step left on the volume). Bad XML is an
   * `InputError` naming input, line and rule. [I] Every element read counts as "not ours": an empty
   * variable never deletes something we cannot prove we wrote.
   */
  static parse(xml: string, input: string, options: ParseOptions = {}): UnattendDocument {
    const root = readAnswerFile(xml, input);
    let arch = options.arch;
    if (!arch) {
      const first = [...walkElements(root)].find((w) => w.el.name === 'component' && w.path.length === 3);
      const a = first && getAttribute(first.el, 'processorArchitecture');
      arch = a && ARCHES.includes(a.toLowerCase()) ? (a.toLowerCase() as UnattendArch) : 'amd64';
    }
    const doc = new UnattendDocument(arch, options.install ?? 'image', root);
    for (const { el } of walkElements(root)) doc.fromUser.add(el);
    return doc;
  }

  /** The live tree (read it; edit through the methods so origins and pruning stay right). */
  get root(): XmlElement {
    return this.tree;
  }

  // ---------------------------------------------------------------- user file (§7 step 2)

  /**
   * Overlays the user's answer file. `<settings>` match by pass, components by their five identity
   * attributes, simple elements by name, list items by `wcm:keyValue` (else appended); the user's
   * value wins; whatever we do not know is kept verbatim; `%…%` tokens are left alone. Legacy
   * formats are refused. Returns log lines.
   */
  mergeUserFile(xml: string, input: string): string[] {
    const user = readAnswerFile(xml, input);
    const log: string[] = [];
    let kept = 0;
    for (const us of childElements(user)) {
      const pass = us.name === 'settings' ? getAttribute(us, 'pass') : undefined;
      const ours = pass === undefined ? undefined : this.settingsFor(pass, false);
      if (!ours) {
        this.adopt(this.tree, us);
        kept++;
        continue;
      }
      for (const uc of childElements(us)) {
        const oc = uc.name === 'component' ? childElements(ours).find((o) => o.name === 'component' && sameIdentity(o, uc)) : undefined;
        if (oc) this.mergeChildren(oc, uc);
        else {
          this.adopt(ours, uc);
          kept++;
        }
      }
    }
    log.push(`merged ${input}${kept ? ` (${kept} component(s) or section(s) taken over as they are)` : ''}`);
    log.push(...this.stripOobeLogonSettings());
    return log;
  }

  private adopt(parent: XmlElement, el: XmlElement): void {
    const copy = cloneElement(el);
    for (const { el: e } of walkElements(copy)) this.fromUser.add(e);
    parent.children.push(copy);
  }

  private mergeChildren(ours: XmlElement, user: XmlElement): void {
    for (const [n, v] of user.attributes) {
      const a = ours.attributes.find((x) => x[0] === n);
      if (a) a[1] = v;
      else ours.attributes.push([n, v]);
    }
    for (const u of childElements(user)) {
      let match: XmlElement | undefined;
      if (isListItem(u)) {
        const key = keyValue(u);
        if (key !== undefined) match = childElements(ours).find((o) => o.name === u.name && keyValue(o) === key);
      } else {
        match = childElements(ours).find((o) => o.name === u.name && !isListItem(o));
      }
      if (!match) this.adopt(ours, u);
      else if (hasElementChildren(u) && hasElementChildren(match)) this.mergeChildren(match, u);
      else if (u.children.length > 0 || !hasElementChildren(match)) {
        // A simple element: the user's value wins (an empty user container leaves ours alone [I]).
        match.children = cloneElement(u).children;
        match.attributes = u.attributes.map(([n, v]) => [n, v]);
        if (u.empty) match.empty = u.empty;
        for (const { el } of walkElements(match)) this.fromUser.add(el);
      }
    }
  }

  /** §6: ConfigMgr-style deployments resume from SetupComplete, not a logon — AutoLogon & co. go. */
  private stripOobeLogonSettings(): string[] {
    const log: string[] = [];
    const settings = this.settingsFor('oobeSystem', false);
    if (!settings) return log;
    for (const comp of childElements(settings)) {
      if (comp.name !== 'component' || getAttribute(comp, 'name') !== C.shellSetup) continue;
      for (const path of STRIPPED_OOBE_SETTINGS) {
        const el = descend(comp, path);
        if (!el) continue;
        const where = `oobeSystem/${C.shellSetup}/${path}`;
        if (path === 'AutoLogon' && isAdministrator(textContent(childNamed(el, 'Username') ?? el))) {
          log.push(`warning: ${where} logs on as Administrator, which would re-enable the built-in Administrator account; removed`);
        }
        this.removeAndPrune(comp, el);
        log.push(`removed ${where} (the task sequence, not a logon, resumes after Setup)`);
      }
    }
    return log;
  }

  // ---------------------------------------------------------------- step edits (§4)

  /** Apply Windows Settings: §4.1, §4.2, §5, §6. Returns log lines (element paths, never values). */
  applyWindowsSettings(v: VariableLookup, options: WindowsSettingsOptions = {}): string[] {
    return applyWindowsSettings(this, v, options);
  }

  /** Apply Network Settings: §4.3, §4.4. `adapters` are the machine's physical adapters (identity rule 2). */
  applyNetworkSettings(v: VariableLookup, adapters: NetworkAdapter[] = []): string[] {
    return applyNetworkSettings(this, v, adapters);
  }

  /**
   * Driver folders as `PnpCustomizationsNonWinPE/DriverPaths/PathAndCredentials` (§9): in drivers.xml,
   * or in the main file's offlineServicing pass for setup.exe installs. Keys continue after existing
   * numeric keys; a folder already listed is not added twice [I].
   */
  addDriverPaths(folders: string[], pass: 'offlineServicing' | 'auditSystem' = 'offlineServicing'): string[] {
    const log: string[] = [];
    if (folders.length === 0) return log;
    const list = this.ensurePath(pass, C.pnpNonWinPE, 'DriverPaths');
    const items = childElements(list).filter((e) => e.name === 'PathAndCredentials');
    const known = new Set(
      items.map((e) =>
        textContent(childNamed(e, 'Path') ?? e)
          .trim()
          .toLowerCase(),
      ),
    );
    let next = nextNumericKey(items.map((e) => keyValue(e)));
    for (const folder of folders) {
      const path = folder.trim();
      if (path === '') throw invalidParameter('a driver folder path is empty (PathAndCredentials/Path does not accept empty values)');
      if (path.length > 259) throw invalidParameter(`the driver folder path "${path.slice(0, 40)}…" is longer than 259 characters`);
      if (known.has(path.toLowerCase())) continue;
      known.add(path.toLowerCase());
      list.children.push(listItem('PathAndCredentials', String(next), [leaf('Path', path)]));
      log.push(`added ${pass}/${C.pnpNonWinPE}/DriverPaths/PathAndCredentials[${next}]`);
      next++;
    }
    return log;
  }

  // ---------------------------------------------------------------- Setup Windows and ConfigMgr (§7 step 4)

  /**
   * Replaces `%Name%` in element text with the task sequence variable (`v` looks names up, case-
   * insensitively); `%%` is a literal `%`; unknown names stay as written. The writer escapes the
   * substituted values. Directory variables (`%WINDIR%`…) are not replaced with WinPE's values, unlike
   * ConfigMgr [I]; lint warns about them instead.
   */
  substituteVariables(v: VariableLookup): string[] {
    const log: string[] = [];
    for (const { el, path } of describedElements(this.tree)) {
      for (const node of el.children) {
        if ((node.kind !== 'text' && node.kind !== 'cdata') || node.text.indexOf('%') === -1) continue;
        const names: string[] = [];
        node.text = node.text.replace(/%%|%([A-Za-z0-9_-]{1,256})%/g, (whole, name: string | undefined) => {
          if (name === undefined) return '%';
          const value = v(name);
          if (value === undefined) return whole;
          names.push(name);
          return value;
        });
        if (names.length) log.push(`substituted ${names.map((n) => `%${n}%`).join(', ')} in ${path}`);
      }
    }
    return log;
  }

  // ---------------------------------------------------------------- checks and output

  /** Every finding (errors and warnings) of §7 step 5 and the lint rules of §3, §4, §5, §7. */
  lint(): UnattendFinding[] {
    return lintAnswerFile(this);
  }

  /** §7 step 5: the errors that stop the file from being written (empty = ok). */
  validate(): string[] {
    return this.lint()
      .filter((f) => f.severity === 'error')
      .map((f) => `${f.code} ${f.path}: ${f.message}`);
  }

  /** UTF-8 text with declaration, two-space indent, LF; passes, components and children in schema order (§3). */
  toXml(): string {
    const root = cloneElement(this.tree);
    orderTree(root);
    return writeXml({
      declaration: '<?xml version="1.0" encoding="utf-8"?>',
      prolog: [],
      root,
      epilog: [],
      layout: { indent: '  ', newline: '\n', selfClose: '/>' },
    });
  }

  // ---------------------------------------------------------------- low-level editing (used by the step modules)

  /** The first `<settings pass=…>`; created when asked. */
  settingsFor(pass: string, create: true): XmlElement;
  settingsFor(pass: string, create: boolean): XmlElement | undefined;
  settingsFor(pass: string, create: boolean): XmlElement | undefined {
    const found = childElements(this.tree).find((e) => e.name === 'settings' && getAttribute(e, 'pass') === pass);
    if (found || !create) return found;
    const s = element('settings', [['pass', pass]]);
    this.tree.children.push(s);
    return s;
  }

  /** Our component (name + this image's architecture + the standard identity) in a pass. */
  component(pass: UnattendPass, name: string, create: true): XmlElement;
  component(pass: UnattendPass, name: string, create?: boolean): XmlElement | undefined;
  component(pass: UnattendPass, name: string, create = false): XmlElement | undefined {
    const settings = this.settingsFor(pass, create);
    if (!settings) return undefined;
    const identity = this.identity(name);
    const found = childElements(settings).find((e) => e.name === 'component' && sameIdentity(e, identity));
    if (found || !create) return found;
    settings.children.push(identity);
    return identity;
  }

  /** Every component in every pass, whatever its identity. */
  components(): Array<{ pass: string; el: XmlElement }> {
    const out: Array<{ pass: string; el: XmlElement }> = [];
    for (const s of childElements(this.tree)) {
      if (s.name !== 'settings') continue;
      const pass = getAttribute(s, 'pass') ?? '';
      for (const c of childElements(s)) if (c.name === 'component') out.push({ pass, el: c });
    }
    return out;
  }

  find(pass: UnattendPass, component: string, path: string): XmlElement | undefined {
    const comp = this.component(pass, component);
    return comp && descend(comp, path);
  }

  get(pass: UnattendPass, component: string, path: string): string | undefined {
    const el = this.find(pass, component, path);
    return el && textContent(el);
  }

  /** Writes a simple element (creating settings, component and parents as needed); it is ours from now on. */
  set(pass: UnattendPass, component: string, path: string, value: string): void {
    const segments = path.split('/');
    const parent = this.ensurePath(pass, component, segments.slice(0, -1).join('/'));
    const name = segments[segments.length - 1];
    let el = childElements(parent).find((e) => e.name === name && !isListItem(e));
    if (!el) {
      el = element(name);
      parent.children.push(el);
    }
    setText(el, value);
    this.fromUser.delete(el);
  }

  /** Creates (or finds) the container at `path` inside our component; `''` is the component itself. */
  ensurePath(pass: UnattendPass, component: string, path: string): XmlElement {
    let cur = this.component(pass, component, true);
    if (path === '') return cur;
    for (const name of path.split('/')) {
      let next = childElements(cur).find((e) => e.name === name && !isListItem(e));
      if (!next) {
        next = element(name);
        cur.children.push(next);
      }
      cur = next;
    }
    return cur;
  }

  /**
   * A step's variable is empty: remove the element it owns, unless it came from the user's file with
   * a real value (a `%Name%` placeholder alone is removed too) — §3 and §7 step 3 [I].
   */
  release(pass: UnattendPass, component: string, path: string): 'removed' | 'kept' | 'absent' {
    const comp = this.component(pass, component);
    const el = comp && descend(comp, path);
    if (!comp || !el) return 'absent';
    if (this.fromUser.has(el) && !PLACEHOLDER.test(textContent(el).trim())) return 'kept';
    this.removeAndPrune(comp, el);
    return 'removed';
  }

  /** Removes an element whatever its origin (e.g. JoinWorkgroup when joining a domain, §4.3). */
  remove(pass: UnattendPass, component: string, path: string): boolean {
    const comp = this.component(pass, component);
    const el = comp && descend(comp, path);
    if (!comp || !el) return false;
    this.removeAndPrune(comp, el);
    return true;
  }

  isFromUser(el: XmlElement): boolean {
    return this.fromUser.has(el);
  }

  /** The encoded administrator password (§5) in oobeSystem Shell-Setup, and what happens to the account after setup (§6). */
  setAdministratorPassword(password: string, state: AdminAccountState): void {
    if (password === '') throw invalidParameter('a blank administrator password is not allowed (it would enable the account without a password)');
    this.set('oobeSystem', C.shellSetup, 'UserAccounts/AdministratorPassword/Value', encodePassword(password, 'AdministratorPassword'));
    this.set('oobeSystem', C.shellSetup, 'UserAccounts/AdministratorPassword/PlainText', 'false');
    this.adminAccount = state;
  }

  /** Removes `el` and every ancestor it leaves empty, up to and including the component and its `<settings>`. */
  removeAndPrune(component: XmlElement, el: XmlElement): void {
    const chain = ancestry(component, el);
    if (!chain) return;
    let child = el;
    for (let i = chain.length - 1; i >= 0; i--) {
      const parent = chain[i];
      removeChild(parent, child);
      if (!isEmptyContainer(parent) || parent === component) {
        if (parent === component && isEmptyContainer(component)) this.removeComponent(component);
        return;
      }
      child = parent;
    }
  }

  private removeComponent(component: XmlElement): void {
    for (const s of childElements(this.tree)) {
      if (s.name !== 'settings' || !s.children.includes(component)) continue;
      removeChild(s, component);
      if (isEmptyContainer(s)) removeChild(this.tree, s);
      return;
    }
  }

  private identity(name: string): XmlElement {
    return element('component', [
      ['name', name],
      ['processorArchitecture', this.arch],
      ['publicKeyToken', COMPONENT_IDENTITY.publicKeyToken],
      ['language', COMPONENT_IDENTITY.language],
      ['versionScope', COMPONENT_IDENTITY.versionScope],
      ['xmlns:wcm', WCM_NS],
      ['xmlns:xsi', XSI_NS],
    ]);
  }
}

// ------------------------------------------------------------------ helpers

/** Component identity: the five attributes (§3), values compared case-insensitively [I]. */
function sameIdentity(a: XmlElement, b: XmlElement): boolean {
  return IDENTITY_ATTRIBUTES.every((n) => (getAttribute(a, n) ?? '').toLowerCase() === (getAttribute(b, n) ?? '').toLowerCase());
}

function descend(from: XmlElement, path: string): XmlElement | undefined {
  let cur: XmlElement | undefined = from;
  for (const name of path.split('/')) {
    cur = childElements(cur).find((e) => e.name === name && !isListItem(e));
    if (!cur) return undefined;
  }
  return cur;
}

/** The elements from `top` down to `el`'s parent, or undefined when `el` is not below `top`. */
function ancestry(top: XmlElement, el: XmlElement): XmlElement[] | undefined {
  if (top.children.includes(el)) return [top];
  for (const c of childElements(top)) {
    const below = ancestry(c, el);
    if (below) return [top, ...below];
  }
  return undefined;
}

function isEmptyContainer(el: XmlElement): boolean {
  return el.children.every((c) => c.kind === 'text' && c.text.trim() === '');
}

function isAdministrator(user: string): boolean {
  return /^(?:\.\\|[^\\]*\\)?administrator$/i.test(user.trim());
}

export function nextNumericKey(keys: Array<string | undefined>): number {
  let max = 0;
  for (const k of keys) if (k !== undefined && /^\d+$/.test(k)) max = Math.max(max, Number(k));
  return max + 1;
}

/** Every element below the root with an admin-readable path: `specialize/Microsoft-Windows-Shell-Setup/ComputerName`. */
function* describedElements(root: XmlElement): Generator<{ el: XmlElement; path: string }> {
  const visit = function* (el: XmlElement, path: string): Generator<{ el: XmlElement; path: string }> {
    yield { el, path };
    for (const c of childElements(el)) {
      const label =
        c.name === 'settings' && el === root
          ? (getAttribute(c, 'pass') ?? 'settings')
          : c.name === 'component'
            ? (getAttribute(c, 'name') ?? 'component')
            : keyValue(c) !== undefined
              ? `${c.name}[${keyValue(c)}]`
              : c.name;
      yield* visit(c, path === '' ? label : `${path}/${label}`);
    }
  };
  yield* visit(root, '');
}

// ------------------------------------------------------------------ schema order (§3)

const PASS_RANK = new Map<string, number>(PASSES.map((p, i) => [p, i]));
const COMPONENT_RANK = new Map<string, number>(COMPONENT_ORDER.map((c, i) => [c, i]));

function orderTree(root: XmlElement): void {
  slotSort(root.children, (e) => (e.name === 'settings' ? PASS_RANK.get(getAttribute(e, 'pass') ?? '') : undefined));
  for (const s of childElements(root)) {
    if (s.name !== 'settings') continue;
    slotSort(s.children, (e) => (e.name === 'component' ? COMPONENT_RANK.get(getAttribute(e, 'name') ?? '') : undefined));
    for (const c of childElements(s)) if (c.name === 'component') orderChildren(c, getAttribute(c, 'name') ?? '');
  }
}

function orderChildren(el: XmlElement, key: string): void {
  const table = CHILD_ORDER[key];
  if (table)
    slotSort(el.children, (e) => {
      const i = table.indexOf(e.name);
      return i === -1 ? undefined : i;
    });
  for (const c of childElements(el)) orderChildren(c, `${key}/${c.name}`);
}

/**
 * Sorts the elements `rank` knows into the slots they already occupy (stable); everything else —
 * unknown elements, comments — keeps its position, so nothing we do not understand moves.
 */
function slotSort(children: XmlNode[], rank: (el: XmlElement) => number | undefined): void {
  const slots: number[] = [];
  const ranked: Array<{ el: XmlElement; r: number; i: number }> = [];
  children.forEach((c, i) => {
    if (c.kind !== 'element') return;
    const r = rank(c);
    if (r === undefined) return;
    slots.push(i);
    ranked.push({ el: c, r, i });
  });
  ranked.sort((a, b) => a.r - b.r || a.i - b.i);
  slots.forEach((slot, k) => (children[slot] = ranked[k].el));
}
