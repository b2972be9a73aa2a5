/**
 * The Deploy Software Wizard and Monitoring in a real browser (issue 15 item 5): a task sequence with
 * a boot image deployed through the wizard — a missing collection, a Required deployment without a
 * schedule and the site's refusal of an expiry before the available time met at their fields, the
 * deployment options §4.3 offers for media and PXE, the high-risk confirmation (the collection is
 * larger than Deployment Verification's default size) — then a lab machine booted against the
 * server runs it (`osd lab boot --site`), Monitoring shows it succeed (counts, the chart), the
 * device's step timeline shows the failure it continued past, and smsts.log opens in the log
 * viewer (filtered to errors, a word found). Screenshots of each page, axe-core on each, no
 * browser errors; a read-only token sees no Deploy.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/lab/create.js';
import { adminTools, runLab } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { makeWim, WINPE_PROPERTIES } from '../site/objects/fixtures.js';
import { CONSOLE_SKIP, openConsole, type ConsoleSession } from './browser.js';

const MAC = '00:15:5D:0C:15:01';
const TS_NAME = 'Lab deployment';

/** A boot image on the site's distribution point and a task sequence using it: two Run Command Line steps, the second failing with continue on error. */
export async function labTaskSequence(c: ConsoleSession, dir: string, name = TS_NAME): Promise<{ tsId: string; bootId: string }> {
  const { osd } = adminTools(() => c.server);
  const bootWim = await makeWim(join(dir, 'boot'), 'boot.wim', [
    { name: 'Microsoft Windows PE (x64)', description: 'WinPE', properties: WINPE_PROPERTIES(9, [10, 0, 22621]), payload: 'winpe' },
  ]);
  const boot = JSON.parse(await osd('boot-image', 'add', bootWim, '--json'));
  const bootId = (boot.package?.packageId ?? boot.packageId ?? boot.id) as string;
  await osd('distribute', bootId, '--dp', 'local', '--wait');
  const xml = `<sequence version="3.10"><group name="Prepare" description="">
<step type="SMS_TaskSequence_RunCommandLineAction" name="Say hello" description="" successCodeList="0"><action>smsswd.exe /run: echo hello from the lab; sleep 1</action></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Check the disk" description="" continueOnError="true" successCodeList="0"><action>smsswd.exe /run: echo the disk check found nothing; exit 3</action></step>
</group></sequence>`;
  writeFileSync(join(dir, 'ts.xml'), xml);
  const pushed = JSON.parse(await osd('ts', 'push', join(dir, 'ts.xml'), '--name', name, '--boot-image', bootId, '--json'));
  return { tsId: (pushed.taskSequence?.id ?? pushed.id) as string, bootId };
}

