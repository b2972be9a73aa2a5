/**
 * Software Library in a real browser (issue 15 item 1): Operating System Images (add the lab's test
 * install.wim from a server path and see each image's index, edition, architecture and size; Reload),
 * content status with Distribute Content to a real distribution point and its progress to Success,
 * Redistribute and Remove Content; a boot image's details (architecture, version, the PXE option, its
 * drivers); the driver catalog (Import Driver, search, category and platform filters, disable/enable)
 * and a driver package's members; applications (deployment types, retire and reinstate); software
 * updates (import their metadata with a refusal shown at the file); packages (create with a program,
 * a refusal at its field, edit); a task sequence's revision history, the diff of two revisions, revert.
 * Each main page is saved as a screenshot and checked with axe-core; no browser console errors; a
 * read-only token sees no button that changes anything.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestContent, TEST_EDITIONS, type TestContent } from '../../src/lab/test-content/index.js';
import { startDistributionPoint, type RunningDistributionPoint } from '../../src/server/distribution-point/server.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';
import { CONSOLE_SKIP, openConsole, type ConsoleSession } from './browser.js';

const PUSH_TOKEN = 'console-test-push-token-0123456789';

const sequenceXml = (steps: Array<{ name: string; command: string }>) =>
  `<?xml version="1.0"?><sequence version="3.00"><group name="Install software" description="">${steps
    .map(
      (s) =>
        `<step type="SMS_TaskSequence_RunCommandLineAction" name="${s.name}" description=""><action>smsswd.exe /run: ${s.command}</action>` +
        `<defaultVarList><variable name="CommandLine" property="CommandLine">${s.command}</variable></defaultVarList></step>`,
    )
    .join('')}</group></sequence>`;

/** Every button of the main area (not the header's Sign out, not the navigation). */
async function buttonNames(c: ConsoleSession): Promise<string[]> {
  return c.page.locator('main button, main [role=toolbar] button').evaluateAll((bs) => bs.map((b) => (b.textContent ?? '').trim()));
}

