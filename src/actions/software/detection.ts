/**
 * Detection methods (osd-features §2.7; docs/software-updates.md "Applications"), evaluated against
 * the installed OS when Install Application runs — before installing (an application already
 * detected is skipped) and after (an installer that reports success but leaves nothing detectable
 * fails with ConfigMgr's 0x87D00324):
 *
 * - `file`, `folder`: the path exists on the OS volume (and is a file, or a folder);
 * - `registry`: the key exists under HKEY_LOCAL_MACHINE; with `valueName` that value exists; with
 *   `equals` its data (as text; a DWORD in decimal) equals it;
 * - `msi-product-code`: the product code is a key under the Uninstall key (64-bit or WOW6432Node),
 *   where Windows Installer records every product it installs;
 * - `script`: a shell script run as a real process in the full OS (src/actions/os/process.ts): detected
 *   when it exits 0 and writes something to standard output — ConfigMgr's rule for script detection.
 */
import type { StepExecution } from '../../engine/ports.js';
import { WIN32 } from '../errors.js';
import { runInFullOs } from '../os/process.js';
import type { DetectionMethod } from '../services.js';
import { volumePath, type InstalledOs } from './os.js';

export const UNINSTALL_KEYS = [
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
  'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
];

export interface Detection {
  detected: boolean;
  /** What was looked at, for the log. */
  detail: string;
}

export async function detect(
  method: DetectionMethod,
  os: InstalledOs,
  x: StepExecution,
  options: { workDir?: string; computerName?: string } = {},
): Promise<Detection> {
  switch (method.kind) {
    case 'file':
    case 'folder': {
      const path = volumePath(method.value, x, os.letter);
      if (path === undefined) return { detected: false, detail: `${method.kind} ${method.value}: not a path on the OS drive` };
      const meta = await os.files.stat(path).catch(async (e: { exitCode?: number }) => {
        // A back end without metadata yet (ERROR_NOT_SUPPORTED): whether it exists is all it can say.
        if (e?.exitCode !== WIN32.notSupported) throw e;
        return (await os.files.exists(path)) ? { type: method.kind === 'file' ? 'file' : 'directory' } : undefined;
      });
      const ok = meta !== undefined && (method.kind === 'file' ? meta.type === 'file' : meta.type === 'directory');
      return { detected: ok, detail: `${method.kind} ${method.value} (${path}) ${ok ? 'exists' : meta ? `is not a ${method.kind}` : 'does not exist'}` };
    }
    case 'registry': {
      const key = x.variables.expand(method.value);
      if (!(await os.registry.keyExists(key))) return { detected: false, detail: `registry key ${key} does not exist` };
      if (method.valueName === undefined) return { detected: true, detail: `registry key ${key} exists` };
      const data = await os.registry.getString(key, method.valueName);
      if (data === undefined) return { detected: false, detail: `registry value ${key}\\${method.valueName} does not exist` };
      if (method.equals === undefined) return { detected: true, detail: `registry value ${key}\\${method.valueName} exists` };
      const ok = data === method.equals;
      return { detected: ok, detail: `registry value ${key}\\${method.valueName} is "${data}"${ok ? '' : `, not "${method.equals}"`}` };
    }
    case 'msi-product-code': {
      const code = method.value.trim();
      for (const k of UNINSTALL_KEYS) {
        if (await os.registry.keyExists(`${k}\\${code}`)) return { detected: true, detail: `product ${code} is installed (${k}\\${code})` };
      }
      return { detected: false, detail: `product ${code} is not installed (no key under the Uninstall keys)` };
    }
    case 'script': {
      let stdout = '';
      const r = await runInFullOs({
        volume: os.files,
        command: method.value,
        stage: await stagedFor(method.value, os),
        workDir: options.workDir,
        signal: x.signal,
        registry: os.registry,
        computerName: options.computerName,
        onLine: (line, stream) => {
          if (stream === 'stdout') stdout += line;
        },
      });
      const ok = r.exitCode === 0 && stdout.trim() !== '';
      return {
        detected: ok,
        detail: `the detection script exited ${r.exitCode}${r.exitCode === 0 ? (stdout.trim() ? ' and wrote to standard output' : ' and wrote nothing to standard output') : ''}`,
      };
    }
  }
}

/** What the staging folder's variables stand for on the volume (src/actions/os/process.ts). */
const VARIABLE_FOLDERS: Record<string, string> = {
  programfiles: 'Program Files',
  'programfiles(x86)': 'Program Files (x86)',
  programdata: 'ProgramData',
  allusersprofile: 'ProgramData',
  systemroot: 'Windows',
  windir: 'Windows',
  public: 'Users/Public',
  systemdrive: '',
  osd_systemdrive: '',
};

/**
 * The volume's files a detection script reads, staged for it [I]: for each `$ProgramFiles/App/…`
 * (any of the staging folder's variables) the script names, the variable's folder and the path's
 * first component below it (`Program Files/App`) — not whole folders of the OS.
 */
async function stagedFor(script: string, os: InstalledOs): Promise<string[]> {
  const out = new Set<string>();
  for (const m of script.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_()]*)\}?((?:\/[^/"'\s$;|&)]+)?)/g)) {
    const folder = VARIABLE_FOLDERS[m[1]!.toLowerCase()];
    if (folder === undefined || !m[2]) continue;
    const path = [folder, m[2].slice(1)].filter((p) => p !== '').join('/');
    if (await os.files.exists(path).catch(() => false)) out.add(path);
  }
  return [...out];
}
