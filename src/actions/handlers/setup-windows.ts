/**
 * Setup Windows and ConfigMgr (task-sequence-format §8.8; engine-semantics §7; unattend.md §1, §2,
 * §6): the step that takes the computer from Windows PE into the installed OS. Two runs of the
 * same step, as ConfigMgr's (the definition's `restarts: { into: 'FullOS', completesAfter }`):
 *
 * 1. In Windows PE: the OS volume is OSDTargetSystemDrive; its architecture (PROCESSOR_ARCHITECTURE
 *    in its SYSTEM hive) must be one this processor and firmware can run — otherwise the step fails
 *    HERE with 0x800700C1 (ERROR_BAD_EXE_FORMAT) and the reason; the client package must be in the
 *    content. `%var%` in the answer file are substituted, then Windows Setup is done as far as the
 *    OS records it (src/actions/os/windows-setup.ts: computer name, workgroup or domain, time zone,
 *    registration, product key, the Administrator's password as a salted hash), its log written to
 *    Windows\Panther\setupact.log, the answer file cached in Windows\Panther\unattend.xml with its
 *    passwords removed. The step then asks for a restart into the OS, to run again there.
 * 2. In the full OS (resumed): the Administrator enabled or disabled as Apply Windows Settings
 *    chose (`_OSDAdminAccountState`), Windows\Panther\Unattend\Unattend.xml deleted (its secrets),
 *    the ConfigMgr client package installed — its files into Windows\ccmsetup, Windows\CCM made,
 *    ccmsetup.log, the installation properties and the site recorded, provisioning mode on.
 *
 * The engine then carries on in the full OS (`_SMSTSInWinPE=false`, the journal and variables
 * carried over; the log folder is the client's: docs/full-os.md).
 */
import { formatCmTrace } from '../../engine/log/cmtrace.js';
import type { StepResult } from '../../engine/ports.js';
import { setupWindows } from '../../sequence/catalog/index.js';
import { filesOfDrive, type VolumeFiles } from '../computer.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, type HandlerContext } from '../handler.js';
import { archOfProcessorArchitecture, osImageProblem } from '../os/architecture.js';
import { OfflineRegistry, RegistryError } from '../os/registry.js';
import {
  type InterfaceSettings,
  KEYS,
  parseInstallProperties,
  randomComputerName,
  recordSetup,
  setAdministratorState,
  type SetupSettings,
} from '../os/windows-setup.js';
import { decodePassword, type UnattendDocument } from '../unattend/index.js';
import { C } from '../unattend/schema.js';
import type { XmlElement } from '../../sequence/xml/nodes.js';
import { childNamed, childrenNamed, textContent } from '../unattend/tree.js';
import { ANSWER_FILE, onDrive, openAnswerFile } from './answer-file.js';

/** ERROR_BAD_EXE_FORMAT: "is not a valid Win32 application" — an OS this processor cannot run. */
export const WRONG_ARCHITECTURE = 0x800700c1;
export const SETUP_LOG = 'Windows/Panther/setupact.log';
export const CACHED_ANSWER_FILE = 'Windows/Panther/unattend.xml';
export const CCMSETUP_FOLDER = 'Windows/ccmsetup';
export const CCMSETUP_LOG = 'Windows/ccmsetup/Logs/ccmsetup.log';
export const CCM_FOLDER = 'Windows/CCM';

/** What the first run hands the second through the journal (nothing secret). */
interface SetupState {
  phase: 'setup-complete';
  drive: string;
  adminAccount: 'enabled' | 'disabled';
  arch: string;
}

export const setupWindowsHandler = defineHandler(setupWindows, {
  async run(ctx) {
    const state = ctx.x.resumed?.stepState as SetupState | undefined;
    if (state?.phase === 'setup-complete') return installClient(ctx, state);
    if (ctx.x.environment !== 'WinPE')
      throw new StepFailure(
        WIN32.notSupported,
        'Setup Windows and ConfigMgr starts in Windows PE (after Apply Operating System); it is running in the full OS',
      );
    return windowsSetup(ctx);
  },
  simulate: () => ({ exitCode: 0, predicted: { assumed: ['Windows setup and the ConfigMgr client installation succeed'] } }),
});

function setupLine(message: string, level: 'Info' | 'Warning' | 'Error' = 'Info'): string {
  // setupact.log's layout: "2023-10-05 14:03:21, Info                  [windeploy.exe] …".
  const t = new Date().toISOString().replace('T', ' ').slice(0, 19);
  return `${t}, ${level.padEnd(22)}[windeploy.exe] ${message}\r\n`;
}

async function appendFile(vol: VolumeFiles, path: string, text: string): Promise<void> {
  const before = (await vol.exists(path)) ? await vol.readFile(path) : Buffer.alloc(0);
  await vol.writeFile(path, Buffer.concat([before, Buffer.from(text, 'utf8')]));
}