describe.skipIf(!!CONSOLE_SKIP)(`Deploy Software Wizard and Monitoring in chromium${CONSOLE_SKIP ? ` (skipped: ${CONSOLE_SKIP})` : ''}`, () => {
  let c: ConsoleSession;
  let dir: string;
  let tsId: string;
  let bootId: string;
  let collectionId: string;
  let deploymentId: string;

  beforeAll(async () => {
    dir = tempDir('openosd-console-monitoring-');
    c = await openConsole({ serverArgs: ['--local-dp-port', '0'] });
    ({ tsId, bootId } = await labTaskSequence(c, dir));
    const coll = await c.api('POST', '/collections', { name: 'Lab machines' });
    collectionId = coll.json.collection.collectionId;
    for (const [name, mac] of [
      ['LAB-01', MAC],
      ['LAB-02', '00:15:5D:0C:15:02'],
    ]) {
      const d = await c.api('POST', '/devices', { name, mac, collectionId });
      expect(d.status, JSON.stringify(d.json)).toBe(201);
    }
    // Two members are more than the default size: the collection is hidden at first and the deployment is high risk.
    const v = await c.api('PUT', '/settings/deployment-verification', { defaultSize: 1, maximumSize: 0, siteSystems: 'verify' });
    expect(v.status, JSON.stringify(v.json)).toBe(200);
    await c.signIn();
  }, 180_000);
  afterAll(async () => {
    await c?.close();
  });

  it('deploys through the wizard: errors at their fields, §4.3 options, the high-risk confirmation', async () => {
    const { page } = c;
    await c.goto('/software-library/task-sequences');
    await page.getByRole('row', { name: new RegExp(TS_NAME) }).click();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByRole('heading', { name: 'Deploy Software Wizard', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'General', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/software-library/task-sequences/${tsId}/deploy`);
    const next = page.getByRole('button', { name: 'Next >' });

    // General: no collection.
    await next.click();
    const collection = page.getByLabel(/^Collection\b/);
    await expect.poll(() => collection.getAttribute('aria-invalid')).toBe('true');
    await page.getByText('Specify a collection to deploy to.').waitFor();
    await c.screenshot('deploy-wizard-general-error');
    await c.checkAccessibility('Deploy Software Wizard, General');
    // The collection is larger than the default size: hidden until asked for.
    expect(await collection.locator('option', { hasText: 'Lab machines' }).count()).toBe(0);
    await page.getByLabel(/Show collections with more than 1 members/).check();
    await collection.selectOption(collectionId);
    await next.click();

    // Deployment Settings: Required, to media and PXE.
    await page.getByRole('heading', { name: 'Deployment Settings', level: 2 }).waitFor();
    const availability = page.getByLabel('Make available to the following');
    expect(await availability.locator('option').allTextContents()).toEqual([
      'Only Configuration Manager clients',
      'Configuration Manager clients, media and PXE',
      'Only media and PXE',
      'Only media and PXE (hidden)',
    ]);
    await page.getByLabel('Purpose').selectOption('required');
    await availability.selectOption('media-pxe');
    await page.getByText(/is high risk/).waitFor();
    await c.screenshot('deploy-wizard-settings');
    await next.click();

    // Scheduling: Required needs an assignment schedule; an expiry in the past is the site's refusal.
    await page.getByRole('heading', { name: 'Scheduling', level: 2 }).waitFor();
    expect(await page.getByLabel('Rerun behavior').count()).toBe(1);
    await next.click();
    await page.getByText('A Required deployment needs at least one assignment schedule').waitFor();
    await c.screenshot('deploy-wizard-scheduling-error');
    await page.getByRole('button', { name: 'New…' }).click();
    await page.getByLabel('Assign', { exact: true }).selectOption('asap');
    await page.getByRole('button', { name: 'Add schedule' }).click();
    await page.getByRole('list', { name: 'Assignment schedules' }).getByText('As soon as possible').waitFor();
    await page.getByLabel('Schedule when this deployment will expire').check();
    await page.getByLabel('Expires on').fill('2020-01-01T08:00');
    await next.click();

    // User Experience: the maintenance-window options are Required's.
    await page.getByRole('heading', { name: 'User Experience', level: 2 }).waitFor();
    expect(await page.getByLabel('Software installation', { exact: true }).count()).toBe(1);
    await next.click();

    // Distribution Points: made available to media and PXE, only "when needed" is offered (§4.3).
    await page.getByRole('heading', { name: 'Distribution Points', level: 2 }).waitFor();
    expect(await page.getByLabel('Deployment options').locator('option').allTextContents()).toEqual([
      'Download content locally when needed by the running task sequence',
    ]);
    await c.screenshot('deploy-wizard-distribution-points');
    await next.click();
    await page.getByRole('heading', { name: 'Summary', level: 2 }).waitFor();
    await c.screenshot('deploy-wizard-summary');
    await next.click();

    // The site refuses the expiry: Previous goes back to Scheduling with the rule at the field.
    await page.getByText(/The wizard did not complete: .*expire before it becomes available/).waitFor();
    await page.getByRole('button', { name: '< Previous' }).click();
    await page.getByRole('heading', { name: 'Scheduling', level: 2 }).waitFor();
    const expires = page.getByLabel('Expires on');
    await expect.poll(() => expires.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field.invalid .error').textContent()).toMatch(/expire before it becomes available/);
    expect(await page.locator('.field.invalid .error').textContent()).not.toMatch(/\bosd [a-z]|--[a-z]|\/api\/v1|body\./);
    await c.screenshot('deploy-wizard-site-refusal');
    await page.getByLabel('Schedule when this deployment will expire').uncheck();
    await page.getByRole('button', { name: 'Summary' }).click();
    await page.getByRole('heading', { name: 'Summary', level: 2 }).waitFor();
    await next.click();

    // High risk: the site's reasons, acknowledged in the Deployment Verification dialog.
    const dialog = page.getByRole('dialog', { name: 'Deployment Verification' });
    await dialog.waitFor();
    await dialog.getByText(/more than the default size 1/).waitFor();
    await c.screenshot('deploy-wizard-high-risk');
    await c.checkAccessibility('the high-risk confirmation');
    await dialog.getByRole('button', { name: 'Deploy' }).click();
    await page.getByText('The Deploy Software Wizard completed successfully.').waitFor();
    const done = (await page.locator('.wizard-completion').textContent()) ?? '';
    deploymentId = /deployment ([A-Z0-9]{3}[0-9A-F]{5})/.exec(done)?.[1] ?? '';
    expect(deploymentId, done).toMatch(/^[A-Z0-9]{3}[0-9A-F]{5}$/);
    expect(done).toMatch(/High risk acknowledged: the collection has 2 members, more than the default size 1/);
    await c.screenshot('deploy-wizard-completion');

    const dep = await c.api('GET', `/deployments/${deploymentId}`);
    expect(dep.json).toMatchObject({
      purpose: 'required',
      collectionId,
      highRisk: true,
      settings: { availability: 'media-pxe', schedules: ['asap'], contentOption: 'download-when-needed', expiresAt: null },
    });
    await page.getByRole('button', { name: 'Close' }).click();
    await page.waitForURL(new RegExp(`/monitoring/deployments/${deploymentId}$`));
    c.expectNoErrors();
  }, 180_000);

  it('watches a lab machine run it to success, then its timeline and its smsts.log', async () => {
    const { page } = c;
    await page.getByRole('tab', { name: /Unknown \(2\)/ }).waitFor();
    await c.screenshot('monitoring-deployment-before');

    const labs = join(dir, 'labs');
    await createLab(labs, 'lab1', { profilePath: resolve('examples/machines/uefi-x64-laptop-bare-metal.json'), disks: ['1G'], mac: MAC });
    const r = await runLab(labs, ['lab', 'boot', 'lab1', '--site', c.server.url]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Deployment ${deploymentId} ".*": succeeded`));

    // The page reads the status again by itself.
    await page.getByRole('tab', { name: /Success \(1\)/ }).waitFor({ timeout: 20_000 });
    await page.getByRole('tab', { name: /Unknown \(1\)/ }).waitFor();
    await page.getByRole('img', { name: /Deployment status over time/ }).waitFor();
    await page.getByRole('tab', { name: /Success \(1\)/ }).click();
    await page.getByRole('link', { name: 'LAB-01' }).waitFor();
    await c.screenshot('monitoring-deployment-status');
    await c.checkAccessibility('a deployment status');

    // The list of deployments with its counts.
    await c.goto('/monitoring/deployments');
    const row = page.getByRole('row', { name: new RegExp(deploymentId) });
    await expect.poll(async () => (await row.textContent()) ?? '').toMatch(/50%/);
    await c.screenshot('monitoring-deployments');
    await c.checkAccessibility('Monitoring › Deployments');
    await row.dblclick();
    await page.getByRole('tab', { name: /Success \(1\)/ }).click();
    await page.getByRole('link', { name: 'LAB-01' }).click();

    // The device's step history as a timeline.
    await page.getByRole('heading', { name: 'LAB-01: step history', level: 1 }).waitFor();
    const timeline = page.locator('table.timeline-table');
    await timeline.getByRole('row', { name: /Say hello/ }).waitFor();
    expect(await timeline.getByRole('row', { name: /Say hello/ }).textContent()).toMatch(/Succeeded/);
    expect(await timeline.getByRole('row', { name: /Check the disk/ }).textContent()).toMatch(/Failed \(0x00000003\)/);
    expect(await timeline.locator('.tl-bar').count()).toBeGreaterThanOrEqual(3);
    await c.screenshot('monitoring-run-timeline');
    await c.checkAccessibility('a run timeline');

    // smsts.log in the viewer: errors only, then a word found.
    await page.getByRole('link', { name: 'Open smsts.log' }).click();
    await page.getByRole('heading', { name: 'smsts.log', level: 1 }).waitFor();
    const grid = page.getByRole('grid', { name: /smsts\.log lines/ });
    await grid.getByRole('row').nth(1).waitFor();
    const all = await grid.locator('.log-rows [role=row]').count();
    expect(all).toBeGreaterThan(5);
    expect(await grid.getByRole('columnheader').allTextContents()).toEqual(['Log Text', 'Component', 'Date/Time', 'Thread']);
    await c.screenshot('monitoring-smsts-log');
    await c.checkAccessibility('the log viewer');
    await page.getByLabel('Show', { exact: true }).selectOption('error');
    await expect.poll(() => grid.locator('.log-rows [role=row]').count()).toBeLessThan(all);
    const errors = grid.locator('.log-rows [role=row]');
    expect(await errors.count()).toBeGreaterThan(0);
    for (const cls of await errors.evaluateAll((rows) => rows.map((r) => r.className))) expect(cls).toContain('sev-error');
    await c.screenshot('monitoring-smsts-log-errors');
    await page.getByLabel('Show', { exact: true }).selectOption('all');
    await page.getByLabel('Find', { exact: true }).fill('hello');
    await page.getByRole('button', { name: 'Find Next' }).click();
    await page.getByText(/"hello" found on line \d+/).waitFor();
    const selected = grid.locator('[role=row][aria-selected=true]');
    expect(await selected.textContent()).toMatch(/hello/);
    await page.getByRole('heading', { name: /^Line \d+$/ }).waitFor();
    await c.screenshot('monitoring-smsts-log-find');
    c.expectNoErrors();
  }, 180_000);

  it('shows Distribution Status: content per distribution point with counts', async () => {
    const { page } = c;
    await c.goto('/monitoring/distribution-status');
    const row = page.getByRole('row', { name: new RegExp(bootId) });
    await row.waitFor();
    // Targeted 1, Installed 1, In Progress 0, Failed 0 (the site's one distribution point).
    expect((await row.getByRole('gridcell').allTextContents()).slice(2)).toEqual(['1', '1', '0', '0', '0']);
    await row.click();
    const locations = page.getByRole('grid', { name: /^Content locations of / });
    await locations.getByRole('row', { name: /Installed/ }).waitFor();
    await c.screenshot('monitoring-distribution-status');
    await c.checkAccessibility('Monitoring › Distribution Status');
    await page.getByRole('button', { name: 'Distribution Point Status' }).click();
    const dps = page.getByRole('grid', { name: 'Distribution Point Status' });
    await dps.getByRole('row').nth(1).click();
    await page
      .getByRole('grid', { name: /^Content on / })
      .getByRole('row', { name: new RegExp(bootId) })
      .waitFor();
    await c.screenshot('monitoring-distribution-point-status');
    await c.checkAccessibility('Distribution Point Status');
    c.expectNoErrors();
  }, 60_000);

  it('a read-only token sees no Deploy and cannot open the wizard to deploy', async () => {
    const { page } = c;
    const token = await c.createToken('read-only-analyst');
    await c.signOut();
    await c.signIn(token);
    await c.goto('/software-library/task-sequences');
    await page.getByRole('row', { name: new RegExp(TS_NAME) }).click();
    expect(await page.getByRole('button', { name: 'Deploy', exact: true }).count()).toBe(0);
    await c.goto(`/software-library/task-sequences/${tsId}`);
    await page.getByRole('toolbar').first().waitFor();
    expect(await page.getByRole('button', { name: 'Deploy', exact: true }).count()).toBe(0);
    await c.goto(`/software-library/task-sequences/${tsId}/deploy`);
    await page.getByText('Your security role does not allow deploying task sequences.').waitFor();
    expect(await page.getByRole('button', { name: 'Next >' }).count()).toBe(0);
    await c.goto(`/monitoring/deployments/${deploymentId}`);
    await page.getByRole('tab', { name: /Success \(1\)/ }).waitFor();
    c.expectNoErrors();
  }, 60_000);
});
