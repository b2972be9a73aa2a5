// Install Application on a computer in folders (C: holds the test OS): applications are shell
// scripts in package folders that write files into the OS and exit with chosen codes; the site is
// a catalog in memory. The ordered list and the dynamic list, dependencies first, detection (file,
// folder, registry, product code, script) before and after, 3010 restarting and carrying on,
// ContinueOnInstallError, _TSAppInstallStatus, a missing program, refused and unknown names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NOT_DETECTED_AFTER_INSTALL, installApplicationHandler } from '../../../src/actions/handlers/install-application.js';
import type { HandlerContext } from '../../../src/actions/handler.js';
import { ContentLibrary } from '../../../src/actions/content.js';
import type { DirectoryComputer } from '../../../src/actions/directory-computer.js';
import type {
  ApplicationCatalog,
  ApplicationDefinition,
  ApplicationDeploymentType,
  ApplicationLookup,
  DetectionMethod,
} from '../../../src/actions/services.js';
import { installApplication } from '../../../src/sequence/catalog/index.js';
import { execution, simulation, step, type MockExecution } from './helpers.js';
import { installedComputer, packageFolder, tempDirs } from './software-fixtures.js';

const { tmp, cleanup } = tempDirs('osd-app-');
const cleanups: Array<() => void> = [cleanup];
afterAll(() => cleanups.forEach((c) => c()));

const SCOPE = 'ScopeId_00000000-0000-0000-0000-000000000001';
const model = (n: string) => `${SCOPE}/Application_${n}`;

/** A script application: writes Program Files/<name>/done.txt, then exits with `code`. */
function scriptApp(
  name: string,
  code: number,
  extra: Partial<ApplicationDefinition> = {},
  dt: Partial<ApplicationDeploymentType> = {},
  script?: string,
): { app: ApplicationDefinition; folder: string } {
  const folder = packageFolder(tmp, {
    'install.sh':
      script ??
      `mkdir -p "$ProgramFiles/${name}"\necho "installed by $(basename "$PWD")" > "$ProgramFiles/${name}/done.txt"\necho "${name} says hello"\n${code > 255 ? `echo ${code} > "$OSD_EXIT_CODE_FILE"\n` : ''}exit ${code & 255}\n`,
  });
  const detection: DetectionMethod = { kind: 'file', value: `%ProgramFiles%\\${name}\\done.txt` };
  return {
    folder,
    app: {
      modelName: model(name),
      name,
      allowTaskSequenceInstall: true,
      packageId: `APP${name.toUpperCase().slice(0, 5)}`,
      dependencies: [],
      deploymentTypes: [
        {
          name: `${name} - script`,
          technology: 'script',
          installCommand: 'sh install.sh',
          successCodes: [0],
          restartCodes: [3010],
          detectionMethod: detection,
          ...dt,
        },
      ],
      ...extra,
    },
  };
}

class FakeCatalog implements ApplicationCatalog {
  lookups: string[][] = [];
  fetched: string[] = [];
  constructor(
    private readonly apps: Array<{ app: ApplicationDefinition; folder: string }>,
    private readonly refused: ApplicationLookup['refused'] = [],
  ) {}
  async lookup(names: string[]): Promise<ApplicationLookup> {
    this.lookups.push(names);
    const byName = (n: string) => this.apps.find((a) => a.app.modelName === n || a.app.name === n)?.app;
    const out: ApplicationDefinition[] = [];
    const add = (a: ApplicationDefinition): void => {
      if (out.includes(a)) return;
      a.dependencies.forEach((d) => add(byName(d)!));
      out.push(a);
    };
    const unknown: string[] = [];
    for (const n of names) {
      const a = byName(n);
      if (a) add(a);
      else if (!this.refused.some((r) => r.name === n || r.modelName === n)) unknown.push(n);
    }
    return { applications: out, refused: this.refused.filter((r) => names.includes(r.name) || names.includes(r.modelName)), unknown };
  }
  async content(packageId: string): Promise<string> {
    this.fetched.push(packageId);
    const a = this.apps.find((x) => x.app.packageId === packageId);
    if (!a) throw new Error(`no package ${packageId}`);
    return a.folder;
  }
}

async function os(): Promise<DirectoryComputer> {
  const c = await installedComputer(tmp);
  cleanups.push(c.cleanup);
  return c.computer;
}

function ctx(m: MockExecution, computer: DirectoryComputer, catalog: ApplicationCatalog): HandlerContext {
  return { x: m.x, computer, content: new ContentLibrary(tmp()), services: { applications: catalog, workDir: tmp() } };
}

const listStep = (names: string[], continueOnInstallError?: boolean) =>
  step(installApplication, { applications: names.map(model), continueOnInstallError, retryCount: 2 });

