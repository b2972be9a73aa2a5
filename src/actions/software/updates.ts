/**
 * Software updates on the installed OS (osd-features §2.8; docs/software-updates.md):
 *
 * - The OS as the scan sees it, read from its registry when the step runs: its build
 *   (`CurrentBuildNumber`, and `UBR`), product (`ProductName`; a build ≥ 22000 is also "Windows 11",
 *   whose ProductName Windows still writes as "Windows 10 …"), installation type and architecture
 *   (`PROCESSOR_ARCHITECTURE` of the SYSTEM hive; the machine's own when the OS does not say).
 * - Applicability of an update: its build range, architectures and products (a product matches when
 *   one of the OS's product names starts with it, case-insensitively, at a word boundary: "Windows
 *   11" matches "Windows 11 Enterprise", never "Windows 1"); not installed already; not superseded
 *   by an update that is installed or is being installed in the same pass.
 * - The record of an installed update [I], as Windows servicing keeps it: a key
 *   `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages\Package_for_KB<article>~31bf3856ad364e35~<arch>~~10.0.1.0`
 *   with `CurrentState` = 0x70 (112, "Installed"), `InstallName`, `InstallLocation`, and OpenOSD's
 *   `UpdateId`, `Title`, `InstallTime`; the payload files copied to `Windows\servicing\Packages\<that name>\`.
 *   A second scan finds the key and installs nothing.
 */
import { archOfProcessorArchitecture } from '../os/architecture.js';
import type { SoftwareUpdateOffer } from '../services.js';
import type { InstalledOs } from './os.js';

export const CBS_PACKAGES = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages';
/** CBS_STATE_INSTALLED. */
export const CBS_INSTALLED = 0x70;
const CURRENT_VERSION = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';
const ENVIRONMENT = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment';

export interface OsFacts {
  build: number | undefined;
  ubr: number | undefined;
  productName: string;
  /** Product names the OS answers to (ProductName, and "Windows 11" for a build ≥ 22000). */
  products: string[];
  architecture: string;
  /** Where the architecture came from. */
  architectureFrom: 'os' | 'machine';
}

export async function osFacts(os: InstalledOs, machineArchitecture: string): Promise<OsFacts> {
  const r = os.registry;
  const buildText = (await r.getString(CURRENT_VERSION, 'CurrentBuildNumber')) ?? (await r.getString(CURRENT_VERSION, 'CurrentBuild'));
  const build = buildText && /^\d+$/.test(buildText.trim()) ? Number(buildText.trim()) : undefined;
  const ubr = await r.getDword(CURRENT_VERSION, 'UBR');
  const productName = (await r.getString(CURRENT_VERSION, 'ProductName')) ?? '';
  const products = [productName];
  if (build !== undefined && build >= 22000 && /^windows 10\b/i.test(productName)) products.push(productName.replace(/^windows 10/i, 'Windows 11'));
  const osArch = archOfProcessorArchitecture(await r.getString(ENVIRONMENT, 'PROCESSOR_ARCHITECTURE'));
  return { build, ubr, productName, products, architecture: osArch ?? machineArchitecture, architectureFrom: osArch ? 'os' : 'machine' };
}

/** Why an update does not apply to this OS (undefined: it applies), by its own rules. */
export function notApplicable(u: SoftwareUpdateOffer, os: OsFacts): string | undefined {
  const a = u.applicability;
  if (a.minOsBuild !== undefined || a.maxOsBuild !== undefined) {
    if (os.build === undefined) return 'the OS records no build number';
    if (a.minOsBuild !== undefined && os.build < a.minOsBuild) return `the OS build ${os.build} is below ${a.minOsBuild}`;
    if (a.maxOsBuild !== undefined && os.build > a.maxOsBuild) return `the OS build ${os.build} is above ${a.maxOsBuild}`;
  }
  if (a.architectures.length && !a.architectures.some((x) => x.toLowerCase() === os.architecture.toLowerCase()))
    return `it is for ${a.architectures.join(', ')}, the OS is ${os.architecture}`;
  if (u.products.length && !u.products.some((p) => productMatches(p, os.products)))
    return `it is for ${u.products.join(', ')}, the OS is ${os.productName || 'of no recorded product'}`;
  return undefined;
}

function productMatches(product: string, names: string[]): boolean {
  const p = product.trim().toLowerCase();
  return names.some((n) => {
    const name = n.toLowerCase();
    return name.startsWith(p) && (name.length === p.length || !/[a-z0-9]/.test(name[p.length]!));
  });
}

const CBS_ARCH: Record<string, string> = { x64: 'amd64', x86: 'x86', arm64: 'arm64' };

/** The servicing package name an update is recorded under. */
export function packageName(u: Pick<SoftwareUpdateOffer, 'articleId' | 'updateId'>, architecture: string): string {
  const id = u.articleId ? `KB${u.articleId.replace(/^KB/i, '')}` : u.updateId;
  return `Package_for_${id}~31bf3856ad364e35~${CBS_ARCH[architecture] ?? architecture}~~10.0.1.0`;
}

/** Whether the OS records the update as installed (its servicing package in state Installed, or a package naming its update id). */
export async function isInstalled(os: InstalledOs, u: SoftwareUpdateOffer, architecture: string): Promise<boolean> {
  const key = `${CBS_PACKAGES}\\${packageName(u, architecture)}`;
  if ((await os.registry.getDword(key, 'CurrentState')) === CBS_INSTALLED) return true;
  for (const sub of await os.registry.subkeys(CBS_PACKAGES)) {
    const k = `${CBS_PACKAGES}\\${sub}`;
    if (
      (await os.registry.getString(k, 'UpdateId'))?.toLowerCase() === u.updateId.toLowerCase() &&
      (await os.registry.getDword(k, 'CurrentState')) === CBS_INSTALLED
    )
      return true;
  }
  return false;
}

/** Records the update as installed (the payload is already in `folder` on the volume). */
export async function recordInstalled(os: InstalledOs, u: SoftwareUpdateOffer, architecture: string, folder: string, when: Date): Promise<string> {
  const name = packageName(u, architecture);
  const key = `${CBS_PACKAGES}\\${name}`;
  await os.registry.createKey(key);
  await os.registry.set(key, 'CurrentState', CBS_INSTALLED, 'REG_DWORD');
  await os.registry.set(key, 'Visibility', 1, 'REG_DWORD');
  await os.registry.set(key, 'InstallName', `${name}.mum`, 'REG_SZ');
  await os.registry.set(key, 'InstallLocation', `C:\\${folder.replace(/\//g, '\\')}`, 'REG_SZ');
  await os.registry.set(key, 'UpdateId', u.updateId, 'REG_SZ');
  await os.registry.set(key, 'Title', u.title, 'REG_SZ');
  await os.registry.set(key, 'InstallTime', when.toISOString(), 'REG_SZ');
  return key;
}
