/**
 * `osd image|boot-image|driver|driver-package|package|app|update …`: content objects over the admin
 * API (osd-features §2.1–§2.9). Local files and folders are uploaded and sent as `contentId`; with
 * `--server-path` the path is sent as `sourcePath` for the site server to read (below one of its
 * source roots), as ConfigMgr's site server reads a package source path.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../sequence/input-error.js';
import { mib, print, printJson } from '../output.js';
import { collect } from '../engine-commands.js';
import { AdminClient, withConnection } from './admin-client.js';
import { contentSource, withServerPath, type ServerPath } from './upload.js';

interface PackageOut {
  packageId: string;
  packageType: number;
  typeName: string;
  name: string;
  version: string;
  sourceVersion: number;
  contentId: string | null;
  contentSize: number | null;
  builtIn: boolean;
  properties: Record<string, unknown>;
}
interface ImageOut {
  index: number;
  name: string;
  edition: string;
  architecture: string;
  version: string;
  languages: string[];
  sizeBytes: number;
}
interface DriverOut {
  ciId: number;
  name: string;
  infFile: string;
  class: string;
  version: string;
  platforms: string[];
  categories: string[];
  enabled: boolean;
}

type Json = { json?: boolean };

function packageLine(p: PackageOut): string {
  return `${p.packageId}\t${p.name}${p.version ? ` (${p.version})` : ''}\t${p.typeName}\tversion ${p.sourceVersion}\t${mib(p.contentSize)}${p.builtIn ? '\tbuilt in' : ''}`;
}

function printImages(images: ImageOut[]): void {
  for (const i of images)
    print(`  ${i.index}\t${i.name}\t${i.edition || '-'}\t${i.architecture || '-'}\t${i.version || '-'}\t${i.languages.join(',') || '-'}\t${mib(i.sizeBytes)}`);
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InputError({ input: name, rule: `"${value}" is not a positive whole number` });
  return n;
}

function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (e) {
    throw new InputError({ input: path, rule: `cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new InputError({ input: path, rule: `the ${what} is not valid JSON: ${(e as Error).message}` });
  }
}

export function registerObjectCommands(program: Command): void {
  // `osd image add x.wim --version 23H2` means the package's Version: the program's own --version
  // is only read before the command name (`osd --version`).
  program.enablePositionalOptions();
  // ---------------------------------------------------------------- OS images
  const image = program.command('image').description('OS image packages: the Windows images (.wim) task sequences install');
  withServerPath(withConnection(image.command('add <wim>')))
    .description('add an OS image: a .wim, or a folder holding exactly one; its images are read from the file')
    .option('--name <name>', 'package name (default: the WIM file name)')
    .option('--version <text>', 'version (free text, not the OS version)')
    .option('--description <text>', 'comment')
    .option('--architecture <arch>', 'x86 | x64 | arm64 (pre-cache only; default from the images)')
    .option('--language <lang>', 'e.g. en-US (pre-cache only; default from the images)')
    .option('--json', 'print JSON')
    .action(async (wim: string, o: Json & ServerPath & { name?: string; version?: string; description?: string; architecture?: string; language?: string }) => {
      const client = AdminClient.fromOptions(o);
      const r = await client.post<PackageOut>('/os-images', {
        ...(await contentSource(client, wim, o)),
        name: o.name,
        version: o.version,
        description: o.description,
        architecture: o.architecture,
        language: o.language,
      });
      if (o.json) return printJson(r);
      print(`added OS image ${r.packageId} (${r.name})`);
      printImages(r.properties.images as ImageOut[]);
    });
  withConnection(image.command('list'))
    .description('list OS image packages')
    .option('--json', 'print JSON')
    .action(async (o: Json) => {
      const r = await AdminClient.fromOptions(o).get<PackageOut[]>('/os-images');
      if (o.json) return printJson(r);
      for (const p of r) print(`${packageLine(p)}\t${(p.properties.images as ImageOut[]).length} image(s)`);
    });
  withConnection(image.command('show <packageId>'))
    .description('an OS image package and its images')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const r = await AdminClient.fromOptions(o).get<PackageOut>(`/os-images/${encodeURIComponent(id)}`);
      if (o.json) return printJson(r);
      print(packageLine(r));
      printImages(r.properties.images as ImageOut[]);
    });
  withConnection(image.command('reload <packageId>'))
    .description("re-read the images from the package's WIM")
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const r = await AdminClient.fromOptions(o).post<PackageOut>(`/os-images/${encodeURIComponent(id)}/reload`);
      if (o.json) return printJson(r);
      printImages(r.properties.images as ImageOut[]);
    });

  // ---------------------------------------------------------------- boot images
  const boot = program.command('boot-image').description('boot images: the Windows PE images computers start to be deployed');
  withServerPath(withConnection(boot.command('add [wim]')))
    .description('add a boot image: a Windows PE .wim (x86 or x64), or with --bootenv the boot environment folder `osd boot-image build` wrote')
    .option('--bootenv <dir>', 'a boot environment folder (bootimage.json, kernel, initramfs): the network-bootable boot image (docs/network-boot.md)')
    .option('--index <n>', 'image index in the WIM', '1')
    .option('--name <name>', 'package name (default: the image name)')
    .option('--pxe', 'deploy this boot image from PXE-enabled distribution points')
    .option('--json', 'print JSON')
    .action(async (wim: string | undefined, o: Json & ServerPath & { bootenv?: string; index: string; name?: string; pxe?: boolean }) => {
      const client = AdminClient.fromOptions(o);
      if (o.bootenv !== undefined) {
        if (wim !== undefined)
          throw new InputError({ input: wim, rule: 'a WIM and --bootenv were both given', hint: 'give one: a Windows PE .wim, or --bootenv DIR' });
        const r = await client.post<PackageOut>('/boot-images/boot-environment', {
          ...(await contentSource(client, o.bootenv, o)),
          name: o.name,
          ...(o.pxe ? { pxeEnabled: true } : {}),
        });
        if (o.json) return printJson(r);
        const p = r.properties as { architecture: string; osVersion: string; pxeEnabled: boolean };
        return print(
          `added boot image ${r.packageId} (${r.name}): boot environment ${r.version}, ${p.architecture}, kernel ${p.osVersion}${p.pxeEnabled ? ', PXE' : ''}`,
        );
      }
      if (wim === undefined)
        throw new InputError({ input: 'osd boot-image add', rule: 'no boot image given', hint: 'give a Windows PE .wim, or --bootenv DIR' });
      const r = await client.post<PackageOut>('/boot-images', {
        ...(await contentSource(client, wim, o)),
        imageIndex: positiveInt(o.index, '--index'),
        name: o.name,
        ...(o.pxe ? { pxeEnabled: true } : {}),
      });
      if (o.json) return printJson(r);
      const p = r.properties as { architecture: string; winPeVersion: string; osVersion: string };
      print(`added boot image ${r.packageId} (${r.name}): ${p.architecture}, WinPE ${p.winPeVersion} (${p.osVersion})`);
    });
  withConnection(boot.command('list'))
    .description('list boot images')
    .option('--json', 'print JSON')
    .action(async (o: Json) => {
      const r = await AdminClient.fromOptions(o).get<Array<PackageOut & { drivers: unknown[] }>>('/boot-images');
      if (o.json) return printJson(r);
      for (const b of r) {
        const p = b.properties as { architecture: string; winPeVersion: string; osVersion: string; pxeEnabled: boolean; kind?: string };
        const what = p.kind === 'boot-environment' ? `boot environment (kernel ${p.osVersion})` : `WinPE ${p.winPeVersion}`;
        print(`${packageLine(b)}\t${p.architecture}\t${what}${p.pxeEnabled ? '\tPXE' : ''}\t${b.drivers.length} driver(s)`);
      }
    });

  // ---------------------------------------------------------------- drivers
  const driver = program.command('driver').description('the driver catalog: drivers imported from INF files, for Auto Apply Drivers and driver packages');
  withServerPath(withConnection(driver.command('import <path>')))
    .description('import drivers from a folder (recursively) or one .inf')
    .option('--category <name>', 'category for the imported drivers (repeatable)', collect)
    .option('--duplicates <mode>', 'append-categories | keep-categories | overwrite-categories | skip', 'append-categories')
    .option('--driver-package <packageId>', 'add the drivers to this driver package (repeatable)', collect)
    .option('--disabled', 'import them disabled (not used by Auto Apply Drivers)')
    .option('--json', 'print JSON')
    .action(async (path: string, o: Json & ServerPath & { category?: string[]; duplicates: string; driverPackage?: string[]; disabled?: boolean }) => {
      const client = AdminClient.fromOptions(o);
      // One .inf: its folder goes up (the driver's files sit beside it), and only that INF is read.
      const oneInf = /\.inf$/i.test(path) && !o.serverPath;
      const source = await contentSource(client, oneInf ? dirname(resolve(path)) : path, o);
      const r = await client.post<{
        imported: DriverOut[];
        duplicates: Array<{ ciId: number; name: string; action: string }>;
        skipped: Array<{ inf: string; reason: string }>;
        warnings: string[];
      }>('/drivers/import', {
        ...source,
        ...(oneInf ? { infPath: basename(path) } : {}),
        categories: o.category ?? [],
        duplicates: o.duplicates,
        driverPackageIds: o.driverPackage ?? [],
        enabled: !o.disabled,
      });
      if (o.json) return printJson(r);
      for (const d of r.imported) print(`imported ${d.ciId}\t${d.name}\t${d.infFile}\t${d.platforms.join(',')}`);
      for (const d of r.duplicates) print(`already in the catalog: ${d.ciId}\t${d.name}\t${d.action}`);
      for (const s of r.skipped) print(`skipped ${s.inf}: ${s.reason}`);
      for (const w of r.warnings) process.stderr.write(`osd: warning: ${w}\n`);
    });
  withConnection(driver.command('list'))
    .description('list catalog drivers')
    .option('--category <name>', 'only drivers in this category')
    .option('--hardware-id <id>', 'only drivers supporting this hardware ID')
    .option('--enabled', 'only enabled drivers')
    .option('--disabled', 'only disabled drivers')
    .option('--json', 'print JSON')
    .action(async (o: Json & { category?: string; hardwareId?: string; enabled?: boolean; disabled?: boolean }) => {
      const q = new URLSearchParams();
      if (o.category) q.set('category', o.category);
      if (o.hardwareId) q.set('hardwareId', o.hardwareId);
      if (o.enabled || o.disabled) q.set('enabled', String(!!o.enabled));
      const r = await AdminClient.fromOptions(o).get<DriverOut[]>(`/drivers${q.size ? `?${q}` : ''}`);
      if (o.json) return printJson(r);
      for (const d of r)
        print(`${d.ciId}\t${d.name}\t${d.class}\t${d.version}\t${d.platforms.join(',')}\t${d.enabled ? 'enabled' : 'disabled'}\t${d.categories.join(', ')}`);
    });

  const driverPackage = program.command('driver-package').description('driver packages: catalog drivers grouped for Apply Driver Package');
  withConnection(driverPackage.command('create <name>'))
    .description('create a driver package')
    .option('--manufacturer <name>', 'manufacturer')
    .option('--model <name>', 'model (drives pre-cache)')
    .option('--description <text>', 'comment')
    .option('--driver <ciId>', 'an enabled catalog driver to add (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (name: string, o: Json & { manufacturer?: string; model?: string; description?: string; driver?: string[] }) => {
      const r = await AdminClient.fromOptions(o).post<PackageOut>('/driver-packages', {
        name,
        manufacturer: o.manufacturer,
        model: o.model,
        description: o.description,
        ciIds: (o.driver ?? []).map((d) => positiveInt(d, '--driver')),
      });
      if (o.json) return printJson(r);
      print(`created driver package ${r.packageId} (${r.name})`);
    });
  withConnection(driverPackage.command('add <packageId> <ciIds...>'))
    .description('add enabled catalog drivers to a driver package')
    .option('--json', 'print JSON')
    .action(async (id: string, ciIds: string[], o: Json) => {
      const r = await AdminClient.fromOptions(o).post<PackageOut & { drivers: Array<{ ciId: number; name: string }> }>(
        `/driver-packages/${encodeURIComponent(id)}/drivers`,
        {
          ciIds: ciIds.map((c) => positiveInt(c, '<ciIds>')),
        },
      );
      if (o.json) return printJson(r);
      print(`${r.packageId}: ${r.drivers.length} driver(s), source version ${r.sourceVersion}`);
    });
  withConnection(driverPackage.command('list'))
    .description('list driver packages')
    .option('--json', 'print JSON')
    .action(async (o: Json) => {
      const r = await AdminClient.fromOptions(o).get<Array<PackageOut & { drivers: unknown[] }>>('/driver-packages');
      if (o.json) return printJson(r);
      for (const p of r) print(`${packageLine(p)}\t${p.drivers.length} driver(s)`);
    });

  // ---------------------------------------------------------------- packages
  const pkg = program.command('package').description('packages of every type: content with programs, and the built-in client and USMT packages');
  withServerPath(withConnection(pkg.command('add <folder>')))
    .description('create a package (with programs) from a folder (uploaded)')
    .requiredOption('--name <name>', 'package name')
    .option('--version <text>', 'version')
    .option('--manufacturer <name>', 'manufacturer')
    .option('--program <name=commandLine>', 'a program that task sequences may install (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (folder: string, o: Json & ServerPath & { name: string; version?: string; manufacturer?: string; program?: string[] }) => {
      const programs = (o.program ?? []).map((p) => {
        const eq = p.indexOf('=');
        if (eq < 1) throw new InputError({ input: '--program', rule: `"${p}" is not name=commandLine`, hint: 'e.g. --program "Install=setup.exe /quiet"' });
        return { name: p.slice(0, eq), commandLine: p.slice(eq + 1), allowTaskSequenceInstall: true };
      });
      const client = AdminClient.fromOptions(o);
      const r = await client.post<PackageOut>('/packages', {
        ...(await contentSource(client, folder, o)),
        name: o.name,
        version: o.version,
        manufacturer: o.manufacturer,
        programs,
      });
      if (o.json) return printJson(r);
      print(`created package ${r.packageId} (${r.name})`);
    });
  withConnection(pkg.command('list'))
    .description('list packages')
    .option('--type <n>', 'only this PackageType (0, 3, 5, 8, 257, 258, 259)')
    .option('--json', 'print JSON')
    .action(async (o: Json & { type?: string }) => {
      const r = await AdminClient.fromOptions(o).get<PackageOut[]>(`/packages${o.type ? `?type=${encodeURIComponent(o.type)}` : ''}`);
      if (o.json) return printJson(r);
      for (const p of r) print(packageLine(p));
    });
  withConnection(pkg.command('update-content <packageId>'))
    .description('Update Distribution Points: re-read the package source path (a package added with --server-path)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const r = await AdminClient.fromOptions(o).post<{ package: PackageOut; changed: boolean }>(`/packages/${encodeURIComponent(id)}/update-content`);
      if (o.json) return printJson(r);
      print(r.changed ? `${r.package.packageId}: new content, source version ${r.package.sourceVersion}` : `${r.package.packageId}: the source is unchanged`);
    });
  withServerPath(withConnection(pkg.command('set-content <packageId> <path>')))
    .description("set a package's content (e.g. the client or USMT package) from a file or folder (uploaded)")
    .option('--json', 'print JSON')
    .action(async (id: string, path: string, o: Json & ServerPath) => {
      const client = AdminClient.fromOptions(o);
      const r = await client.put<{ package: PackageOut; changed: boolean }>(
        `/packages/${encodeURIComponent(id)}/content`,
        await contentSource(client, path, o),
      );
      if (o.json) return printJson(r);
      print(`${r.package.packageId}: ${r.changed ? 'new content' : 'content unchanged'}, source version ${r.package.sourceVersion}`);
    });
  withConnection(pkg.command('delete <packageId>'))
    .description('delete a package (refused while a task sequence uses it)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Json) => {
      const r = await AdminClient.fromOptions(o).delete<PackageOut>(`/packages/${encodeURIComponent(id)}`);
      if (o.json) return printJson(r);
      print(`deleted ${r.packageId} (${r.name})`);
    });

  // ---------------------------------------------------------------- applications
  const app = program.command('app').description('applications a task sequence can install');
  withServerPath(withConnection(app.command('add <name>')))
    .description('create an application; deployment types from --msi/--script or a JSON definition')
    .option('--definition <file>', 'JSON with any application fields (deploymentTypes, supersedes …); options override it')
    .option('--source <folder>', 'content folder (uploaded)')
    .option('--publisher <name>', 'publisher')
    .option('--software-version <text>', 'software version')
    .option('--allow-ts', 'allow installing it from the Install Application step without being deployed')
    .option('--msi <installCommand>', 'a Windows Installer deployment type with this installation program')
    .option('--product-code <guid>', 'MSI product code for its detection method')
    .option('--script <installCommand>', 'a Script deployment type with this installation program')
    .option('--detect-file <path>', 'file whose presence detects the script deployment type')
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        o: Json &
          ServerPath & {
            definition?: string;
            source?: string;
            publisher?: string;
            softwareVersion?: string;
            allowTs?: boolean;
            msi?: string;
            productCode?: string;
            script?: string;
            detectFile?: string;
          },
      ) => {
        const body: Record<string, unknown> = o.definition ? { ...(readJsonFile(o.definition, 'application definition') as object) } : {};
        body.name = name;
        const client = AdminClient.fromOptions(o);
        if (o.source) Object.assign(body, await contentSource(client, o.source, o));
        if (o.publisher) body.publisher = o.publisher;
        if (o.softwareVersion) body.softwareVersion = o.softwareVersion;
        if (o.allowTs) body.allowTaskSequenceInstall = true;
        const dts = Array.isArray(body.deploymentTypes) ? [...(body.deploymentTypes as unknown[])] : [];
        if (o.msi) {
          if (!o.productCode)
            throw new InputError({ input: '--product-code', rule: 'a Windows Installer deployment type needs the MSI product code for detection' });
          dts.push({
            name: `${name} - Windows Installer (*.msi file)`,
            technology: 'msi',
            installCommand: o.msi,
            detectionMethod: { kind: 'msi-product-code', value: o.productCode },
          });
        }
        if (o.script) {
          if (!o.detectFile)
            throw new InputError({
              input: '--detect-file',
              rule: 'a Script deployment type needs a detection method',
              hint: 'e.g. --detect-file "C:\\Program Files\\App\\app.exe"',
            });
          dts.push({
            name: `${name} - Script Installer`,
            technology: 'script',
            installCommand: o.script,
            detectionMethod: { kind: 'file', value: o.detectFile },
          });
        }
        if (dts.length) body.deploymentTypes = dts;
        const r = await client.post<{ ciId: number; name: string; modelName: string; taskSequenceReady: { ok: boolean; problems: string[] } }>(
          '/applications',
          body,
        );
        if (o.json) return printJson(r);
        print(`created application ${r.ciId} (${r.name}): ${r.modelName}`);
        if (!r.taskSequenceReady.ok) for (const p of r.taskSequenceReady.problems) print(`  not installable by a task sequence: ${p}`);
      },
    );
  withConnection(app.command('list'))
    .description('list applications and whether a task sequence can install each')
    .option('--json', 'print JSON')
    .action(async (o: Json) => {
      const r =
        await AdminClient.fromOptions(o).get<
          Array<{ ciId: number; name: string; softwareVersion: string; retired: boolean; deploymentTypes: unknown[]; taskSequenceReady: { ok: boolean } }>
        >('/applications');
      if (o.json) return printJson(r);
      for (const a of r)
        print(
          `${a.ciId}\t${a.name}${a.softwareVersion ? ` ${a.softwareVersion}` : ''}\t${a.deploymentTypes.length} deployment type(s)\t${a.taskSequenceReady.ok ? 'task sequence ready' : 'not task sequence ready'}${a.retired ? '\tretired' : ''}`,
        );
    });

  // ---------------------------------------------------------------- software updates
  const update = program.command('update').description('software updates: import their metadata (and files), list them');
  withServerPath(withConnection(update.command('import <json>')))
    .description('import software update metadata (a JSON array, or {"updates": [...]}); --content adds their files as a deployment package')
    .option('--content <folder>', 'folder holding the update files (uploaded)')
    .option('--package-name <name>', 'name of the deployment package')
    .option('--json', 'print JSON')
    .action(async (file: string, o: Json & ServerPath & { content?: string; packageName?: string }) => {
      const data = readJsonFile(file, 'update metadata');
      const updates = Array.isArray(data) ? data : (data as { updates?: unknown }).updates;
      if (!Array.isArray(updates)) throw new InputError({ input: file, rule: 'expected a JSON array of updates (or an object with "updates")' });
      const client = AdminClient.fromOptions(o);
      const r = await client.post<{ imported: number; updated: number; packageId: string | null }>('/software-updates/import', {
        updates,
        ...(o.content ? await contentSource(client, o.content, o) : {}),
        ...(o.packageName ? { packageName: o.packageName } : {}),
      });
      if (o.json) return printJson(r);
      print(`${r.imported} update(s) imported, ${r.updated} refreshed${r.packageId ? `; deployment package ${r.packageId}` : ''}`);
    });
  withConnection(update.command('list'))
    .description('list software updates')
    .option('--classification <name>', 'only this classification')
    .option('--json', 'print JSON')
    .action(async (o: Json & { classification?: string }) => {
      const r = await AdminClient.fromOptions(o).get<
        Array<{ articleId: string; title: string; classification: string; superseded: boolean; expired: boolean }>
      >(`/software-updates${o.classification ? `?classification=${encodeURIComponent(o.classification)}` : ''}`);
      if (o.json) return printJson(r);
      for (const u of r)
        print(`${u.articleId ? `KB${u.articleId}` : '-'}\t${u.title}\t${u.classification}${u.superseded ? '\tsuperseded' : ''}${u.expired ? '\texpired' : ''}`);
    });
  withConnection(update.command('deploy <collectionId>'))
    .description('deploy software updates to a collection: Required (a deadline; the Install Software Updates step\'s "Mandatory") or Available')
    .requiredOption('--update <updateId>', 'an update id (GUID) to deploy (repeatable)', collect)
    .requiredOption('--purpose <purpose>', 'required | available')
    .option('--deadline <iso>', 'the installation deadline of a Required deployment (ISO date)')
    .option('--available-at <iso>', 'when the updates become available (default now)')
    .option('--name <name>', "the deployment's name")
    .option('--disabled', 'create it disabled')
    .option('--json', 'print JSON')
    .action(
      async (
        collectionId: string,
        o: Json & { update: string[]; purpose: string; deadline?: string; availableAt?: string; name?: string; disabled?: boolean },
      ) => {
        const r = await AdminClient.fromOptions(o).post<{ deploymentId: string; name: string; purpose: string; updateIds: string[]; deadline: string | null }>(
          '/software-update-deployments',
          {
            name: o.name ?? `Software updates to ${collectionId}`,
            collectionId,
            purpose: o.purpose,
            updateIds: o.update,
            ...(o.deadline ? { deadline: o.deadline } : {}),
            ...(o.availableAt ? { availableAt: o.availableAt } : {}),
            ...(o.disabled ? { enabled: false } : {}),
          },
        );
        if (o.json) return printJson(r);
        print(`deployment ${r.deploymentId} (${r.name}): ${r.updateIds.length} update(s), ${r.purpose}${r.deadline ? `, deadline ${r.deadline}` : ''}`);
      },
    );
  withConnection(update.command('deployments'))
    .description('list software update deployments')
    .option('--collection <collectionId>', 'only those to this collection')
    .option('--json', 'print JSON')
    .action(async (o: Json & { collection?: string }) => {
      const r = await AdminClient.fromOptions(o).get<
        Array<{ deploymentId: string; name: string; collectionId: string; purpose: string; updateIds: string[]; deadline: string | null; enabled: boolean }>
      >(`/software-update-deployments${o.collection ? `?collectionId=${encodeURIComponent(o.collection)}` : ''}`);
      if (o.json) return printJson(r);
      for (const d of r)
        print(
          `${d.deploymentId}\t${d.name}\t${d.collectionId}\t${d.purpose}${d.deadline ? ` (deadline ${d.deadline})` : ''}\t${d.updateIds.length} update(s)${d.enabled ? '' : '\tdisabled'}`,
        );
    });
}