async function openRegistry(vol: VolumeFiles, letter: string): Promise<OfflineRegistry> {
  try {
    return await OfflineRegistry.open(vol);
  } catch (e) {
    if (e instanceof RegistryError) throw new StepFailure(e.code, `${letter} holds no installed Windows: ${e.message} (Apply Operating System must run first)`);
    throw e;
  }
}

async function windowsSetup({ x, computer, content }: HandlerContext): Promise<StepResult> {
  const { vol, doc, letter } = await openAnswerFile(computer, x.variables.get('OSDTargetSystemDrive'));
  const reg = await openRegistry(vol, letter);

  // The OS's architecture against the processor's (osd-features §5.1): refused here, with the reason.
  const pa = await reg.getString(KEYS.environment, 'PROCESSOR_ARCHITECTURE');
  const arch = archOfProcessorArchitecture(pa);
  if (!arch)
    throw new StepFailure(
      WRONG_ARCHITECTURE,
      `the operating system on ${letter} does not say its architecture (PROCESSOR_ARCHITECTURE in ${KEYS.environment} is ${pa === undefined ? 'missing' : `"${pa}"`})`,
    );
  const problem = osImageProblem(computer.profile, arch);
  if (problem)
    throw new StepFailure(
      WRONG_ARCHITECTURE,
      `the operating system on ${letter} is ${arch} (PROCESSOR_ARCHITECTURE ${pa}) and cannot start on ${computer.name}: ${problem}`,
    );
  x.log(`The operating system on ${letter} is ${arch}; ${computer.name} is ${computer.profile.architecture} (${computer.profile.firmware})`);

  // The client package must be there before the computer leaves Windows PE.
  const packageId = x.properties._SMSClientPackageID?.trim();
  if (!packageId) throw new StepFailure(WIN32.invalidParameter, 'no ConfigMgr client package: the step has no ClientPackageID (_SMSClientPackageID)');
  content.packageFolder(packageId);
  const props = parseInstallProperties(x.properties.SMSClientInstallProperties);
  if (props.problems.length)
    throw new StepFailure(
      WIN32.invalidParameter,
      `the client installation properties (SMSClientInstallProperties) are not valid: ${props.problems.join('; ')}`,
    );

  // §7 step 4: %var% substitution, then the checks Setup would fail on.
  for (const l of doc.substituteVariables((n) => x.variables.get(n))) x.log(`Answer file: ${l}`);
  const problems = doc.validate();
  if (problems.length) throw new StepFailure(WIN32.invalidData, `Windows Setup cannot use ${onDrive(letter, ANSWER_FILE)}: ${problems.join('; ')}`);

  const s = settingsOf(doc);
  if (!s.computerName || s.computerName === '*') s.computerName = randomComputerName();
  else if (s.computerName.includes('%'))
    throw new StepFailure(WIN32.invalidData, `the computer name "${s.computerName}" still has a variable reference nobody set: Windows Setup cannot use it`);
  const done = await recordSetup(reg, s);
  const saved = await reg.save();

  // Setup's cached copy has no secrets (unattend.md §2); its log has no values that are secrets.
  await vol.writeFile(CACHED_ANSWER_FILE, scrubbed(doc.toXml()));
  const log = [
    setupLine(`Windows Setup (OpenOSD) on ${letter}: answer file ${onDrive(letter, ANSWER_FILE)}`),
    ...done.map((d) => setupLine(d)),
    setupLine(`Registry hives written: ${saved.map((h) => h.replace(/\//g, '\\')).join(', ') || 'none'}`),
    setupLine('Setup completed the specialize and oobeSystem passes; restarting into the installed OS'),
  ];
  await appendFile(vol, SETUP_LOG, log.join(''));
  for (const d of done) x.log(d);

  const adminAccount = adminState(x.variables.get('_OSDAdminAccountState'), doc);
  const state: SetupState = { phase: 'setup-complete', drive: letter, adminAccount, arch };
  return { exitCode: 0, restart: { target: 'HD', rerun: true, stepState: state, reason: 'Windows Setup restarts into the installed operating system' } };
}

