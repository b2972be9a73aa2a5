/**
 * The console's shell and its first page in a real browser (issue 15 item 6, acceptance): sign-in
 * with a wrong token (the site's refusal at the field) and the right one, the header and the
 * workspaces' navigation, nodes not built yet saying so, Software Library › Task Sequences (import
 * a corpus XML meeting the missing-name error, search, export, open its revision history, delete
 * with confirmation), and a read-only token that is offered nothing that changes anything. Each
 * main page is saved as a screenshot and checked with axe-core; no browser console errors.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaves } from '../../console/src/app/navigation.js';
import { CONSOLE_SKIP, corpusFile, openConsole, type ConsoleSession } from './browser.js';

const CORPUS = corpusFile('cm-export-module-bios-update.xml');

describe.skipIf(!!CONSOLE_SKIP)(`the console shell in chromium${CONSOLE_SKIP ? ` (skipped: ${CONSOLE_SKIP})` : ''}`, () => {
  let c: ConsoleSession;

  beforeAll(async () => {
    c = await openConsole();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('refuses a wrong token at the field, then signs in and shows the site, the actor and the workspaces', async () => {
    const { page } = c;
    await page.goto(`${c.server.url}/`);
    await page.getByRole('heading', { name: 'OpenOSD console' }).waitFor();
    await c.checkAccessibility('the sign-in page');
    await c.screenshot('sign-in');

    // Empty, then wrong: the error is tied to the field.
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('API token').fill('osd-not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('.field .error');
    await error.filter({ hasText: /token/i }).waitFor();
    const describedBy = await page.getByLabel('API token').getAttribute('aria-describedby');
    expect(describedBy).toContain(await error.getAttribute('id'));
    expect(await error.textContent()).not.toMatch(/\bosd [a-z]|--[a-z]|\/api\/v1/);
    await c.screenshot('sign-in-refused');

    await c.signIn();
    await expect.poll(() => page.url()).toBe(`${c.server.url}/software-library/task-sequences`);
    const header = page.getByRole('banner');
    await expect.poll(() => header.textContent()).toMatch(/Site PS1/);
    expect(await header.textContent()).toMatch(/Full Administrator/);
    const nav = page.getByRole('navigation', { name: 'Workspaces' });
    for (const label of ['Software Library', 'Assets and Compliance', 'Monitoring']) await nav.getByRole('heading', { name: label }).waitFor();
    for (const node of leaves()) expect(await nav.getByRole('link', { name: node.label, exact: true }).count(), node.label).toBe(1);
    // The token stays in this tab: a reload keeps the session.
    await page.reload();
    await page.getByRole('heading', { name: 'Task Sequences', level: 1 }).waitFor();
    c.expectNoErrors();
  });

  it('says which nodes are not built yet, and an unknown path is not found', async () => {
    const { page } = c;
    const nav = page.getByRole('navigation', { name: 'Workspaces' });
    for (const node of leaves()) {
      await nav.getByRole('link', { name: node.label, exact: true }).click();
      await page.getByRole('heading', { name: node.label, level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe(node.path);
      expect(await nav.getByRole('link', { name: node.label, exact: true }).getAttribute('aria-current')).toBe('page');
    }
    await page.goBack();
    await page.waitForURL(/\/monitoring\/deployments$/);
    await c.goto('/no-such-page');
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await c.goto('/monitoring/distribution-status');
    const text = await page.locator('main').textContent();
    if (/Not available yet/.test(text ?? '')) await c.screenshot('not-available-yet');
    await c.checkAccessibility('a node not built yet');
    c.expectNoErrors();
  });

  it.skipIf(!CORPUS)('imports, searches, exports, opens and deletes a task sequence (Software Library › Task Sequences)', async () => {
    const { page } = c;
    await c.goto('/software-library/task-sequences');
    await page.getByRole('heading', { name: 'Task Sequences', level: 1 }).waitFor();
    await page.getByText('There are no task sequences').waitFor();
    await c.screenshot('task-sequences-empty');

    // Import Task Sequence Wizard: Next is blocked until a file is chosen; the file has no name,
    // so the site's refusal comes back at the Name field of File Content.
    await page.getByRole('button', { name: 'Import Task Sequence' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import Task Sequence Wizard' });
    await dialog.waitFor();
    const pageHeading = dialog.locator('.wizard-page h2');
    await dialog.getByRole('button', { name: 'Next >' }).click();
    await dialog.getByText('Choose the task sequence file').waitFor();
    expect(await pageHeading.textContent()).toBe('General');
    expect(await dialog.getByRole('button', { name: 'Summary' }).isDisabled()).toBe(true);
    await c.checkAccessibility('the Import Task Sequence Wizard with an error');
    await dialog.getByLabel('Task sequence file').setInputFiles(CORPUS!);
    await dialog.getByRole('button', { name: 'Next >' }).click();
    await expect.poll(() => pageHeading.textContent()).toBe('File Content');
    await dialog.getByLabel('Revision comment').fill('from the corpus');
    await dialog.getByRole('button', { name: 'Next >' }).click();
    await expect.poll(() => pageHeading.textContent()).toBe('Summary');
    await dialog.getByRole('button', { name: 'Next >' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: /does not name the task sequence/ })
      .waitFor();
    expect(await pageHeading.textContent()).toBe('Completion');
    await c.screenshot('task-sequences-import-error');
    await dialog.getByRole('button', { name: '< Previous' }).click();
    await expect.poll(() => pageHeading.textContent()).toBe('File Content');
    const nameField = dialog.getByLabel('Name', { exact: true });
    expect(await nameField.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('.field.invalid .error').textContent()).toMatch(/does not name the task sequence/);
    // Back keeps what was typed.
    expect(await dialog.getByLabel('Revision comment').inputValue()).toBe('from the corpus');
    await nameField.fill('BIOS Update (corpus)');
    await dialog.getByRole('button', { name: 'Summary' }).click();
    await dialog.getByText('BIOS Update (corpus)').waitFor();
    await dialog.getByRole('button', { name: 'Next >' }).click();
    await dialog.getByText(/Imported "BIOS Update \(corpus\)" as PS1\w{5}: revision 1, 8 steps/).waitFor();
    await c.screenshot('task-sequences-import-completed');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const grid = page.getByRole('grid', { name: 'Task Sequences' });
    await grid.getByRole('row', { name: /BIOS Update \(corpus\)/ }).waitFor();

    // A second one, then search narrows the list.
    const other = await c.api('POST', '/task-sequences', {
      name: 'Another sequence',
      format: 'xml',
      content: readFileSync(CORPUS!, 'utf8'),
    });
    expect(other.status).toBe(201);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await grid.getByRole('row', { name: /Another sequence/ }).waitFor();
    await page.getByLabel('Search task sequences').fill('bios');
    await expect.poll(() => grid.locator('tbody tr[data-row]').count()).toBe(1);
    await c.screenshot('task-sequences');
    await c.checkAccessibility('the Task Sequences list');

    // Keyboard: the row is selected with the arrow key from the search box, then exported.
    await page.getByLabel('Search task sequences').press('ArrowDown');
    await expect.poll(() => grid.getByRole('row', { name: /BIOS Update/ }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('button', { name: 'Export' }).click();
    const exportDialog = page.getByRole('dialog', { name: 'Export Task Sequence' });
    const [download] = await Promise.all([page.waitForEvent('download'), exportDialog.getByRole('button', { name: 'Export' }).click()]);
    const exported = readFileSync((await download.path())!, 'utf8');
    expect(exported).toContain('<sequence');
    expect(exported).toContain('Set MDM Variables');
    await exportDialog.waitFor({ state: 'hidden' });

    // Open: the revision history.
    await grid.getByRole('row', { name: /BIOS Update/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'BIOS Update (corpus)', level: 1 }).waitFor();
    // The steps as a tree, by keyboard: the first item, down, close and open a group, End, Home.
    const tree = page.getByRole('tree', { name: 'Task sequence steps' });
    const items = tree.getByRole('treeitem');
    await items.first().focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => tree.locator('[aria-selected="true"]').getAttribute('aria-level')).toBe('2');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => items.first().getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => items.first().getAttribute('aria-expanded')).toBe('false');
    expect(await items.count()).toBe(1);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => items.count()).toBeGreaterThan(1);
    await page.keyboard.press('End');
    await page.getByRole('region', { name: 'Selected step' }).getByText('Step', { exact: true }).waitFor();
    await page.keyboard.press('Home');
    await page.getByRole('region', { name: 'Selected step' }).getByText('Group', { exact: true }).waitFor();
    const revisions = page.getByRole('grid', { name: 'Revision History' });
    await revisions.getByRole('row', { name: /from the corpus/ }).waitFor();
    await c.screenshot('task-sequence-revisions');
    await c.checkAccessibility('a task sequence with its revision history');
    await page.getByRole('link', { name: 'Task Sequences' }).first().click();

    // Folders: move it to a new folder; the tree shows the folder, the folder shows it, the top does not.
    await grid.getByRole('row', { name: /BIOS Update/ }).click();
    await page.getByRole('button', { name: 'Move' }).click();
    const move = page.getByRole('dialog', { name: 'Move Selected Items' });
    await move.getByLabel('Folder').fill('Windows 11/Pilot');
    await move.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('status').filter({ hasText: 'Moved "BIOS Update (corpus)" to the folder Windows 11/Pilot' }).waitFor();
    const folders = page.getByRole('tree', { name: 'Task sequence folders' });
    await folders.getByRole('treeitem', { name: /^Pilot \(1\)/ }).waitFor();
    await expect.poll(() => grid.getByRole('row', { name: /BIOS Update/ }).count()).toBe(0);
    await folders
      .getByRole('treeitem', { name: /^Pilot/ })
      .locator('.tree-row')
      .first()
      .click();
    await expect.poll(() => new URL(page.url()).search).toBe('?folder=Windows%2011%2FPilot');
    await grid.getByRole('row', { name: /BIOS Update/ }).waitFor();
    await c.screenshot('task-sequences-folder');
    await c.checkAccessibility('a task sequence folder');
    await folders.getByRole('treeitem', { name: 'Task Sequences' }).locator('.tree-row').first().click();
    await grid.getByRole('row', { name: /Another sequence/ }).waitFor();

    // Delete, with confirmation (Esc cancels first).
    await page.getByLabel('Search task sequences').fill('');
    await grid.getByRole('row', { name: /Another sequence/ }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Task Sequence' });
    await confirm.waitFor();
    // The confirmation starts on Cancel, not on the button that deletes.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Cancel');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Deleted the task sequence "Another sequence"/ })
      .waitFor();
    await expect.poll(() => grid.getByRole('row', { name: /Another sequence/ }).count()).toBe(0);
    c.expectNoErrors();
  });

  it('offers a read-only token nothing that changes anything', async () => {
    const { page } = c;
    const token = await c.createToken('read-only-analyst');
    await c.goto('/software-library/task-sequences');
    await c.signOut();
    await c.signIn(token);
    await expect.poll(() => page.getByRole('banner').textContent()).toMatch(/Read-only Analyst/);
    await c.goto('/software-library/task-sequences');
    await page.getByRole('toolbar', { name: 'Task Sequences commands' }).waitFor();
    expect(await page.getByRole('button', { name: 'Import Task Sequence' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    // Reading stays: Export and Open are there.
    expect(await page.getByRole('button', { name: 'Export' }).count()).toBe(1);
    await c.screenshot('task-sequences-read-only');
    await c.checkAccessibility('the Task Sequences list, read-only');
    c.expectNoErrors();
  });
});