describe.skipIf(!!CONSOLE_SKIP)(`Software Library in chromium${CONSOLE_SKIP ? ` (skipped: ${CONSOLE_SKIP})` : ''}`, () => {
  let c: ConsoleSession;
  let work: string;
  let content: TestContent;
  let dp: RunningDistributionPoint;
  let bootImageId: string;
  let osImageId: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'openosd-console-library-'));
    content = await makeTestContent(join(work, 'library'), { imageSizeMB: 0.05 });
    const pe = await makeWim(join(work, 'pe'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x64)', description: 'WinPE 10', payload: 'pe', properties: WINPE_PROPERTIES(9, [10, 0, 22621]) },
    ]);
    for (const app of ['editor']) {
      await mkdir(join(work, 'apps', app), { recursive: true });
      await writeFile(join(work, 'apps', app, 'install.sh'), `#!/bin/sh\necho ${app}\n`);
    }
    await mkdir(join(work, 'updates'), { recursive: true });
    await writeFile(join(work, 'updates', 'kb1.msu'), 'update one');
    await mkdir(join(work, 'tools'), { recursive: true });
    await writeFile(join(work, 'tools', 'setup.cmd'), '@echo tools');
    dp = await startDistributionPoint({ root: join(work, 'dp'), pushToken: PUSH_TOKEN });
    c = await openConsole({ serverArgs: ['--source-root', work] });
    const reg = await c.api('POST', '/distribution-points', { name: 'DP01', url: dp.url, pushToken: PUSH_TOKEN });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    const boot = await c.api('POST', '/boot-images', { sourcePath: pe, pxeEnabled: false, version: '10.0.22621' });
    expect(boot.status, JSON.stringify(boot.json)).toBe(201);
    bootImageId = boot.json.packageId;
    const app = await c.api('POST', '/applications', {
      name: 'Contoso Editor',
      publisher: 'Contoso',
      allowTaskSequenceInstall: true,
      sourcePath: join(work, 'apps', 'editor'),
      deploymentTypes: [
        {
          name: 'Editor script',
          technology: 'script',
          installCommand: 'sh install.sh',
          detectionMethod: { kind: 'file', value: '%ProgramFiles%\\Editor\\done.txt' },
        },
      ],
    });
    expect(app.status, JSON.stringify(app.json)).toBe(201);
    await c.signIn();
  }, 240_000);
  afterAll(async () => {
    await c?.close();
    await dp?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('adds an OS image from a server path, shows its images, distributes it and shows the content status', async () => {
    const { page } = c;
    await c.goto('/software-library/operating-system-images');
    await page.getByText('There are no operating system images').waitFor();
    await page.getByRole('button', { name: 'Add Operating System Image' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Operating System Image' });
    // A relative path is refused at the field, before the site is asked.
    await dialog.getByRole('textbox', { name: 'Path' }).fill('install.wim');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog.locator('.field.invalid .error').filter({ hasText: 'is not a full path' }).waitFor();
    // A path outside the site's source folders: the site's refusal at the field.
    await dialog.getByRole('textbox', { name: 'Path' }).fill('/etc/hostname');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog
      .locator('.field.invalid .error')
      .filter({ hasText: /outside|never content|source/ })
      .waitFor();
    expect(await dialog.getByRole('textbox', { name: 'Path' }).getAttribute('aria-invalid')).toBe('true');
    await dialog.getByRole('textbox', { name: 'Path' }).fill(content.wimPath);
    await dialog.getByLabel('Version').fill('23H2');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Added "install.wim" as PS1\w+ with 3 image/ })
      .waitFor();
    const images = page.getByRole('grid', { name: 'Images in install.wim' });
    for (const e of TEST_EDITIONS) {
      const row = images.getByRole('row', { name: new RegExp(e.name) });
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toBe(String(e.index));
      expect(cells[2]).toBe(e.editionId);
      expect(cells[3]).toBe('x64');
      expect(cells[6]).toMatch(/KB|bytes|MB/);
    }
    await c.screenshot('operating-system-images');
    await c.checkAccessibility('Operating System Images');

    // Open it: properties, images, Reload, content status.
    const list = page.getByRole('grid', { name: 'Operating System Images' });
    await list.getByRole('row', { name: /install\.wim/ }).dblclick();
    await page.getByRole('heading', { level: 1, name: 'install.wim' }).waitFor();
    osImageId = page.url().split('/').pop()!;
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('status').filter({ hasText: 'Read 3 image(s) from install.wim again' }).waitFor();
    const statusGrid = page.getByRole('grid', { name: 'Content status of install.wim' });
    await statusGrid.getByRole('row', { name: /DP01.*Not distributed/ }).waitFor();
    await page.getByRole('button', { name: 'Distribute Content' }).click();
    const distribute = page.getByRole('dialog', { name: 'Distribute Content' });
    await distribute.getByLabel('DP01').check();
    await distribute.getByRole('button', { name: 'Distribute' }).click();
    await statusGrid.getByRole('row', { name: /DP01.*Success/ }).waitFor({ timeout: 30_000 });
    expect(await statusGrid.getByRole('row', { name: /DP01/ }).textContent()).toMatch(/content version 1 is on the distribution point/);
    await c.screenshot('operating-system-image-content-status');
    await c.checkAccessibility('an operating system image');

    // Redistribute, then Remove Content (asks first).
    await statusGrid.getByRole('row', { name: /DP01/ }).click();
    await page.getByRole('button', { name: 'Redistribute' }).click();
    await page.getByRole('status').filter({ hasText: 'Redistributing "install.wim" to DP01' }).waitFor();
    await statusGrid.getByRole('row', { name: /DP01.*Success/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Remove Content' }).click();
    await page.getByRole('dialog', { name: 'Remove Content' }).getByRole('button', { name: 'Remove' }).click();
    await statusGrid.getByRole('row', { name: /DP01.*Not distributed/ }).waitFor({ timeout: 30_000 });
    const after = await c.api('GET', `/packages/${osImageId}/distribution`);
    expect(after.json).toEqual([]);

    // The same WIM uploaded from the browser (its progress shown), as a second image package.
    await c.goto('/software-library/operating-system-images');
    await page.getByRole('button', { name: 'Add Operating System Image' }).click();
    await dialog.getByRole('radio', { name: 'Upload a file from this computer' }).check();
    await dialog.getByRole('button', { name: 'Add' }).click();
    await dialog.locator('.field.invalid .error').filter({ hasText: 'Choose the .wim file to upload.' }).waitFor();
    await dialog.getByLabel('Image file').setInputFiles(content.wimPath);
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Uploaded install image');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Added "Uploaded install image" as PS1\w+ with 3 image/ })
      .waitFor();
    await page
      .getByRole('grid', { name: 'Images in Uploaded install image' })
      .getByRole('row', { name: /Windows 11 Pro/ })
      .waitFor();
    c.expectNoErrors();
  }, 180_000);

  it("shows a boot image's details, turns on its PXE option and lists the drivers in it", async () => {
    const { page } = c;
    await c.goto('/software-library/boot-images');
    const grid = page.getByRole('grid', { name: 'Boot Images' });
    await grid.getByRole('row', { name: /Microsoft Windows PE \(x64\).*x64.*10\.0\.22621/ }).waitFor();
    await c.screenshot('boot-images');
    await c.checkAccessibility('Boot Images');
    await grid.getByRole('row', { name: /Microsoft Windows PE/ }).dblclick();
    await page.getByRole('heading', { level: 1, name: 'Microsoft Windows PE (x64)' }).waitFor();
    const props = page.locator('dl.properties');
    await expect.poll(() => props.textContent()).toMatch(/Architecturex64/);
    expect(await props.textContent()).toMatch(/Windows PE version10/);
    const pxe = page.getByLabel('Deploy this boot image from the PXE-enabled distribution point');
    expect(await pxe.isChecked()).toBe(false);
    await pxe.check();
    await page.getByRole('status').filter({ hasText: 'can boot this image' }).waitFor();
    expect((await c.api('GET', `/boot-images/${bootImageId}`)).json.properties.pxeEnabled).toBe(true);
    await page.getByRole('grid', { name: 'Drivers in Microsoft Windows PE (x64)' }).getByText('This boot image has no drivers added.').waitFor();
    await c.screenshot('boot-image');
    await c.checkAccessibility('a boot image');
    c.expectNoErrors();
  }, 120_000);

  it('imports drivers, searches the catalog, filters by category and platform, disables one; shows a driver package', async () => {
    const { page } = c;
    await c.goto('/software-library/drivers');
    await page.getByRole('button', { name: 'Import Driver' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import New Driver' });
    await dialog.getByLabel('Source folder').fill(join(work, 'no-such-folder'));
    await dialog.getByRole('button', { name: 'Import' }).click();
    await dialog.locator('.field.invalid .error').waitFor();
    expect(await dialog.getByLabel('Source folder').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Source folder').fill(join(content.root, 'drivers'));
    await dialog.getByLabel('Categories').fill('Network, Lab');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Imported \d+ driver/ })
      .waitFor();
    const grid = page.getByRole('grid', { name: 'Drivers' });
    await grid.getByRole('row', { name: /Broadcom NetXtreme/ }).waitFor();
    // Polled, not read once: the count is taken when the refreshed list has settled, not from a render on the way.
    await expect.poll(() => grid.locator('tbody tr[data-row]').count()).toBeGreaterThan(2);
    const all = await grid.locator('tbody tr[data-row]').count();
    await page.getByLabel(/Search drivers/).fill('Display');
    await expect.poll(() => grid.locator('tbody tr[data-row]').count()).toBeLessThan(all);
    expect(await grid.locator('tbody tr[data-row]').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/Graphics/)]));
    await page.getByLabel(/Search drivers/).fill('');
    await page.getByLabel('Platform', { exact: true }).selectOption('x86');
    await expect.poll(async () => (await grid.locator('tbody tr[data-row]').allTextContents()).every((t) => /x86/.test(t))).toBe(true);
    await page.getByLabel('Platform', { exact: true }).selectOption('');
    await page.getByLabel('Category', { exact: true }).selectOption('Lab');
    await expect.poll(() => grid.locator('tbody tr[data-row]').count()).toBe(all);
    await page.getByLabel('Category', { exact: true }).selectOption('');
    await grid.getByRole('row', { name: /Broadcom NetXtreme/ }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: 'Disabled the driver "Broadcom NetXtreme Gigabit Ethernet"' }).waitFor();
    await grid.getByRole('row', { name: /Broadcom NetXtreme.*No/ }).waitFor();
    await page.getByRole('button', { name: 'Categorize' }).click();
    const categorize = page.getByRole('dialog', { name: 'Manage Administrative Categories' });
    await expect.poll(async () => (await categorize.getByLabel('Administrative categories').inputValue()).split(', ').sort()).toEqual(['Lab', 'Network']);
    await categorize.getByLabel('Administrative categories').fill('Network, Lab, Legacy');
    await categorize.getByRole('button', { name: 'OK' }).click();
    await grid.getByRole('row', { name: /Broadcom NetXtreme.*Legacy/ }).waitFor();
    await page.getByLabel('Category', { exact: true }).selectOption('Legacy');
    await expect.poll(() => grid.locator('tbody tr[data-row]').count()).toBe(1);
    await page.getByLabel('Category', { exact: true }).selectOption('');
    await c.screenshot('drivers');
    await c.checkAccessibility('Drivers');

    // A network driver into the boot image (a display driver is refused with "only network and storage"), then out again.
    await c.goto(`/software-library/boot-images/${bootImageId}`);
    await page.getByRole('button', { name: 'Add Driver' }).click();
    const add = page.getByRole('dialog', { name: 'Add Driver to Boot Image' });
    await add.getByLabel(/Intel\(R\) HD Graphics 520/).check();
    await add.getByRole('button', { name: 'Add' }).click();
    await add.getByRole('alert').waitFor();
    await add.getByLabel(/Intel\(R\) HD Graphics 520/).uncheck();
    await add.getByLabel(/e1d68x64\.inf/).check();
    await add.getByRole('button', { name: 'Add' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Added 1 driver\(s\) to "Microsoft Windows PE \(x64\)"/ })
      .waitFor();
    const inImage = page.getByRole('grid', { name: 'Drivers in Microsoft Windows PE (x64)' });
    await inImage.getByRole('row', { name: /Intel\(R\) Ethernet Connection I219-LM.*Net.*x64/ }).click();
    await c.screenshot('boot-image-drivers');
    await page.getByRole('button', { name: 'Remove Driver' }).click();
    await page.getByRole('dialog', { name: 'Remove Driver' }).getByRole('button', { name: 'Remove' }).click();
    await inImage.getByText('This boot image has no drivers added.').waitFor();

    const drivers = (await c.api('GET', '/drivers')).json as Array<{ ciId: number; name: string; enabled: boolean }>;
    const pkg = await c.api('POST', '/driver-packages', {
      name: 'Latitude 7490 drivers',
      manufacturer: 'Dell',
      model: 'Latitude 7490',
      ciIds: drivers
        .filter((d) => d.enabled)
        .map((d) => d.ciId)
        .slice(0, 2),
    });
    expect(pkg.status, JSON.stringify(pkg.json)).toBe(201);
    await c.goto('/software-library/driver-packages');
    await page
      .getByRole('grid', { name: 'Driver Packages' })
      .getByRole('row', { name: /Latitude 7490 drivers/ })
      .dblclick();
    await page.getByRole('heading', { level: 1, name: 'Latitude 7490 drivers' }).waitFor();
    await expect.poll(() => page.getByRole('grid', { name: 'Drivers in Latitude 7490 drivers' }).locator('tbody tr[data-row]').count()).toBe(2);
    await page.getByRole('grid', { name: 'Content status of Latitude 7490 drivers' }).getByRole('row', { name: /DP01/ }).waitFor();
    await c.screenshot('driver-package');
    await c.checkAccessibility('a driver package');
    c.expectNoErrors();
  }, 120_000);

  it('shows an application with its deployment types, retires and reinstates it', async () => {
    const { page } = c;
    await c.goto('/software-library/applications');
    const grid = page.getByRole('grid', { name: 'Applications' });
    await grid.getByRole('row', { name: /Contoso Editor.*Active/ }).click();
    await page
      .getByRole('grid', { name: 'Deployment types of Contoso Editor' })
      .getByRole('row', { name: /Editor script.*Script Installer.*sh install\.sh/ })
      .waitFor();
    await c.screenshot('applications');
    await c.checkAccessibility('Applications');
    await grid.getByRole('row', { name: /Contoso Editor/ }).dblclick();
    await page.getByRole('heading', { level: 1, name: 'Contoso Editor' }).waitFor();
    await page.getByRole('button', { name: 'Retire' }).click();
    await page.getByRole('dialog', { name: 'Retire Application' }).getByRole('button', { name: 'Retire' }).click();
    await page.getByRole('status').filter({ hasText: 'Retired "Contoso Editor"' }).waitFor();
    await expect.poll(() => page.locator('dl.properties').textContent()).toMatch(/StatusRetired/);
    await page.getByRole('button', { name: 'Reinstate' }).click();
    await page.getByRole('status').filter({ hasText: 'Reinstated "Contoso Editor"' }).waitFor();
    await expect.poll(() => page.locator('dl.properties').textContent()).toMatch(/StatusActive/);
    await page
      .getByRole('grid', { name: 'Content status of Contoso Editor' })
      .getByRole('row', { name: /DP01.*Not distributed/ })
      .waitFor();
    await c.screenshot('application');
    await c.checkAccessibility('an application');
    c.expectNoErrors();
  }, 120_000);

  it('imports software updates (a bad one refused at the file) and lists them', async () => {
    const { page } = c;
    await c.goto('/software-library/software-updates');
    await page.getByText('There are no software updates').waitFor();
    const meta = join(work, 'updates.json');
    const good = {
      updateId: '11111111-1111-4111-8111-111111111111',
      articleId: '5000001',
      title: '2026-12 Cumulative Update for Windows 11',
      classification: 'Security Updates',
      products: ['Windows 11'],
      applicability: { minOsBuild: 22621, architectures: ['x64'] },
      files: [{ name: 'kb1.msu' }],
      restartRequired: true,
    };
    await writeFile(meta, JSON.stringify({ updates: [good, { ...good, updateId: 'not-a-guid', title: 'Broken' }] }));
    await page.getByRole('button', { name: 'Import Software Updates' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import Software Updates' });
    await dialog.getByLabel('Update metadata file').setInputFiles(meta);
    await dialog.getByLabel('Update files folder').fill(join(work, 'updates'));
    await dialog.getByLabel('Deployment package name').fill('Updates 2026-12');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await dialog
      .locator('.field.invalid .error')
      .filter({ hasText: /In update 2 of updates.json, updateId: an update id is a GUID/ })
      .waitFor();
    // The corrected file (a list of updates this time).
    const fixed = join(work, 'updates-fixed.json');
    await writeFile(fixed, JSON.stringify([good]));
    await dialog.getByLabel('Update metadata file').setInputFiles(fixed);
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: 'Imported 1 software update(s).' }).waitFor();
    const grid = page.getByRole('grid', { name: 'Software Updates' });
    await grid.getByRole('row', { name: /2026-12 Cumulative Update.*5000001.*Security Updates/ }).click();
    await page.getByText(/build 22621 or later/).waitFor();
    await c.screenshot('software-updates');
    await c.checkAccessibility('Software Updates');
    c.expectNoErrors();
  }, 120_000);

  it('creates a package with a program (a refusal at its field), edits it and shows its programs', async () => {
    const { page } = c;
    await c.goto('/software-library/packages');
    await page
      .getByRole('grid', { name: 'Packages' })
      .getByRole('row', { name: /Configuration Manager Client Package/ })
      .waitFor();
    await page.getByRole('button', { name: 'Create Package' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Package' });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.locator('.field.invalid .error').filter({ hasText: 'Enter a name for the package.' }).waitFor();
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Lab tools');
    await dialog.getByLabel('Manufacturer').fill('Contoso');
    await dialog.getByLabel('Source folder').fill('/proc/self');
    await dialog.getByRole('button', { name: 'Add Program' }).click();
    await dialog.getByLabel('Program 1 name').fill('Install');
    await dialog.getByLabel('Program 1 command line').fill('setup.cmd');
    await dialog.getByLabel(/Allow program 1/).check();
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog
      .locator('.field.invalid .error')
      .filter({ hasText: /never content|outside/ })
      .waitFor();
    expect(await dialog.getByLabel('Source folder').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Source folder').fill(join(work, 'tools'));
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Created the package "Lab tools"/ })
      .waitFor();
    await page
      .getByRole('grid', { name: 'Programs of Lab tools' })
      .getByRole('row', { name: /Install.*setup\.cmd.*Yes/ })
      .waitFor();
    await c.screenshot('packages');
    await c.checkAccessibility('Packages');
    await page
      .getByRole('grid', { name: 'Packages' })
      .getByRole('row', { name: /Lab tools/ })
      .dblclick();
    await page.getByRole('heading', { level: 1, name: 'Lab tools' }).waitFor();
    await page.getByRole('button', { name: 'Properties' }).click();
    const edit = page.getByRole('dialog', { name: 'Lab tools Properties' });
    await edit.getByLabel('Version').fill('2.0');
    await edit.getByRole('button', { name: 'Add Program' }).click();
    await edit.getByLabel('Program 2 name').fill('Uninstall');
    await edit.getByLabel('Program 2 command line').fill('setup.cmd /uninstall');
    await edit.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the package "Lab tools".' }).waitFor();
    await page
      .getByRole('grid', { name: 'Programs of Lab tools' })
      .getByRole('row', { name: /Uninstall/ })
      .waitFor();
    await page.getByRole('grid', { name: 'Content status of Lab tools' }).getByRole('row', { name: /DP01/ }).waitFor();
    await c.screenshot('package');
    await c.checkAccessibility('a package');
    c.expectNoErrors();
  }, 120_000);

  it("shows a task sequence's revision history, the diff of two revisions, and reverts", async () => {
    const { page } = c;
    const created = await c.api('POST', '/task-sequences', {
      name: 'Install lab software',
      format: 'xml',
      content: sequenceXml([{ name: 'Say hello', command: 'cmd /c echo hello' }]),
      message: 'first',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.taskSequence.id as string;
    const saved = await c.api('PUT', `/task-sequences/${id}`, {
      baseRevision: 1,
      message: 'renamed and added a step',
      format: 'xml',
      content: sequenceXml([
        { name: 'Say hello to the lab', command: 'cmd /c echo hello' },
        { name: 'Install tools', command: 'setup.cmd' },
      ]),
    });
    expect(saved.status, JSON.stringify(saved.json)).toBe(200);
    await c.goto(`/software-library/task-sequences/${id}`);
    await page.getByRole('button', { name: 'Revision History' }).click();
    await page.getByRole('heading', { level: 1, name: 'Revision History: Install lab software' }).waitFor();
    const grid = page.getByRole('grid', { name: 'Revision History' });
    await grid.getByRole('row', { name: /renamed and added a step/ }).waitFor();
    await page.getByLabel('Compare revision', { exact: true }).selectOption('1');
    await page.getByLabel('with revision', { exact: true }).selectOption('2');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const diff = page.getByRole('region', { name: 'Changes from revision 1 to revision 2' });
    await diff
      .getByText(/Install tools/)
      .first()
      .waitFor();
    const lines = await diff.locator('li').allTextContents();
    expect(lines.some((l) => /^Added/.test(l) && /Install tools/.test(l))).toBe(true);
    expect(lines.some((l) => /^Renamed/.test(l) && /Say hello/.test(l))).toBe(true);
    await c.screenshot('task-sequence-revision-diff');
    await c.checkAccessibility('a task sequence revision history');

    await grid.getByRole('row', { name: /first/ }).click();
    await page.getByRole('button', { name: 'Revert' }).click();
    const revert = page.getByRole('dialog', { name: 'Revert Task Sequence' });
    await revert.getByLabel('Revision comment').fill('back to the first');
    await revert.getByRole('button', { name: 'Revert' }).click();
    await page.getByRole('status').filter({ hasText: 'Reverted to revision 1: it is now revision 3.' }).waitFor();
    await grid.getByRole('row', { name: /back to the first/ }).waitFor();
    const detail = await c.api('GET', `/task-sequences/${id}`);
    expect(detail.json.currentRevision).toBe(3);
    // Revision 3 equals revision 1: the site finds no change between them.
    const same = await c.api('GET', `/task-sequences/${id}/diff?from=1&to=3`);
    expect(same.json.changes).toEqual([]);
    c.expectNoErrors();
  }, 120_000);

  it('offers a read-only token no button that changes anything', async () => {
    const { page } = c;
    const token = await c.createToken('read-only-analyst');
    await c.signOut();
    await c.signIn(token);
    const changing = [
      'Add Operating System Image',
      'Reload',
      'Distribute Content',
      'Redistribute',
      'Remove Content',
      'Import Driver',
      'Enable',
      'Disable',
      'Retire',
      'Reinstate',
      'Import Software Updates',
      'Create Package',
      'Properties',
      'Update Distribution Points',
      'Revert',
      'Add Driver',
      'Remove Driver',
      'Categorize',
    ];
    const ts = (await c.api('GET', '/task-sequences')).json[0].id as string;
    const apps = (await c.api('GET', '/applications')).json as Array<{ ciId: number }>;
    const pkgs = (await c.api('GET', '/packages?type=0')).json as Array<{ packageId: string; name: string }>;
    const lab = pkgs.find((p) => p.name === 'Lab tools')!;
    for (const path of [
      '/software-library/operating-system-images',
      `/software-library/operating-system-images/${osImageId}`,
      `/software-library/boot-images/${bootImageId}`,
      '/software-library/drivers',
      `/software-library/applications/${apps[0]!.ciId}`,
      '/software-library/software-updates',
      '/software-library/packages',
      `/software-library/packages/${lab.packageId}`,
      `/software-library/task-sequences/${ts}/history`,
    ]) {
      await c.goto(path);
      await page
        .locator('main [role=toolbar]')
        .first()
        .waitFor()
        .catch(async (e: unknown) => {
          await c.screenshot('software-library-read-only-failed');
          throw e;
        });
      await page
        .getByRole('button', { name: /Refresh/ })
        .first()
        .waitFor();
      const names = await buttonNames(c);
      expect(
        names.filter((n) => changing.some((x) => n.endsWith(x))),
        `buttons on ${path}`,
      ).toEqual([]);
      expect(await page.getByLabel('Deploy this boot image from the PXE-enabled distribution point').count()).toBe(0);
    }
    await c.screenshot('software-library-read-only');
    c.expectNoErrors();
  }, 120_000);
});