async function installClient({ x, computer, content }: HandlerContext, state: SetupState): Promise<StepResult> {
  const letter = state.drive;
  const vol = await filesOfDrive(computer, letter);
  const reg = await openRegistry(vol, letter);

  // The post-setup phase (unattend.md §6, §2): the Administrator as chosen; the answer file's secrets gone.
  await setAdministratorState(reg, state.adminAccount);
  x.log(`The local Administrator account is ${state.adminAccount}`);
  if (await vol.exists(ANSWER_FILE)) {
    // Blanked first: a back end that cannot delete yet (ERROR_NOT_SUPPORTED) still loses the secrets.
    await vol.writeFile(ANSWER_FILE, '');
    await vol.remove(ANSWER_FILE).catch((e: { exitCode?: number }) => {
      if (e?.exitCode !== WIN32.notSupported) throw e;
    });
  }

  // The client (osd-features §2.5): ccmsetup from the package, with its installation properties.
  const packageId = x.properties._SMSClientPackageID?.trim();
  if (!packageId) throw new StepFailure(WIN32.invalidParameter, 'no ConfigMgr client package: the step has no ClientPackageID (_SMSClientPackageID)');
  const folder = content.packageFolder(packageId);
  const platform = state.arch === 'x86' ? 'i386' : state.arch;
  const raw = x.properties.SMSClientInstallProperties ?? '';
  const { properties, switches } = parseInstallProperties(raw);
  const ccmLog: string[] = [];
  const log = (message: string, severity: 'info' | 'warning' | 'error' = 'info'): void => {
    ccmLog.push(formatCmTrace({ time: new Date(), component: 'ccmsetup', severity, message, file: 'setup-windows.ts' }));
  };
  log(`==========[ ccmsetup started in process ${process.pid} ]==========`);
  log(`Running on '${state.arch}' OS. Command line: ccmsetup.exe /source:"${onDrive(letter, `_SMSTaskSequence/OSD/${packageId}`)}" ${raw}`.trim());
  await vol.copyIn(folder, CCMSETUP_FOLDER);
  if (!(await vol.exists(`${CCMSETUP_FOLDER}/client/${platform}/client.msi`))) {
    log(`The client package ${packageId} has no client/${platform}/client.msi`, 'error');
    await vol.writeFile(CCMSETUP_LOG, ccmLog.join(''));
    throw new StepFailure(
      WIN32.fileNotFound,
      `the client package ${packageId} has no client for ${state.arch} (client\\${platform}\\client.msi): ccmsetup cannot install it`,
    );
  }
  const version = await clientVersion(vol);
  const siteCode = properties.get('SMSSITECODE') ?? x.variables.get('_SMSTSSiteCode') ?? x.variables.get('SMSTSSiteCode');
  const mp = properties.get('SMSMP') ?? x.variables.get('_SMSTSMP');
  await vol.mkdirp(`${CCM_FOLDER}/Logs`);
  await reg.set(KEYS.mobileClient, 'ProductVersion', version);
  if (siteCode && siteCode.toUpperCase() !== 'AUTO') await reg.set(KEYS.mobileClient, 'AssignedSiteCode', siteCode.toUpperCase());
  await reg.set(KEYS.ccmSetup, 'LastSuccessfulInstallParams', raw);
  await reg.set(KEYS.ccmSetup, 'SourcePackageID', packageId);
  if (mp) await reg.set(KEYS.ccmSetup, 'LastValidMP', mp);
  // The client stays in provisioning mode until the task sequence ends (osd-features §2.5; engine-semantics §7).
  await reg.set(KEYS.ccmExec, 'ProvisioningMode', 'true');
  await reg.set(KEYS.ccmExec, 'SystemTaskExcludes', '*');
  for (const [k, v] of properties) log(`Installation property ${k}=${k.includes('PASSWORD') ? '********' : v}`);
  for (const sw of switches) log(`Switch ${sw}`);
  log(
    `Installed the client ${version} (client\\${platform}\\client.msi) into ${onDrive(letter, CCM_FOLDER)}; site ${siteCode ?? '(assigned automatically)'}, management point ${mp ?? '(from the site)'}`,
  );
  log('The client is in provisioning mode while the task sequence runs');
  log('CcmSetup is exiting with return code 0');
  const hives = await reg.save();
  await vol.writeFile(CCMSETUP_LOG, ccmLog.join(''));
  x.log(
    `Installed the ConfigMgr client ${version} from ${packageId}${raw ? ` with ${raw}` : ''}; wrote ${hives.map((h) => h.replace(/\//g, '\\')).join(', ')}`,
  );
  return { exitCode: 0 };
}

/** The client's version, as the package's ccmsetup.exe names it (the test package's placeholders do). */
async function clientVersion(vol: VolumeFiles): Promise<string> {
  const text = (await vol.readFile(`${CCMSETUP_FOLDER}/ccmsetup.exe`).catch(() => Buffer.alloc(0))).subarray(0, 4096).toString('latin1');
  return /\b5\.00\.\d{4}\.\d{4}\b/.exec(text)?.[0] ?? 'unknown';
}

