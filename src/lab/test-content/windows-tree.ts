/**
 * A small Windows-like folder tree to capture into a test install.wim: the folders deployment code
 * touches (`\Windows\Panther`, `\Windows\INF`, the driver store, `\Users\Default`), fake system files
 * whose text names the image, and an optional incompressible payload so the WIM has a real size.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type TestArchitecture = 'x64' | 'x86';

/** One edition of the test install.wim. */
export interface EditionSpec {
  index: number;
  /** The image name, e.g. "Windows 11 Enterprise". */
  name: string;
  /** WINDOWS/EDITIONID, e.g. "Enterprise". */
  editionId: string;
}

/** The Windows build every test image claims to be (Windows 11 23H2, October 2023 cumulative update). */
export const WINDOWS_BUILD = { major: 10, minor: 0, build: 22631, spBuild: 2428, displayVersion: '23H2' } as const;

export const MiB = 1024 * 1024;

const CHUNK = MiB;
const ZEROES = Buffer.alloc(CHUNK);
/** Payload files are at most this big, so a large image is many files, as a real one is. */
const MAX_PAYLOAD_FILE = 8 * MiB;

/** The side-by-side folder prefix Windows uses for an architecture. */
function sxsArch(arch: TestArchitecture): string {
  return arch === 'x64' ? 'amd64' : 'x86';
}

/** Windows text files use CRLF. */
function crlf(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

async function put(root: string, relative: string, content: string | Buffer): Promise<void> {
  const path = join(root, ...relative.split('/'));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** The line every fake file starts with, so a test can tell which image a file came from. */
export function imageStamp(edition: EditionSpec): string {
  return `OpenOSD test image: ${edition.name}`;
}

/** Writes the tree for one edition under `root` (which must not exist yet or be empty). */
export async function writeWindowsTree(root: string, edition: EditionSpec, arch: TestArchitecture, payloadBytes: number): Promise<void> {
  const stamp = imageStamp(edition);
  const { major, minor, build, spBuild, displayVersion } = WINDOWS_BUILD;
  const fullVersion = `${major}.${minor}.${build}.${spBuild}`;
  const placeholder = (path: string, what: string): string =>
    crlf([stamp, `File: ${path} (${what}; a placeholder, not a Windows binary)`, `Version: ${fullVersion}`]);

  await put(root, 'edition.txt', crlf([`Name=${edition.name}`, `EditionID=${edition.editionId}`, `Architecture=${arch}`, `Version=${fullVersion}`]));

  await put(root, 'Windows/System32/kernel32.dll', placeholder('\\Windows\\System32\\kernel32.dll', 'Windows NT base API client DLL'));
  await put(root, 'Windows/System32/ntoskrnl.exe', placeholder('\\Windows\\System32\\ntoskrnl.exe', 'NT kernel & system'));
  await put(
    root,
    'Windows/System32/config/SOFTWARE',
    crlf([
      'REGEDIT4',
      `; ${stamp}: the SOFTWARE hive as a .reg export`,
      '',
      '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]',
      `"ProductName"="${edition.name}"`,
      `"EditionID"="${edition.editionId}"`,
      '"InstallationType"="Client"',
      `"CurrentBuild"="${build}"`,
      `"CurrentBuildNumber"="${build}"`,
      `"UBR"=dword:${spBuild.toString(16).padStart(8, '0')}`,
      `"CurrentMajorVersionNumber"=dword:${major.toString(16).padStart(8, '0')}`,
      `"CurrentMinorVersionNumber"=dword:${minor.toString(16).padStart(8, '0')}`,
      `"DisplayVersion"="${displayVersion}"`,
    ]),
  );
  await put(
    root,
    'Windows/System32/config/SYSTEM',
    crlf([
      'REGEDIT4',
      `; ${stamp}: the SYSTEM hive as a .reg export`,
      '',
      '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\ProductOptions]',
      '"ProductType"="WinNT"',
      '',
      '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Nls\\Language]',
      '"Default"="0409"',
      '"InstallLanguage"="0409"',
      '',
      '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Environment]',
      `"PROCESSOR_ARCHITECTURE"="${arch === 'x64' ? 'AMD64' : 'x86'}"`,
    ]),
  );
  // The edition's licence token: a file that exists in one edition only.
  const sku = edition.editionId;
  await put(
    root,
    `Windows/System32/spp/tokens/skus/${sku}/${sku}-ul-oob-rtm.xrm-ms`,
    `<?xml version="1.0" encoding="utf-8"?>\r\n<!-- ${stamp} -->\r\n<rg:licenseGroup xmlns:rg="urn:mpeg:mpeg21:2003:01-REL-R-NS"><sku edition="${sku}"/></rg:licenseGroup>\r\n`,
  );

  // Real install.wim images have \Windows\Panther; Setup Windows writes unattend.xml into it (toolchain.md §3.3).
  await put(root, 'Windows/Panther/placeholder.txt', crlf([stamp, 'Windows Setup reads unattend.xml and writes its logs here.']));
  await put(root, 'Windows/INF/setupapi.offline.log', crlf([stamp, '[Device Install Log]', `     OS Version = ${fullVersion}`]));
  const machineInf = `machine.inf_${sxsArch(arch)}_b3e2c4a2f7d1e9c0`;
  await put(
    root,
    `Windows/System32/DriverStore/FileRepository/${machineInf}/machine.inf`,
    crlf([
      `; ${stamp}`,
      '[Version]',
      'Signature="$WINDOWS NT$"',
      'Class=System',
      'ClassGuid={4d36e97d-e325-11ce-bfc1-08002be10318}',
      'Provider=%MSFT%',
      `DriverVer=06/21/2006,${fullVersion}`,
      '',
      '[Strings]',
      'MSFT="Microsoft"',
    ]),
  );

  await put(root, 'Program Files/desktop.ini', crlf(['[.ShellClassInfo]', 'LocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21781']));
  if (arch === 'x64')
    await put(root, 'Program Files (x86)/desktop.ini', crlf(['[.ShellClassInfo]', 'LocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21817']));
  await put(root, 'Users/Default/NTUSER.DAT', crlf([stamp, 'The default user profile hive (placeholder).']));
  await put(root, 'Users/Public/Documents/desktop.ini', crlf(['[.ShellClassInfo]', 'LocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21801']));

  if (payloadBytes > 0) {
    const folder = `Windows/WinSxS/${sxsArch(arch)}_openosd-test-payload_31bf3856ad364e35_${fullVersion}_none`;
    const count = Math.max(4, Math.ceil(payloadBytes / MAX_PAYLOAD_FILE));
    const each = Math.floor(payloadBytes / count);
    for (let i = 0; i < count; i++) {
      const size = i === count - 1 ? payloadBytes - each * (count - 1) : each;
      const name = `payload-${String(i + 1).padStart(4, '0')}.bin`;
      await writePseudoRandomFile(join(root, ...folder.split('/'), name), size, `${arch}/${edition.editionId}/${name}`);
    }
  }
}

/**
 * Writes `size` incompressible bytes that depend only on `seed`: the AES-128-CTR keystream of a key
 * and counter derived from the seed (a seeded PRNG that runs at memory speed).
 */
export async function writePseudoRandomFile(path: string, size: number, seed: string): Promise<void> {
  const digest = createHash('sha256').update(`openosd-test-content/v1/${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, 'w');
  try {
    for (let left = size; left > 0; left -= CHUNK) {
      const block = cipher.update(left >= CHUNK ? ZEROES : ZEROES.subarray(0, left));
      await file.write(block);
    }
  } finally {
    await file.close();
  }
}
