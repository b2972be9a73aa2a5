/**
 * The task sequence editor in a real browser (issue 15 item 3 and its acceptance): a sequence the
 * wizard made, opened in the editor; keyboard-only use of the tree; a step moved with the keyboard
 * and by dragging; a condition added (_SMSTSBootUEFI equals true); a step copied and pasted; a
 * property edited; lint findings on their steps; saved as a new revision with a comment; a stale
 * base explained without losing the edits; simulated on a BIOS profile with the UEFI partition step
 * skipped and its reason on the tree; a read-only token offered nothing that changes anything.
 * Screenshots of each state, the accessibility check, no browser console errors.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SKIP, openConsole, type ConsoleSession } from './browser.js';

interface Item {
  kind: string;
  name?: string;
  items?: Item[];
  condition?: { operands: Array<{ type?: string; properties?: Array<{ name: string; value: string }> }> };
  variables?: Array<{ name: string; value: string }>;
}

function names(items: Item[]): string[] {
  return items.filter((i) => i.kind !== 'raw').map((i) => i.name ?? '');
}

function find(items: Item[], name: string): Item | undefined {
  for (const i of items) {
    if (i.name === name) return i;
    const inner = i.items && find(i.items, name);
    if (inner) return inner;
  }
  return undefined;
}

describe.skipIf(!!CONSOLE_SKIP)(`the task sequence editor in chromium${CONSOLE_SKIP ? ` (skipped: ${CONSOLE_SKIP})` : ''}`, () => {
  let c: ConsoleSession;
  let id: string;
  const editor = () => `/software-library/task-sequences/${id}/edit`;
  const tree = () => c.page.getByRole('tree', { name: 'Groups and steps' });
  const item = (name: string) => tree().locator(`[role="treeitem"][data-label="${name}"]`).first();
  const row = (name: string) => item(name).locator('> .ts-row').textContent();
  const childNames = async (group: string) =>
    tree().locator(`[role="treeitem"][data-label="${group}"] > ul > [role="treeitem"] > .ts-row .ts-label`).allTextContents();
  const stored = async () => (await c.api('GET', `/task-sequences/${id}`)).json.sequence.sequence.items as Item[];

  beforeAll(async () => {
    c = await openConsole();
    // The wizard's sequence (osd ts new install-image, the 19H2 export's options), imported through the API.
    const xml = execFileSync(
      process.execPath,
      ['bin/osd.js', 'ts', 'new', 'install-image', '-a', 'examples/wizard/minimal-workgroup.yaml', '-s', 'examples/wizard/site.json'],
      {
        encoding: 'utf8',
      },
    );
    const r = await c.api('POST', '/task-sequences', { name: 'Windows 11 Enterprise - workgroup', format: 'xml', content: xml, message: 'from the wizard' });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    id = r.json.taskSequence.id;
    await c.signIn();
  }, 120_000);
  afterAll(async () => {
    await c?.close();
  });

  it('opens the sequence as a tree with lint findings, usable with the keyboard alone', async () => {
    const { page } = c;
    await c.goto(editor());
    await page.getByRole('heading', { name: /Task Sequence Editor: Windows 11 Enterprise - workgroup/ }).waitFor();
    await item('Install Operating System').waitFor();
    expect(await childNames('Install Operating System')).toEqual([
      'Restart in Windows PE',
      'Partition Disk 0 - BIOS',
      'Partition Disk 0 - UEFI',
      'Apply Operating System',
      'Apply Windows Settings',
      'Apply Network Settings',
      'Apply Device Drivers',
    ]);
    // Lint: the image package of the example site is not on this site — an error on its step.
    await expect.poll(() => row('Apply Operating System')).toMatch(/error/);
    await expect.poll(() => page.locator('.ts-summary').textContent()).toMatch(/lint: [1-9]\d* errors/);

    // Keyboard only: Tab reaches the tree's one tab stop; arrows, Home/End, ←/→ walk it.
    await page.getByRole('toolbar', { name: 'Editor commands' }).getByRole('button', { name: 'Simulate' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-label') ?? document.activeElement?.tagName);
    await expect.poll(focused).toBe('Install Operating System');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('Restart in Windows PE');
    expect(await item('Restart in Windows PE').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('End');
    await expect.poll(focused).toBe('Setup Windows and Configuration Manager');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(focused).toBe('Setup Operating System');
    await page.keyboard.press('ArrowLeft');
    expect(await item('Setup Operating System').getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('ArrowRight');
    expect(await item('Setup Operating System').getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Home');
    await expect.poll(focused).toBe('Install Operating System');
    // The details pane follows the selection: its Properties tab names the item.
    await expect.poll(() => page.getByRole('textbox', { name: 'Name', exact: true }).inputValue()).toBe('Install Operating System');
    await c.screenshot('editor');
    await c.checkAccessibility('the task sequence editor');
    c.expectNoErrors();
  });

  it('moves steps with the keyboard and by dragging, adds a condition, copies and pastes, edits a property', async () => {
    const { page } = c;
    // Keyboard: Alt+↑ moves Apply Windows Settings above Apply Operating System.
    await item('Apply Windows Settings').click();
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => childNames('Install Operating System')).toContain('Apply Windows Settings');
    const order = await childNames('Install Operating System');
    expect(order.indexOf('Apply Windows Settings')).toBe(order.indexOf('Apply Operating System') - 1);
    // …and Alt+↓ puts it back: the focus stays on the moved step.
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(async () => (await childNames('Install Operating System')).indexOf('Apply Windows Settings')).toBe(4);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-label'))).toBe('Apply Windows Settings');

    // Drag: Apply Device Drivers onto the upper part of Apply Network Settings goes before it.
    const target = item('Apply Network Settings').locator('> .ts-row');
    const box = (await target.boundingBox())!;
    await item('Apply Device Drivers')
      .locator('> .ts-row')
      .dragTo(target, { targetPosition: { x: 20, y: Math.max(1, Math.floor(box.height * 0.15)) } });
    await expect.poll(async () => (await childNames('Install Operating System')).slice(5)).toEqual(['Apply Device Drivers', 'Apply Network Settings']);

    // A condition on Apply Network Settings: the task sequence variable _SMSTSBootUEFI equals true.
    await item('Apply Network Settings').click();
    await page.getByRole('tab', { name: 'Options' }).click();
    await page.getByLabel('Condition to add', { exact: true }).selectOption({ label: 'Task Sequence Variable' });
    await page.getByRole('button', { name: 'Add Condition', exact: true }).click();
    const variable = page.getByRole('textbox', { name: 'Variable', exact: true });
    // Empty, the field says what it needs.
    await expect.poll(() => variable.getAttribute('aria-invalid')).toBe('true');
    await variable.fill('_SMSTSBootUEFI');
    await page.getByLabel('Condition', { exact: true }).selectOption('equals');
    await page.getByLabel('Value', { exact: true }).fill('true');
    expect(await variable.getAttribute('aria-invalid')).toBeNull();
    await c.screenshot('editor-condition');
    await c.checkAccessibility('the editor, Options tab with a condition');

    // Copy and paste Restart in Windows PE (Ctrl+C / Ctrl+V on the tree): the copy follows it.
    await item('Restart in Windows PE').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(async () => (await childNames('Install Operating System')).slice(0, 2)).toEqual(['Restart in Windows PE', 'Restart in Windows PE']);
    // The copy is selected: rename it, and give it a 30-second notification (its typed form).
    await page.getByRole('tab', { name: 'Properties' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Restart in Windows PE (again)');
    await page.getByLabel('Message display time-out (seconds)').fill('30');
    await page.getByLabel('Specify what to run after restart').selectOption('HD');
    // A name over the editor's 50 characters is refused at the field.
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('x'.repeat(51));
    await expect.poll(() => page.getByRole('textbox', { name: 'Name', exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Restart in Windows PE (again)');
    c.expectNoErrors();
  });

  it('saves as a new revision with a comment', async () => {
    const { page } = c;
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog', { name: 'Save as a new revision' }).waitFor();
    await page.getByLabel('Revision comment').fill('Network settings only on UEFI; a second restart');
    await c.screenshot('editor-save');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as revision 2').waitFor();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/revision 2\)/);
    const revisions = (await c.api('GET', `/task-sequences/${id}/revisions`)).json;
    expect(revisions[0]).toMatchObject({ revision: 2, message: 'Network settings only on UEFI; a second restart' });
    const items = await stored();
    const install = find(items, 'Install Operating System')!;
    expect(names(install.items!)).toEqual([
      'Restart in Windows PE',
      'Restart in Windows PE (again)',
      'Partition Disk 0 - BIOS',
      'Partition Disk 0 - UEFI',
      'Apply Operating System',
      'Apply Windows Settings',
      'Apply Device Drivers',
      'Apply Network Settings',
    ]);
    const network = find(items, 'Apply Network Settings')!;
    expect(network.condition!.operands).toEqual([
      {
        kind: 'expression',
        type: 'SMS_TaskSequence_VariableConditionExpression',
        properties: [
          { name: 'Operator', value: 'equals' },
          { name: 'Value', value: 'true' },
          { name: 'Variable', value: '_SMSTSBootUEFI' },
        ],
      },
    ]);
    const again = find(items, 'Restart in Windows PE (again)') as Item & { action?: string };
    expect(again.variables!.find((v) => v.name === 'SMSRebootTimeout')?.value).toBe('30');
    // The command line follows the property, as ConfigMgr's console rebuilds it on save.
    expect(again.action).toBe('smsboot.exe /target:HD');
    // Untouched steps are as the wizard made them (the original restart kept its WinPE target).
    expect((find(items, 'Restart in Windows PE') as Item & { action?: string }).action).toBe('smsboot.exe /target:WinPE');
    c.expectNoErrors();
  });

  it('explains a stale base and keeps the edits, then saves them over the latest revision', async () => {
    const { page } = c;
    // Someone else saves revision 3 meanwhile.
    const doc = (await c.api('GET', `/task-sequences/${id}`)).json.sequence;
    const other = await c.api('PUT', `/task-sequences/${id}`, { baseRevision: 2, message: 'someone else', sequence: doc });
    expect(other.status, JSON.stringify(other.json)).toBe(200);
    // Our edit on revision 2: rename Apply Device Drivers.
    await item('Apply Device Drivers').click();
    await page.getByRole('tab', { name: 'Properties' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Apply Device Drivers (mine)');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel('Revision comment').fill('my drivers');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    const conflict = page.getByRole('dialog', { name: 'Someone else saved this task sequence' });
    await conflict.waitFor();
    expect(await conflict.textContent()).toMatch(/You opened revision 2\. Since then .* saved revision 3/);
    expect(await conflict.textContent()).not.toMatch(/baseRevision|\/api\/v1|\bosd [a-z]/);
    await c.screenshot('editor-stale-base');
    await c.checkAccessibility('the editor, stale base dialog');
    // Nothing lost: open the latest, keeping ours; then go back to ours and save it over.
    await conflict.getByRole('button', { name: 'Open Revision 3 and Keep My Edits' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/revision 3\)/);
    expect(await item('Apply Device Drivers (mine)').count()).toBe(0);
    // What differs between ours and the latest, by the items' paths.
    await page.getByText(/What differs \(\d+\)/).click();
    await page.getByText('Only in your edits: Install Operating System / Apply Device Drivers (mine)').waitFor();
    await page.getByText('Only in revision 3: Install Operating System / Apply Device Drivers').waitFor();
    await page.getByRole('button', { name: 'Back to My Edits' }).click();
    await item('Apply Device Drivers (mine)').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel('Revision comment').fill('my drivers');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as revision 4').waitFor();
    expect(find(await stored(), 'Apply Device Drivers (mine)')).toBeDefined();
    c.expectNoErrors();
  });

  it('simulates on a BIOS machine: the UEFI partition step is skipped, with its reason on the tree', async () => {
    const { page } = c;
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.getByLabel('Example machine', { exact: true }).selectOption('bios-x64-desktop-bare-metal');
    await page.getByRole('button', { name: 'Run Simulation' }).click();
    await page.locator('.sim-summary').waitFor();
    const uefi = item('Partition Disk 0 - UEFI');
    await expect.poll(() => row('Partition Disk 0 - UEFI')).toMatch(/skipped: .*_SMSTSBootUEFI/i);
    expect(await uefi.locator('> .ts-row .ts-marker', { hasText: 'skipped' }).count()).toBe(1);
    expect(await row('Partition Disk 0 - BIOS')).toMatch(/\brun\b/);
    // Our condition: Apply Network Settings only on UEFI, so skipped here too.
    expect(await row('Apply Network Settings')).toMatch(/skipped/);
    await uefi.click();
    await expect.poll(() => page.locator('.sim-detail').textContent()).toMatch(/skipped — .*_SMSTSBootUEFI/i);
    await c.screenshot('editor-simulation');
    await c.checkAccessibility('the editor with the simulation');
    c.expectNoErrors();
  });

  it('offers a read-only token nothing that changes the sequence', async () => {
    const { page } = c;
    const token = await c.createToken('read-only-analyst');
    await c.signOut();
    await c.signIn(token);
    await c.goto(editor());
    await item('Install Operating System').waitFor();
    const toolbar = page.getByRole('toolbar', { name: 'Editor commands' });
    for (const name of ['Save', 'Add', 'Remove', 'Move Up', 'Move Down', 'Paste'])
      expect(await toolbar.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    expect(await toolbar.getByRole('button', { name: 'Simulate' }).count()).toBe(1);
    expect(await page.getByRole('textbox', { name: 'Name', exact: true }).getAttribute('readonly')).not.toBeNull();
    // Alt+↓ does nothing for this role.
    await item('Restart in Windows PE').click();
    await page.keyboard.press('Alt+ArrowDown');
    expect((await childNames('Install Operating System'))[0]).toBe('Restart in Windows PE');
    await c.screenshot('editor-read-only');
    c.expectNoErrors();
  });
});