/** The settings Setup takes from the answer file (unattend.md §8). */
function settingsOf(doc: UnattendDocument): SetupSettings {
  const shell = (path: string): string | undefined => doc.get('specialize', C.shellSetup, path)?.trim();
  const s: SetupSettings = {
    computerName: shell('ComputerName'),
    registeredOwner: shell('RegisteredOwner') ?? doc.get('oobeSystem', C.shellSetup, 'RegisteredOwner')?.trim(),
    registeredOrganization: shell('RegisteredOrganization') ?? doc.get('oobeSystem', C.shellSetup, 'RegisteredOrganization')?.trim(),
    timeZone: shell('TimeZone') ?? doc.get('oobeSystem', C.shellSetup, 'TimeZone')?.trim(),
    productKey: shell('ProductKey') ?? doc.get('windowsPE', C.setup, 'UserData/ProductKey/Key')?.trim(),
    domain: doc.get('specialize', C.unattendedJoin, 'Identification/JoinDomain')?.trim() || undefined,
    workgroup: doc.get('specialize', C.unattendedJoin, 'Identification/JoinWorkgroup')?.trim() || undefined,
  };
  s.interfaces = interfacesOf(doc);
  const intl = (name: string): string | undefined =>
    (doc.get('oobeSystem', C.internationalCore, name) ?? doc.get('specialize', C.internationalCore, name))?.trim() || undefined;
  s.uiLanguage = intl('UILanguage');
  s.userLocale = intl('UserLocale');
  s.inputLocale = intl('InputLocale');
  const value = doc.get('oobeSystem', C.shellSetup, 'UserAccounts/AdministratorPassword/Value');
  if (value !== undefined) {
    const plain = /^true$/i.test(doc.get('oobeSystem', C.shellSetup, 'UserAccounts/AdministratorPassword/PlainText')?.trim() ?? 'true');
    s.administratorPassword = plain ? value : decodePassword(value, 'AdministratorPassword');
  }
  return s;
}

/** The per-interface TCP/IP and DNS settings of the specialize pass (unattend.md §4.4), by Identifier. */
function interfacesOf(doc: UnattendDocument): InterfaceSettings[] {
  const items = (component: string): XmlElement[] => {
    const comp = doc.component('specialize', component);
    const list = comp && childNamed(comp, 'Interfaces');
    return list ? childrenNamed(list, 'Interface') : [];
  };
  const text = (el: XmlElement | undefined, path: string): string | undefined => {
    let cur = el;
    for (const name of path.split('/')) cur = cur && childNamed(cur, name);
    return cur && textContent(cur).trim();
  };
  const byId = new Map<string, InterfaceSettings>();
  const get = (id: string): InterfaceSettings => {
    const key = id.toUpperCase();
    let i = byId.get(key);
    if (!i) byId.set(key, (i = { identifier: id, dhcp: true, addresses: [], gateways: [], dnsServers: [] }));
    return i;
  };
  for (const el of items(C.tcpip)) {
    const id = text(el, 'Identifier');
    if (!id) continue;
    const i = get(id);
    i.dhcp = !/^false$/i.test(text(el, 'Ipv4Settings/DhcpEnabled') ?? 'true');
    const ips = childNamed(el, 'UnicastIpAddresses');
    i.addresses = ips ? childrenNamed(ips, 'IpAddress').map((a) => textContent(a).trim()) : [];
    const routes = childNamed(el, 'Routes');
    i.gateways = routes
      ? childrenNamed(routes, 'Route')
          .map((r) => text(r, 'NextHopAddress') ?? '')
          .filter(Boolean)
      : [];
  }
  for (const el of items(C.dnsClient)) {
    const id = text(el, 'Identifier');
    if (!id) continue;
    const i = get(id);
    const order = childNamed(el, 'DNSServerSearchOrder');
    i.dnsServers = order ? childrenNamed(order, 'IpAddress').map((a) => textContent(a).trim()) : [];
    const suffix = text(el, 'DNSDomain');
    if (suffix) i.dnsDomain = suffix;
  }
  return [...byId.values()];
}

/**
 * Enabled or disabled after setup: as Apply Windows Settings chose (`_OSDAdminAccountState`); without
 * it, Windows' default — disabled, unless an AutoLogon as Administrator enables it (unattend.md §6).
 */
function adminState(recorded: string | undefined, doc: UnattendDocument): 'enabled' | 'disabled' {
  if (recorded === 'enabled' || recorded === 'disabled') return recorded;
  const shell = doc.component('oobeSystem', C.shellSetup);
  const auto = shell && childNamed(shell, 'AutoLogon');
  const user = auto && childNamed(auto, 'Username');
  return user && /^(?:\.\\|[^\\]*\\)?administrator$/i.test(textContent(user).trim()) ? 'enabled' : 'disabled';
}

/** The answer file without password values (Setup's cached copy, unattend.md §2). */
function scrubbed(xml: string): string {
  return xml.replace(/(<(AdministratorPassword|Password)>\s*<Value>)[^<]*(<\/Value>)/g, '$1*SENSITIVE*DATA*DELETED*$3');
}