const file = (c: DirectoryComputer, path: string): string | undefined => {
  try {
    return readFileSync(join(c.root, 'disk0', 'p1', ...path.split('/')), 'utf8');
  } catch {
    return undefined;
  }
};

describe('Install Application', () => {
  it('installs an ordered list; with ContinueOnInstallError the third is still installed after the second fails, _TSAppInstallStatus=Error', async () => {
    const computer = await os();
    const apps = [scriptApp('Alpha', 0), scriptApp('Bravo', 1603), scriptApp('Charlie', 0)];
    const m = execution(listStep(['Alpha', 'Bravo', 'Charlie'], true), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog(apps)));
    expect(r.exitCode).toBe(0);
    expect(m.vars()._TSAppInstallStatus).toBe('Error');
    expect(file(computer, 'Program Files/Alpha/done.txt')).toBe('installed by content\n');
    expect(file(computer, 'Program Files/Charlie/done.txt')).toBeDefined();
    expect(m.logs.join('\n')).toContain('Bravo (Bravo - script) failed: the installer exited with 1603 (0x00000643)');
    expect(m.logs.join('\n')).toContain('Alpha: Alpha says hello');
    expect(m.logs.at(-1)).toContain('2 installed, 0 already installed, 1 failed');
  });

  it('stops at the first failure without ContinueOnInstallError: the step fails with that code and the third is not installed', async () => {
    const computer = await os();
    const apps = [scriptApp('Alpha', 0), scriptApp('Bravo', 1603), scriptApp('Charlie', 0)];
    const m = execution(listStep(['Alpha', 'Bravo', 'Charlie'], false), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog(apps)));
    expect(r.exitCode).toBe(1603);
    expect(r.message).toContain('Bravo (Bravo - script) failed');
    expect(m.vars()._TSAppInstallStatus).toBe('Error');
    expect(file(computer, 'Program Files/Charlie/done.txt')).toBeUndefined();
  });

  it('installs dependencies first, skips what is already detected, and fails an application whose dependency failed', async () => {
    const computer = await os();
    const runtime = scriptApp('Runtime', 0);
    const editor = scriptApp('Editor', 0, { dependencies: [model('Runtime')] });
    const m = execution(listStep(['Editor']), { environment: 'FullOS' });
    expect((await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog([runtime, editor])))).exitCode).toBe(0);
    const order = m.logs.filter((l) => l.includes('Installing ')).map((l) => /Installing (\w+)/.exec(l)![1]);
    expect(order).toEqual(['Runtime', 'Editor']);
    expect(m.vars()._TSAppInstallStatus).toBe('Success');

    // Again: both detected, nothing runs, nothing is downloaded.
    const catalog = new FakeCatalog([runtime, editor]);
    const again = execution(listStep(['Editor']), { environment: 'FullOS' });
    expect((await installApplicationHandler.run!(ctx(again, computer, catalog))).exitCode).toBe(0);
    expect(again.logs.filter((l) => l.includes('is already installed: skipped'))).toHaveLength(2);
    expect(again.logs.some((l) => l.includes('Installing '))).toBe(false);
    expect(catalog.fetched).toEqual([]);

    const computer2 = await os();
    const badRuntime = scriptApp('Runtime', 2);
    const m2 = execution(listStep(['Editor'], true), { environment: 'FullOS' });
    await installApplicationHandler.run!(ctx(m2, computer2, new FakeCatalog([badRuntime, editor])));
    expect(m2.logs.join('\n')).toContain('Editor: its dependency Runtime failed to install');
    expect(file(computer2, 'Program Files/Editor/done.txt')).toBeUndefined();
  });

  it('reads the dynamic list <base>01, 02 … by exact name until the first missing number; an unknown value is a warning, an error with TSErrorOnWarning', async () => {
    const computer = await os();
    const apps = [scriptApp('Alpha', 0), scriptApp('Bravo', 0), scriptApp('Charlie', 0)];
    const s = step(installApplication, { baseVariableName: 'APPS' });
    const vars = { APPS01: 'Alpha', APPS02: 'bravo', APPS03: 'Charlie', APPS05: 'Bravo' };
    const m = execution(s, { environment: 'FullOS', variables: vars });
    const catalog = new FakeCatalog(apps);
    expect((await installApplicationHandler.run!(ctx(m, computer, catalog))).exitCode).toBe(0);
    expect(catalog.lookups).toEqual([['Alpha', 'bravo', 'Charlie']]);
    expect(m.vars()._TSAppInstallStatus).toBe('Warning');
    expect(m.logs.join('\n')).toContain(`no application is named "bravo"`);
    expect(file(computer, 'Program Files/Charlie/done.txt')).toBeDefined();
    expect(file(computer, 'Program Files/Bravo/done.txt')).toBeUndefined();

    const strict = execution(s, { environment: 'FullOS', variables: { ...vars, TSErrorOnWarning: 'True' } });
    const r = await installApplicationHandler.run!(ctx(strict, await os(), new FakeCatalog(apps)));
    expect(r.exitCode).toBe(0x80004005);
    expect(r.message).toContain('TSErrorOnWarning');

    // No <base>01: nothing installs, and the site is not asked.
    const none = execution(s, { environment: 'FullOS', variables: { APPS02: 'Alpha' } });
    const c2 = new FakeCatalog(apps);
    expect((await installApplicationHandler.run!(ctx(none, computer, c2))).exitCode).toBe(0);
    expect(c2.lookups).toEqual([]);
    expect(none.vars()._TSAppInstallStatus).toBe('Success');
  });

  it('restarts on 3010 and, run again after the restart, carries on with the applications after it', async () => {
    const computer = await os();
    const apps = [scriptApp('Alpha', 3010), scriptApp('Bravo', 0)];
    const m = execution(listStep(['Alpha', 'Bravo']), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog(apps)));
    expect(r).toMatchObject({ exitCode: 0, restart: { target: 'HD', rerun: true } });
    expect(file(computer, 'Program Files/Alpha/done.txt')).toBeDefined();
    expect(file(computer, 'Program Files/Bravo/done.txt')).toBeUndefined();
    // The engine restarts and runs the step again with its state (carried through the journal as JSON).
    const again = execution(listStep(['Alpha', 'Bravo']), { environment: 'FullOS' });
    again.x.resumed = { stepState: JSON.parse(JSON.stringify(r.restart!.stepState)) };
    const r2 = await installApplicationHandler.run!(ctx(again, computer, new FakeCatalog(apps)));
    expect(r2.exitCode).toBe(0);
    expect(r2.restart).toBeUndefined();
    expect(again.logs.some((l) => l.includes('Installing Alpha'))).toBe(false);
    expect(file(computer, 'Program Files/Bravo/done.txt')).toBeDefined();
    expect(again.vars()._TSAppInstallStatus).toBe('Success');
  });

  it('fails clearly when the installation program is missing (0x80070002), or the application is not detected after installing (0x87D00324)', async () => {
    const computer = await os();
    const missing = scriptApp('Ghost', 0, {}, { installCommand: 'sh setup-missing.sh' });
    const m = execution(listStep(['Ghost']), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog([missing])));
    expect(r.exitCode).toBe(0x80070002);
    expect(r.message).toContain('the installation program setup-missing.sh is not in the application');
    // A command the shell cannot find at all.
    const notFound = scriptApp('Nowhere', 0, {}, { installCommand: 'no-such-installer-program --quiet' });
    const m2 = execution(listStep(['Nowhere']), { environment: 'FullOS' });
    const r2 = await installApplicationHandler.run!(ctx(m2, computer, new FakeCatalog([notFound])));
    expect(r2.exitCode).toBe(0x80070002);
    expect(r2.message).toContain('the installation program was not found');

    const liar = scriptApp('Liar', 0, {}, {}, 'echo pretending\nexit 0\n');
    const m3 = execution(listStep(['Liar']), { environment: 'FullOS' });
    const r3 = await installApplicationHandler.run!(ctx(m3, computer, new FakeCatalog([liar])));
    expect(r3.exitCode).toBe(NOT_DETECTED_AFTER_INSTALL);
    expect(r3.message).toContain('was not detected after installation completed');
  });

  it('detects by folder, registry value, product code (the Uninstall key) and script; installers write the registry through .reg files', async () => {
    const computer = await os();
    const code = '{6F2B1C1A-1111-4B4B-9C9C-123456789ABC}';
    const reg = (key: string, values: string) =>
      `printf 'REGEDIT4\\r\\n\\r\\n[${key.replace(/\\/g, '\\\\\\\\')}]\\r\\n${values}\\r\\n' > "$OSD_REGISTRY_DROP/app.reg"\n`;
    const msi = scriptApp(
      'Msi',
      0,
      {},
      { technology: 'msi', detectionMethod: { kind: 'msi-product-code', value: code } },
      reg(`HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\${code}`, '"DisplayName"="Msi"'),
    );
    const regApp = scriptApp(
      'Reg',
      0,
      {},
      { detectionMethod: { kind: 'registry', value: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Reg', valueName: 'Version', equals: '2.0' } },
      reg('HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Reg', '"Version"="2.0"'),
    );
    const folder = scriptApp('Folder', 0, {}, { detectionMethod: { kind: 'folder', value: 'C:\\ProgramData\\Folder' } }, 'mkdir -p "$ProgramData/Folder"\n');
    const script = scriptApp(
      'Scripted',
      0,
      {},
      { detectionMethod: { kind: 'script', value: 'test -f "$ProgramFiles/Scripted/done.txt" && echo found || true' } },
    );
    const m = execution(listStep(['Msi', 'Reg', 'Folder']), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog([msi, regApp, folder, script])));
    expect(r.exitCode, m.logs.join('\n')).toBe(0);
    expect(m.logs.join('\n')).toContain(`product ${code} is installed`);
    expect(m.logs.join('\n')).toContain('registry value HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Reg\\Version is "2.0"');
    expect(m.logs.join('\n')).toContain('folder C:\\ProgramData\\Folder (ProgramData/Folder) exists');
    expect(file(computer, 'Windows/System32/config/SOFTWARE')).toContain('Contoso\\Reg');
    // A second run finds all three installed.
    const again = execution(listStep(['Msi', 'Reg', 'Folder']), { environment: 'FullOS' });
    await installApplicationHandler.run!(ctx(again, computer, new FakeCatalog([msi, regApp, folder])));
    expect(again.logs.filter((l) => l.includes('already installed: skipped'))).toHaveLength(3);
    // Script detection: exit 0 with output = detected (it reads the volume's Program Files/Scripted, staged for it).
    const s = execution(listStep(['Scripted']), { environment: 'FullOS' });
    expect((await installApplicationHandler.run!(ctx(s, computer, new FakeCatalog([script])))).exitCode, s.logs.join('\n')).toBe(0);
    expect(s.logs.join('\n')).toContain('the detection script exited 0 and wrote nothing to standard output');
    expect(s.logs.join('\n')).toContain('the detection script exited 0 and wrote to standard output');
    const s2 = execution(listStep(['Scripted']), { environment: 'FullOS' });
    await installApplicationHandler.run!(ctx(s2, computer, new FakeCatalog([script])));
    expect(s2.logs.join('\n')).toContain('Scripted is already installed: skipped');
  });

  it('fails an application the site refuses (with its reasons) and an unknown model name', async () => {
    const computer = await os();
    const refused = [
      {
        name: 'Viewer',
        modelName: model('Viewer'),
        reasons: ['"Allow this application to be installed from the Install Application task sequence action without being deployed" is not set'],
      },
    ];
    const m = execution(listStep(['Viewer', 'Unknown'], true), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, computer, new FakeCatalog([], refused)));
    expect(r.exitCode).toBe(0);
    expect(m.vars()._TSAppInstallStatus).toBe('Error');
    expect(m.logs.join('\n')).toContain('Viewer cannot be installed by a task sequence: "Allow this application');
    expect(m.logs.join('\n')).toContain(`the site has no application ${model('Unknown')}`);
    // The flag is enforced here too, whatever a site answers; not for a dependency.
    const runtime = scriptApp('Runtime', 0, { allowTaskSequenceInstall: false });
    const editor = scriptApp('Editor', 0, { dependencies: [model('Runtime')] });
    const lax = execution(listStep(['Runtime', 'Editor'], true), { environment: 'FullOS' });
    await installApplicationHandler.run!(ctx(lax, computer, new FakeCatalog([runtime, editor])));
    expect(lax.logs.join('\n')).toContain('Runtime cannot be installed by a task sequence: "Allow this application');
    expect(file(computer, 'Program Files/Runtime/done.txt')).toBeDefined();
    expect(file(computer, 'Program Files/Editor/done.txt')).toBeDefined();
  });

  it('refuses a step that names no application and no base variable (0x80070057)', async () => {
    const m = execution(step(installApplication, {}), { environment: 'FullOS' });
    const r = await installApplicationHandler.run!(ctx(m, await os(), new FakeCatalog([])));
    expect(r).toMatchObject({ exitCode: 0x80070057, message: expect.stringContaining('names no application') });
  });

  it('runs only with a site (predicted otherwise), and predicts honestly', async () => {
    const computer = await os();
    const m = execution(listStep(['Alpha']), { environment: 'FullOS' });
    expect(installApplicationHandler.canRun!({ x: m.x, computer, content: new ContentLibrary(tmp()) })).toBe(false);
    const { ctx: sim, notes } = simulation(m);
    const r = await installApplicationHandler.simulate!(sim);
    expect(r.predicted?.assumed.join(' ')).toContain('no installer returns a restart code');
    expect(notes[0]).toContain(`installs ${model('Alpha')}`);
    expect(m.vars()._TSAppInstallStatus).toBe('Success');
  });
});
