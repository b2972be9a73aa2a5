/**
 * The Create Task Sequence Wizard in a real browser (issue 15 item 2, acceptance "walk the wizard
 * meeting each validation error"): against a real `osd server` holding real content (an x64 and an
 * x86 Windows PE boot image, the lab's 3-edition install.wim, the built-in client and USMT packages,
 * two applications of which one a task sequence may install), the wizard is walked page by page:
 * every rule of every page is met once with its error at its field in the console's words, Previous
 * keeps what was typed, the Summary lists the choices (secrets masked), and Next creates the task
 * sequence. What it created is the same as the site's wizard and `osd ts new install-image` make from
 * the same answers. A keyboard-only walk meets the site's own refusal (a name taken meanwhile) and goes
 * back to its field; Esc asks before leaving. Each page is saved as a screenshot and checked with
 * axe-core; no browser console errors.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { runOsd } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';
import { CONSOLE_SKIP, openConsole, type ConsoleSession } from './browser.js';

const ADMIN_PASSWORD = 'P@ssw0rd-local-admin';
const JOIN_PASSWORD = 'J0in-secret-password';
const FOLDER = 'Windows 11/Lab';

describe.skipIf(!!CONSOLE_SKIP)(`the Create Task Sequence Wizard in chromium${CONSOLE_SKIP ? ` (skipped: ${CONSOLE_SKIP})` : ''}`, () => {
  let c: ConsoleSession;
  let dir: string;
  let content: TestContent;
  let bootX64: string;
  let bootX86: string;
  let imageId: string;
  let appName: string;
  let appModel: string;

  const heading = () => c.page.locator('.wizard-page h2');
  const wizard = () => c.page.getByRole('region', { name: 'Create Task Sequence Wizard' });
  const next = () => wizard().getByRole('button', { name: 'Next >' }).click();
  const previous = () => wizard().getByRole('button', { name: '< Previous' }).click();
  const onPage = (title: string) => expect.poll(() => heading().textContent()).toBe(title);

  /** A control by its label exactly (a required field's label ends with a decorative *). */
  const field = (label: string) => wizard().getByLabel(new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\*)?\\s*$`));

  /** The error shown at a field: tied to the control (aria-invalid, aria-describedby). */
  async function errorAt(label: string, text: string | RegExp): Promise<void> {
    const control = field(label);
    await expect.poll(() => control.getAttribute('aria-invalid'), { message: `${label} is marked invalid` }).toBe('true');
    const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    const texts = await Promise.all(ids.map((id) => c.page.locator(`[id="${id}"]`).textContent()));
    // The error comes after the field's hint.
    expect(texts.at(-1), `the error at ${label}`).toMatch(text);
    // The console's words: no command, option or API route.
    expect(texts.join(' ')).not.toMatch(/\bosd [a-z]|--[a-z]|\/api\/v1|answers file/);
  }

  async function noErrorAt(label: string): Promise<void> {
    await expect.poll(() => field(label).getAttribute('aria-invalid')).toBeNull();
  }

  /** Screenshot and accessibility check of the page as it is now. */
  async function record(name: string): Promise<void> {
    await c.screenshot(`create-ts-wizard-${name}`);
    await c.checkAccessibility(`the Create Task Sequence Wizard: ${name}`);
  }

  beforeAll(async () => {
    dir = tempDir('openosd-console-wizard-');
    content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 1 });
    const winpe = await makeWim(join(dir, 'boot'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe x64' },
      { name: 'Microsoft Windows PE (x86)', description: 'WinPE', properties: WINPE_PROPERTIES(0, [10, 0, 22621]), payload: 'winpe x86' },
    ]);
    c = await openConsole({ serverArgs: ['--source-root', dir] });
    const add = async (path: string, body: unknown) => {
      const r = await c.api('POST', path, body);
      expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBe(201);
      return r.json;
    };
    bootX64 = (await add('/boot-images', { sourcePath: winpe, imageIndex: 1, name: 'Boot image (x64)' })).packageId;
    bootX86 = (await add('/boot-images', { sourcePath: winpe, imageIndex: 2, name: 'Boot image (x86)' })).packageId;
    imageId = (await add('/os-images', { sourcePath: content.wimPath, name: 'Windows 11 lab image' })).packageId;
    const deploymentType = {
      name: 'Install',
      technology: 'script',
      installCommand: 'install.cmd',
      detectionMethod: { kind: 'file', value: '%ProgramFiles%\\Contoso\\app.exe' },
    };
    const app = await add('/applications', {
      name: 'Contoso Notes',
      publisher: 'Contoso',
      softwareVersion: '2.1',
      allowTaskSequenceInstall: true,
      deploymentTypes: [deploymentType],
    });
    appName = app.name;
    appModel = app.modelName;
    await add('/applications', { name: 'Not For Task Sequences', allowTaskSequenceInstall: false, deploymentTypes: [deploymentType] });
    // A name already taken: the wizard says so on Task Sequence Information.
    const existing = await add('/task-sequences/wizard/install-image', {
      taskSequence: { name: 'Existing Windows 11', bootImageId: bootX64 },
      installWindows: { imagePackageId: imageId },
    });
    // … in a folder of the Task Sequences node: the wizard started there creates its task sequence there.
    const moved = await c.api('PATCH', `/task-sequences/${existing.taskSequence.id}`, { folder: FOLDER });
    expect(moved.status, JSON.stringify(moved.json)).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await c?.close();
  });

  it('walks every page, meeting each rule with its error at its field, and creates what the site and the CLI make of the same answers', async () => {
    const { page } = c;
    await c.signIn();
    await c.goto(`/software-library/task-sequences?folder=${encodeURIComponent(FOLDER)}`);
    await page
      .getByRole('grid')
      .getByRole('row', { name: /Existing Windows 11/ })
      .waitFor();
    await page.getByRole('button', { name: 'Create Task Sequence' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/software-library/task-sequences/new');
    expect(new URL(page.url()).searchParams.get('folder')).toBe(FOLDER);
    await page.getByRole('heading', { name: 'Create Task Sequence Wizard', level: 1 }).waitFor();
    await onPage('Create a New Task Sequence');
    expect(await field('Install an existing image package').isChecked()).toBe(true);
    expect(await field('Create a new custom task sequence').isDisabled()).toBe(true);
    await record('create-a-new-task-sequence');
    await next();

    // Task Sequence Information: nothing given → name and boot image are required.
    await onPage('Task Sequence Information');
    await next();
    await errorAt('Task sequence name', /^Task sequence name is required\.$/);
    await errorAt('Boot image', /^Select a boot image\.$/);
    await onPage('Task Sequence Information');
    expect(await wizard().getByRole('button', { name: 'Summary' }).isDisabled()).toBe(true);
    await record('task-sequence-information-errors');
    const name = field('Task sequence name');
    await name.fill('W'.repeat(51));
    await errorAt('Task sequence name', /can't exceed 50 characters \(it has 51\)/);
    await name.fill('W'.repeat(50));
    await noErrorAt('Task sequence name');
    await name.fill('existing windows 11');
    await errorAt('Task sequence name', /A task sequence named "existing windows 11" already exists/);
    await name.fill('Windows 11 Enterprise - contoso.com');
    await field('Description').fill('d'.repeat(513));
    await errorAt('Description', /The description can't exceed 512 characters \(it has 513\)/);
    await field('Description').fill('Joins contoso.com.');
    // An x86 boot image: the image chosen next is x64, which it can't install.
    await field('Boot image').selectOption(bootX86);
    await noErrorAt('Boot image');
    await field('Run as high performance power plan').uncheck();
    await next();

    // Install Windows.
    await onPage('Install Windows');
    expect(await field('Image index').isDisabled()).toBe(true);
    await next();
    await errorAt('Image package', /^Select an image package\.$/);
    await record('install-windows-errors');
    await field('Image package').selectOption(imageId);
    const indexes = await field('Image index').locator('option').allTextContents();
    expect(indexes.map((t) => t.replace(/ \(.*$/, ''))).toEqual(content.images.map((i) => `${i.index} - ${i.name}`));
    expect(await field('Image index').inputValue()).toBe('1');
    await field('Image index').selectOption('2');
    await next();
    await errorAt('Image index', /"Boot image \(x86\)" is x86 and can't install this x64 image/);
    // Previous keeps what was typed: back to the boot image.
    await previous();
    await onPage('Task Sequence Information');
    expect(await name.inputValue()).toBe('Windows 11 Enterprise - contoso.com');
    expect(await field('Description').inputValue()).toBe('Joins contoso.com.');
    expect(await field('Run as high performance power plan').isChecked()).toBe(false);
    await field('Boot image').selectOption(bootX64);
    await next();
    await onPage('Install Windows');
    expect(await field('Image package').inputValue()).toBe(imageId);
    expect(await field('Image index').inputValue()).toBe('2');
    await noErrorAt('Image index');
    await field('Configure task sequence for use with BitLocker').uncheck();
    const key = field('Product key');
    await key.fill('ABCDE-FGHIJ');
    await next();
    await errorAt('Product key', /^Enter the product key in the format XXXXX-XXXXX-XXXXX-XXXXX-XXXXX\.$/);
    await key.fill('abcde-fghij-klmno-pqrst-uvwxy');
    await noErrorAt('Product key');
    await field('Enable the account and specify the local administrator password').check();
    await next();
    await errorAt('Password', /^Enter the local administrator password\.$/);
    await field('Password').fill(ADMIN_PASSWORD);
    await field('Confirm password').fill(`${ADMIN_PASSWORD}x`);
    await errorAt('Confirm password', /^The passwords don't match\. Type the password again\.$/);
    await record('install-windows-password-mismatch');
    await field('Confirm password').fill(ADMIN_PASSWORD);
    await noErrorAt('Confirm password');
    await next();

    // Configure Network: the workgroup's rules, then a domain join.
    await onPage('Configure Network');
    const workgroup = field('Workgroup');
    expect(await workgroup.inputValue()).toBe('WORKGROUP');
    await workgroup.fill('');
    await next();
    await errorAt('Workgroup', /^Enter the name of the workgroup\.$/);
    await workgroup.fill('W'.repeat(33));
    await errorAt('Workgroup', /can't exceed 32 characters/);
    await workgroup.fill('LAB/WG');
    await errorAt('Workgroup', /can't contain any of these characters/);
    await field('Join a domain').check();
    await next();
    await errorAt('Domain', /^Enter the name of the domain, e\.g\. contoso\.com\.$/);
    await errorAt('User name', /^Specify the account that has permission to join the domain\.$/);
    await errorAt('Password', /^Enter the password of the account\.$/);
    await record('configure-network-domain-errors');
    await field('Domain').fill('contoso..com');
    await errorAt('Domain', /empty part/);
    await field('Domain').fill('contoso.com');
    const ou = field('Domain OU');
    await ou.fill('LDAP//OU=Workstations,DC=contoso,DC=com');
    await errorAt('Domain OU', /Enter the prefix as LDAP:\/\/ \(with a colon\)/);
    await ou.fill('OU=Workstations');
    await errorAt('Domain OU', /with its OU= and DC= parts/);
    // DC= parts of another domain only warn.
    await ou.fill('OU=Workstations,DC=fabrikam,DC=com');
    await noErrorAt('Domain OU');
    await wizard().getByText('Warning: The DC= parts name fabrikam.com, but the domain is contoso.com.').waitFor();
    await ou.fill('OU=Workstations,DC=contoso,DC=com');
    await field('User name').fill('svc-join');
    await errorAt('User name', /Enter the account as DOMAIN\\user name, or a task sequence variable/);
    await field('User name').fill('CONTOSO\\svc-join');
    await field('Password').fill(JOIN_PASSWORD);
    await field('Confirm password').fill('different');
    await errorAt('Confirm password', /^The passwords don't match\. Type the password again\.$/);
    await field('Confirm password').fill(JOIN_PASSWORD);
    await next();

    // Install Configuration Manager: the built-in client package is chosen.
    await onPage('Install Configuration Manager');
    const builtInClient = await field('Package').inputValue();
    expect(await field('Package').locator('option:checked').textContent()).toMatch(/Configuration Manager Client Package/);
    const props = field('Installation properties');
    await props.fill('SMSSITECODE=PS1 SMSCACHESIZE=10240');
    await next();
    await errorAt('Installation properties', /can't include SMSSITECODE/);
    await props.fill('FSP="fsp 01');
    await errorAt('Installation properties', /A quotation mark is missing/);
    await props.fill('SMSCACHESIZE=10240');
    await field('Use pre-production client package when available').check();
    await errorAt('Pre-production client package', /^Select the pre-production client package\.$/);
    await record('install-configuration-manager-errors');
    await field('Use pre-production client package when available').uncheck();
    await field('Package').selectOption('');
    await errorAt('Package', /^Select the Configuration Manager client package\.$/);
    await field('Package').selectOption(builtInClient);
    await next();

    // State Migration: user state needs a USMT package; links only when saving locally.
    await onPage('State Migration');
    const usmt = field('User State Migration Tool package');
    expect(await usmt.locator('option:checked').textContent()).toMatch(/User State Migration Tool for Windows/);
    const builtInUsmt = await usmt.inputValue();
    expect(await field('Capture locally by using links instead of by copying files').isDisabled()).toBe(true);
    await usmt.selectOption('');
    await next();
    await errorAt('User State Migration Tool package', /^Select a User State Migration Tool package\.$/);
    await record('state-migration-errors');
    await usmt.selectOption(builtInUsmt);
    await field('Save user settings and files locally').check();
    await field('Capture locally by using links instead of by copying files').check();
    await field('Capture network settings').uncheck();
    await next();

    // Include Updates.
    await onPage('Include Updates');
    expect(await field('Required for installation – Mandatory software updates only').isChecked()).toBe(true);
    await field('Available for installation – All software updates').check();
    await record('include-updates');
    await next();

    // Install Applications: only what a task sequence may install is offered.
    await onPage('Install Applications');
    expect(await field('If an application installation fails, continue installing other applications in the list').isDisabled()).toBe(true);
    await wizard().getByRole('button', { name: 'Add…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Select the applications to install' });
    await dialog.waitFor();
    expect(await dialog.getByLabel(/Not For Task Sequences/).count()).toBe(0);
    await dialog.getByText(/1 application is not shown/).waitFor();
    await c.checkAccessibility('the Select the applications to install dialog');
    await dialog.getByLabel(/Contoso Notes 2\.1/).check();
    await dialog.getByRole('button', { name: 'OK' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await field('Applications to install, in order').locator('option').allTextContents()).toEqual([appName]);
    await field('If an application installation fails, continue installing other applications in the list').check();
    await record('install-applications');
    await next();

    // Summary: every choice, secrets masked.
    await onPage('Summary');
    const summary = (await wizard().locator('.wizard-summary').textContent()) ?? '';
    for (const text of [
      `Task Sequences / ${FOLDER}`,
      'Windows 11 Enterprise - contoso.com',
      'Boot image (x64)',
      '2 - Windows 11 Enterprise',
      '*****-*****-*****-*****-UVWXY',
      'contoso.com',
      'LDAP://OU=Workstations,DC=contoso,DC=com',
      'CONTOSO\\svc-join',
      'SMSCACHESIZE=10240',
      'locally by using links',
      'Available for installation – All software updates',
      `1. ${appName}`,
    ]) {
      expect(summary, `the Summary shows ${text}`).toContain(text);
    }
    expect(summary).not.toContain(ADMIN_PASSWORD);
    expect(summary).not.toContain(JOIN_PASSWORD);
    await record('summary');
    // Previous from Summary, and the Summary button back.
    await previous();
    await onPage('Install Applications');
    expect(await field('Applications to install, in order').locator('option').count()).toBe(1);
    await wizard().getByRole('button', { name: 'Summary' }).click();
    await onPage('Summary');

    // Next on Summary creates it; the request holds the answers.
    const sent = page.waitForRequest((r: Request) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/task-sequences/wizard/install-image');
    await next();
    const answers = (await sent).postDataJSON() as Record<string, any>;
    await onPage('Completion');
    await wizard().getByText('The Create Task Sequence Wizard completed successfully.').waitFor();
    const created = ((await wizard().locator('.wizard-completion').textContent()) ?? '').match(/\(([A-Z0-9]{3}[0-9A-F]{5})\)/)?.[1];
    expect(created).toBeDefined();
    await record('completion');

    // The answers are the pages' values with the console's defaults and its own values.
    expect(answers).toMatchObject({
      taskSequence: { name: 'Windows 11 Enterprise - contoso.com', description: 'Joins contoso.com.', bootImageId: bootX64, highPerformancePowerPlan: false },
      installWindows: {
        imagePackageId: imageId,
        imageIndex: 2,
        partitionAndFormat: true,
        configureBitLocker: false,
        productKey: 'abcde-fghij-klmno-pqrst-uvwxy',
        localAdministrator: { mode: 'enabled', password: ADMIN_PASSWORD, confirmPassword: ADMIN_PASSWORD },
      },
      configureNetwork: {
        join: 'domain',
        domain: 'contoso.com',
        domainOU: 'OU=Workstations,DC=contoso,DC=com',
        account: 'CONTOSO\\svc-join',
        password: JOIN_PASSWORD,
        confirmPassword: JOIN_PASSWORD,
      },
      installConfigMgr: { usePreProductionClient: false, installationProperties: 'SMSCACHESIZE=10240' },
      stateMigration: { captureUserSettings: true, saveTo: 'local', useHardLinks: true, captureNetworkSettings: false, captureWindowsSettings: true },
      includeUpdates: 'all',
      installApplications: { applications: [appModel], continueOnFailure: true },
    });

    // Close goes back to the folder, which shows it.
    await wizard().getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/software-library/task-sequences');
    expect(new URL(page.url()).searchParams.get('folder')).toBe(FOLDER);
    await page
      .getByRole('grid')
      .getByRole('row', { name: /Windows 11 Enterprise - contoso\.com/ })
      .waitFor();

    // The same task sequence as the site's wizard makes of the same answers …
    const exported = async (id: string, format: string) => {
      const r = await fetch(`${c.server.url}/api/v1/task-sequences/${id}/export?format=${format}`, { headers: { authorization: `Bearer ${c.server.token}` } });
      expect(r.status).toBe(200);
      return r.text();
    };
    const consoleXml = await exported(created!, 'xml');
    const consoleJson = JSON.parse(await exported(created!, 'json'));
    const detail = (await c.api('GET', `/task-sequences/${created}`)).json;
    expect(detail).toMatchObject({
      name: 'Windows 11 Enterprise - contoso.com',
      description: 'Joins contoso.com.',
      bootImageId: bootX64,
      type: 2,
      folder: FOLDER,
    });
    expect(consoleXml).not.toContain(ADMIN_PASSWORD);
    expect(consoleXml).not.toContain(JOIN_PASSWORD);
    expect((await c.api('DELETE', `/task-sequences/${created}`)).status).toBeLessThan(300);
    const again = await c.api('POST', '/task-sequences/wizard/install-image', answers);
    expect(again.status, JSON.stringify(again.json)).toBe(201);
    expect(await exported(again.json.taskSequence.id, 'xml')).toBe(consoleXml);
    expect(JSON.parse(await exported(again.json.taskSequence.id, 'json'))).toEqual(consoleJson);

    // … and as `osd ts new install-image` makes of them with the site's content as its manifest.
    const manifest = await siteManifest(c);
    writeFileSync(join(dir, 'site.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'answers.json'), JSON.stringify(answers));
    const cli = await runOsd('ts', 'new', 'install-image', '--answers', join(dir, 'answers.json'), '--site', join(dir, 'site.json'), '--format', 'json');
    expect(cli.code, cli.stderr).toBe(0);
    expect(withoutSecrets(JSON.parse(cli.stdout))).toEqual(withoutSecrets(consoleJson));
    c.expectNoErrors();
  });

  it('works by keyboard alone: Enter is Next, the site refusing a name goes back to its field, Esc asks before leaving', async () => {
    const { page } = c;
    await c.goto('/software-library/task-sequences/new');
    await onPage('Create a New Task Sequence');
    // Someone else takes the name while the wizard is open: only the site can tell.
    const taken = 'Windows 11 Pro - lab';
    const other = await c.api('POST', '/task-sequences/wizard/install-image', {
      taskSequence: { name: taken, bootImageId: bootX64 },
      installWindows: { imagePackageId: imageId },
    });
    expect(other.status, JSON.stringify(other.json)).toBe(201);

    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id ?? '');
    const labelOfFocus = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return '';
        const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
        return (label?.textContent ?? el.closest('label')?.textContent ?? el.textContent ?? '').trim();
      });
    const tabTo = async (label: string | RegExp, max = 25) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const at = await labelOfFocus();
        if (typeof label === 'string' ? at === label : label.test(at)) return;
      }
      throw new Error(`Tab never reached ${String(label)} (focus: ${await focused()})`);
    };

    await tabTo('Install an existing image package');
    await page.keyboard.press('Enter');
    await onPage('Task Sequence Information');
    // Enter on a page that is not valid shows its errors and stays.
    await tabTo(/^Task sequence name/);
    await page.keyboard.press('Enter');
    await errorAt('Task sequence name', /required/);
    await page.keyboard.type(taken);
    await tabTo(/^Boot image/);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => field('Boot image').inputValue()).toBe(bootX64);
    await page.keyboard.press('Enter');
    await onPage('Install Windows');
    await tabTo(/^Image package/);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => field('Image package').inputValue()).toBe(imageId);
    await page.keyboard.press('Enter');
    for (const title of ['Configure Network', 'Install Configuration Manager', 'State Migration', 'Include Updates', 'Install Applications', 'Summary']) {
      await onPage(title);
      // The page's heading has the focus: Enter goes on.
      await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H2');
      await page.keyboard.press('Enter');
    }
    await onPage('Completion');
    await wizard()
      .getByRole('alert')
      .filter({ hasText: /already named/ })
      .waitFor();
    await record('completion-refused');
    await tabTo('< Previous');
    await page.keyboard.press('Enter');
    await onPage('Task Sequence Information');
    await errorAt('Task sequence name', /The site refused this: .*already named/);
    await tabTo(/^Task sequence name/);
    await page.keyboard.press('End');
    await page.keyboard.type(' (2)');
    await noErrorAt('Task sequence name');
    await tabTo('Summary');
    await page.keyboard.press('Enter');
    await onPage('Summary');
    await page.keyboard.press('Enter');
    await onPage('Completion');
    await wizard().getByText(`Created the task sequence "${taken} (2)"`).waitFor();
    await tabTo('Close');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/software-library/task-sequences');

    // Esc is Cancel, and asks first: Esc again keeps the wizard, confirming leaves it.
    await c.goto('/software-library/task-sequences/new');
    await onPage('Create a New Task Sequence');
    await tabTo('Install an existing image package');
    await page.keyboard.press('Enter');
    await onPage('Task Sequence Information');
    await tabTo(/^Task sequence name/);
    await page.keyboard.type('Not kept');
    await page.keyboard.press('Escape');
    const confirm = page.getByRole('dialog', { name: 'Cancel the wizard' });
    await confirm.waitFor();
    await record('cancel-confirmation');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await field('Task sequence name').inputValue()).toBe('Not kept');
    await page.keyboard.press('Escape');
    await confirm.waitFor();
    for (let i = 0; i < 4 && (await labelOfFocus()) !== 'Exit the wizard'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/software-library/task-sequences');
    expect((await c.api('GET', '/task-sequences')).json.map((t: { name: string }) => t.name)).not.toContain('Not kept');
    c.expectNoErrors();
  });

  it('is not offered to a role that may not create task sequences', async () => {
    const { page } = c;
    const reader = await c.createToken('read-only-analyst');
    await c.signOut();
    await c.signIn(reader);
    await c.goto('/software-library/task-sequences');
    await page.getByRole('button', { name: 'Refresh' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create Task Sequence' }).count()).toBe(0);
    await c.goto('/software-library/task-sequences/new');
    await page.getByText("Your security role can't create task sequences.").waitFor();
    expect(await page.getByRole('button', { name: 'Next >' }).count()).toBe(0);
    c.expectNoErrors();
  });
});

/** The site's content as a site manifest (docs/site-manifest.md), read through the API as an administrator would. */
async function siteManifest(c: ConsoleSession): Promise<Record<string, unknown>> {
  const get = async (path: string) => (await c.api('GET', path)).json as any[];
  const packages = await get('/packages?type=0');
  const base = (p: any) => ({ id: p.packageId, name: p.name, ...(p.version ? { version: p.version } : {}) });
  return {
    site: (await c.api('GET', '/site')).json.siteCode,
    bootImages: (await get('/boot-images')).map((b) => ({ ...base(b), architecture: b.properties.architecture, pxeEnabled: b.properties.pxeEnabled })),
    imagePackages: (await get('/os-images')).map((o) => ({
      ...base(o),
      images: o.properties.images.map((i: any) => ({
        index: i.index,
        name: i.name,
        ...(i.description ? { description: i.description } : {}),
        ...(['x86', 'x64', 'arm64'].includes(i.architecture) ? { architecture: i.architecture } : {}),
        ...(i.edition ? { edition: i.edition } : {}),
        ...(i.version ? { version: i.version } : {}),
        ...(i.languages.length ? { languages: i.languages } : {}),
      })),
    })),
    upgradePackages: [],
    clientPackages: packages.filter((p) => p.properties.builtIn === 'client').map(base),
    usmtPackages: packages.filter((p) => p.properties.builtIn === 'usmt').map(base),
    driverPackages: [],
    packages: packages.filter((p) => !p.builtIn).map(base),
    taskSequences: [],
    applications: (await get('/applications')).map((a) => ({ modelName: a.modelName, name: a.name, allowTaskSequenceInstall: a.allowTaskSequenceInstall })),
  };
}

/** A task sequence document with every secret value emptied (exports write them empty; the product key is a QuasiSecret). */
const SECRET_VARIABLES = new Set(['OSDLocalAdminPassword', 'OSDJoinPassword', 'OSDProductKey']);
function withoutSecrets(doc: unknown): unknown {
  return JSON.parse(JSON.stringify(doc), function (this: Record<string, unknown>, key, value) {
    if (key === 'secret') return undefined;
    if (key === 'value' && typeof this.name === 'string' && SECRET_VARIABLES.has(this.name)) return '';
    return value;
  });
}
