/**
 * Issue 15's acceptance walk in ONE browser session against a real `osd server` holding real
 * content (an x64 Windows PE boot image and the lab's install.wim, both on the site's distribution
 * point): the Create Task Sequence Wizard walked meeting a validation error on each page; the result
 * edited in the task sequence editor (a step moved, a condition added, the full-OS group disabled —
 * this lab machine has no client or USMT content to run it) and saved; simulated on a BIOS profile,
 * where the UEFI partition step is skipped with its reason; deployed through the Deploy Software
 * Wizard; a lab machine booted against the server (`osd lab boot NAME --site URL`, UEFI, the image
 * applied to its disk) whose deployment Monitoring shows reaching Success; its step timeline and
 * its smsts.log opened. A screenshot of each main page (acceptance-*.png), axe-core on each, no
 * browser errors.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/lab/create.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { runLab } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';
import { CONSOLE_SKIP, openConsole, type ConsoleSession } from './browser.js';

const MAC = '00:15:5D:0C:15:A1';
const NAME = 'Windows 11 - lab acceptance';

describe.skipIf(!!CONSOLE_SKIP)(`issue 15 acceptance in one chromium session${CONSOLE_SKIP ? ` (skipped: ${CONSOLE_SKIP})` : ''}`, () => {
  let c: ConsoleSession;
  let dir: string;
  let content: TestContent;
  let bootId: string;
  let imageId: string;
  let collectionId: string;
  let tsId: string;
  let deploymentId: string;

  const wizard = (name: string) => c.page.getByRole('region', { name });
  const heading = () => c.page.locator('.wizard-page h2');
  const onPage = (title: string) => expect.poll(() => heading().textContent()).toBe(title);
  /** A control by its label exactly (a required field's label ends with a decorative *). */
  const field = (label: string) => c.page.locator('.wizard').getByLabel(new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\*)?\\s*$`));
  const errorAt = async (label: string, text: RegExp) => {
    await expect.poll(() => field(label).getAttribute('aria-invalid'), { message: `${label} is marked invalid` }).toBe('true');
    const ids = ((await field(label).getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    const texts = await Promise.all(ids.map((id) => c.page.locator(`[id="${id}"]`).textContent()));
    expect(texts.join(' '), `the error at ${label}`).toMatch(text);
    expect(texts.join(' ')).not.toMatch(/\bosd [a-z]|--[a-z]|\/api\/v1/);
  };
  const tree = () => c.page.getByRole('tree', { name: 'Groups and steps' });
  const item = (name: string) => tree().locator(`[role="treeitem"][data-label="${name}"]`).first();
  const row = (name: string) => item(name).locator('> .ts-row').textContent();
  const childNames = (group: string) =>
    tree().locator(`[role="treeitem"][data-label="${group}"] > ul > [role="treeitem"] > .ts-row .ts-label`).allTextContents();
  const record = async (name: string, where: string) => {
    await c.screenshot(`acceptance-${name}`);
    await c.checkAccessibility(where);
  };

  beforeAll(async () => {
    dir = tempDir('openosd-console-acceptance-');
    content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 1 });
    const winpe = await makeWim(join(dir, 'boot'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe x64' },
    ]);
    c = await openConsole({ serverArgs: ['--source-root', dir, '--local-dp-port', '0'] });
    const add = async (path: string, body: unknown) => {
      const r = await c.api('POST', path, body);
      expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
      return r.json;
    };
    bootId = (await add('/boot-images', { sourcePath: winpe, imageIndex: 1, name: 'Boot image (x64)' })).packageId;
    imageId = (await add('/os-images', { sourcePath: content.wimPath, name: 'Windows 11 lab image' })).packageId;
    await add('/distributions', { packageIds: [bootId, imageId], distributionPoints: ['local'], wait: true });
    collectionId = (await add('/collections', { name: 'Lab reimage' })).collection.collectionId;
    const device = await add('/devices', { name: 'LAB-ACC-01', mac: MAC, collectionId });
    const v = await c.api('PUT', `/devices/${device.device.resourceId}/variables/OSDComputerName`, { value: 'LAB-ACC-01' });
    expect(v.status, JSON.stringify(v.json)).toBeLessThan(300);
    await c.signIn();
  }, 300_000);
  afterAll(async () => {
    await c?.close();
  });

  it('walks the Create Task Sequence Wizard meeting a validation error on each page', async () => {
    const { page } = c;
    await c.goto('/software-library/task-sequences');
    await record('task-sequences', 'Task Sequences');
    await page.getByRole('button', { name: 'Create Task Sequence' }).click();
    const next = () => wizard('Create Task Sequence Wizard').getByRole('button', { name: 'Next >' }).click();
    await onPage('Create a New Task Sequence');
    await next();

    await onPage('Task Sequence Information');
    await next();
    await errorAt('Task sequence name', /Task sequence name is required/);
    await errorAt('Boot image', /Select a boot image/);
    await record('wizard-information-errors', 'the Create Task Sequence Wizard, errors');
    await field('Task sequence name').fill(NAME);
    await field('Boot image').selectOption(bootId);
    await next();

    await onPage('Install Windows');
    await next();
    await errorAt('Image package', /Select an image package/);
    await field('Image package').selectOption(imageId);
    await field('Image index').selectOption('2');
    await field('Configure task sequence for use with BitLocker').uncheck();
    await field('Product key').fill('ABCDE-FGHIJ');
    await next();
    await errorAt('Product key', /XXXXX-XXXXX-XXXXX-XXXXX-XXXXX/);
    await field('Product key').fill('');
    await next();

    await onPage('Configure Network');
    await field('Workgroup').fill('');
    await next();
    await errorAt('Workgroup', /Enter the name of the workgroup/);
    await field('Workgroup').fill('LABWG');
    await next();

    await onPage('Install Configuration Manager');
    const client = await field('Package').inputValue();
    await field('Package').selectOption('');
    await next();
    await errorAt('Package', /Select the Configuration Manager client package/);
    await field('Package').selectOption(client);
    await next();

    await onPage('State Migration');
    const usmt = await field('User State Migration Tool package').inputValue();
    await field('User State Migration Tool package').selectOption('');
    await next();
    await errorAt('User State Migration Tool package', /Select a User State Migration Tool package/);
    await field('User State Migration Tool package').selectOption(usmt);
    await next();

    await onPage('Include Updates');
    await next();
    await onPage('Install Applications');
    await next();
    await onPage('Summary');
    await next();
    await onPage('Completion');
    const done = (await page.locator('.wizard-completion').textContent()) ?? '';
    tsId = /\(([A-Z0-9]{3}[0-9A-F]{5})\)/.exec(done)?.[1] ?? '';
    expect(tsId, done).toMatch(/^[A-Z0-9]{3}[0-9A-F]{5}$/);
    await record('wizard-completion', 'the Create Task Sequence Wizard, completion');
    c.expectNoErrors();
  }, 120_000);

  it('edits the result: moves a step, adds a condition, disables the full-OS group, saves', async () => {
    const { page } = c;
    await c.goto(`/software-library/task-sequences/${tsId}/edit`);
    await item('Install Operating System').waitFor();
    const before = await childNames('Install Operating System');
    expect(before.indexOf('Apply Device Drivers')).toBe(before.indexOf('Apply Network Settings') + 1);
    // Move Apply Device Drivers above Apply Network Settings (keyboard).
    await item('Apply Device Drivers').click();
    await page.keyboard.press('Alt+ArrowUp');
    await expect
      .poll(async () => {
        const order = await childNames('Install Operating System');
        return order.indexOf('Apply Device Drivers') - order.indexOf('Apply Network Settings');
      })
      .toBe(-1);
    // A condition on Apply Network Settings: _SMSTSBootUEFI equals true.
    await item('Apply Network Settings').click();
    await page.getByRole('tab', { name: 'Options' }).click();
    await page.getByLabel('Condition to add', { exact: true }).selectOption({ label: 'Task Sequence Variable' });
    await page.getByRole('button', { name: 'Add Condition', exact: true }).click();
    await page.getByRole('textbox', { name: 'Variable', exact: true }).fill('_SMSTSBootUEFI');
    await page.getByLabel('Condition', { exact: true }).selectOption('equals');
    await page.getByLabel('Value', { exact: true }).fill('true');
    // The full-OS group needs the client and USMT content this lab site has not got: disabled.
    await item('Setup Operating System').locator('> .ts-row').click();
    await page.getByRole('tab', { name: 'Options' }).click();
    await page.getByLabel('Disable this group', { exact: true }).check();
    await record('editor', 'the task sequence editor');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel('Revision comment').fill('Drivers before network; network settings only on UEFI; no full-OS phase in the lab');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as revision 2').waitFor();
    // What the site stored: the group disabled, the condition, the order.
    const stored = JSON.stringify((await c.api('GET', `/task-sequences/${tsId}`)).json.sequence);
    expect(stored).toMatch(/"name":"Setup Operating System"[^{}]*"disable":true|"disable":true[^{}]*"name":"Setup Operating System"/);
    expect(stored).toContain('_SMSTSBootUEFI');
    c.expectNoErrors();
  }, 120_000);

  it('simulates it on a BIOS profile: the UEFI partition step is skipped with its reason', async () => {
    const { page } = c;
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.getByLabel('Example machine', { exact: true }).selectOption('bios-x64-desktop-bare-metal');
    await page.getByRole('button', { name: 'Run Simulation' }).click();
    await page.locator('.sim-summary').waitFor();
    await expect.poll(() => row('Partition Disk 0 - UEFI')).toMatch(/skipped: .*_SMSTSBootUEFI/i);
    expect(await row('Partition Disk 0 - BIOS')).toMatch(/\brun\b/);
    await record('simulation', 'the editor with the simulation');
    c.expectNoErrors();
  }, 120_000);

  it('deploys it through the Deploy Software Wizard', async () => {
    const { page } = c;
    await c.goto(`/software-library/task-sequences/${tsId}`);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByRole('heading', { name: 'General', level: 2 }).waitFor();
    const next = () => wizard('Deploy Software Wizard').getByRole('button', { name: 'Next >' }).click();
    await next();
    await errorAt('Collection', /Specify a collection/);
    await field('Collection').selectOption(collectionId);
    await next();
    await onPage('Deployment Settings');
    await field('Purpose').selectOption('required');
    await field('Make available to the following').selectOption('media-pxe');
    await next();
    await onPage('Scheduling');
    await next();
    await page.getByText('A Required deployment needs at least one assignment schedule').waitFor();
    await page.getByRole('button', { name: 'New…' }).click();
    await field('Assign').selectOption('asap');
    await page.getByRole('button', { name: 'Add schedule' }).click();
    await next();
    await onPage('User Experience');
    await next();
    await onPage('Distribution Points');
    await next();
    await onPage('Summary');
    await record('deploy-summary', 'the Deploy Software Wizard, summary');
    await next();
    await page.getByText('The Deploy Software Wizard completed successfully.').waitFor();
    deploymentId = /deployment ([A-Z0-9]{3}[0-9A-F]{5})/.exec((await page.locator('.wizard-completion').textContent()) ?? '')?.[1] ?? '';
    expect(deploymentId).toMatch(/^[A-Z0-9]{3}[0-9A-F]{5}$/);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.waitForURL(new RegExp(`/monitoring/deployments/${deploymentId}$`));
    c.expectNoErrors();
  }, 120_000);

  it("watches a lab machine's deployment reach Success in Monitoring and opens its log", async () => {
    const { page } = c;
    await page.getByRole('tab', { name: /Unknown \(1\)/ }).waitFor();
    const labs = join(dir, 'labs');
    await createLab(labs, 'acc', { profilePath: resolve('examples/machines/uefi-x64-laptop-bare-metal.json'), disks: ['2G'], mac: MAC });
    const r = await runLab(labs, ['lab', 'boot', 'acc', '--site', c.server.url]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Deployment ${deploymentId} ".*": succeeded`));
    await page.getByRole('tab', { name: /Success \(1\)/ }).waitFor({ timeout: 20_000 });
    await page.getByRole('tab', { name: /Success \(1\)/ }).click();
    await record('monitoring-deployment', 'the deployment status');
    await page.getByRole('link', { name: 'LAB-ACC-01' }).click();
    await page.getByRole('heading', { name: 'LAB-ACC-01: step history', level: 1 }).waitFor();
    const timeline = page.locator('table.timeline-table');
    await timeline.getByRole('row', { name: /Apply Operating System/ }).waitFor();
    expect(await timeline.getByRole('row', { name: /Apply Operating System/ }).textContent()).toMatch(/Succeeded/);
    await record('monitoring-timeline', 'the run timeline');
    await page.getByRole('link', { name: 'Open smsts.log' }).click();
    const grid = page.getByRole('grid', { name: /smsts\.log lines/ });
    await grid.locator('.log-rows [role=row]').first().waitFor();
    await page.getByLabel('Find', { exact: true }).fill('Apply Operating System');
    await page.getByRole('button', { name: 'Find Next' }).click();
    await page.getByText(/"Apply Operating System" found on line \d+/).waitFor();
    await record('smsts-log', 'the log viewer');
    c.expectNoErrors();
  }, 300_000);
});
