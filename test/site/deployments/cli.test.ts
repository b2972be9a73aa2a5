import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerDeployCommands } from '../../../src/cli/site/deploy-commands.js';
import { registerSiteTaskSequenceCommands } from '../../../src/cli/site/ts-site-commands.js';
import { ALL_UNKNOWN_COMPUTERS } from '../../../src/site/seed.js';
import { InputError } from '../../../src/sequence/input-error.js';
import { startTestApi, type TestApi } from '../helpers/site.js';
import { addSiteObjects, expectNoSecret, type SiteObjects, wizardAnswers } from '../task-sequences/fixtures.js';

/** The CLI against a listening server (PGlite only: the API paths are covered on both databases elsewhere). */
describe('osd ts push/pull/history/revert/compare/create-install-image and osd deploy', () => {
  let api: TestApi;
  let o: SiteObjects;
  let dir: string;
  let server: string;

  async function osd(...args: string[]): Promise<{ out: string; error?: Error }> {
    const program = new Command('osd').exitOverride();
    const ts = program.command('ts');
    registerSiteTaskSequenceCommands(ts);
    registerDeployCommands(program);
    const chunks: string[] = [];
    const spy = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((c: string | Uint8Array) => (chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8')), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'osd', ...args, '--server', server, '--token', api.tokens['full-administrator']]);
      return { out: chunks.join('') };
    } catch (e) {
      return { out: chunks.join(''), error: e as Error };
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
  }

  beforeAll(async () => {
    api = await startTestApi('pglite');
    o = await addSiteObjects(api.site);
    server = await api.app.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'osd-cli-ts-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await api?.close();
  });

  it('creates with the wizard, pulls, pushes a revision, compares, reverts, deploys and reads the manifest', async () => {
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify(wizardAnswers(o)));
    const created = await osd('ts', 'create-install-image', '--answers', answers, '--json');
    expect(created.error).toBeUndefined();
    const id = JSON.parse(created.out).taskSequence.id as string;

    const xmlFile = join(dir, 'ts.xml');
    expect((await osd('ts', 'pull', id, '--format', 'xml', '--out', xmlFile)).error).toBeUndefined();
    const xml = readFileSync(xmlFile, 'utf8');
    expectNoSecret(xml, 'pulled XML');
    writeFileSync(xmlFile, xml.replace('name="Apply Operating System"', 'name="Apply the image"'));
    const pushed = await osd('ts', 'push', xmlFile, '--id', id, '--base-revision', '1', '-m', 'Rename', '--json');
    expect(pushed.error).toBeUndefined();
    expect(JSON.parse(pushed.out).revision.revision).toBe(2);
    const stale = await osd('ts', 'push', xmlFile, '--id', id, '--base-revision', '1');
    expect((stale.error as { status?: number }).status).toBe(409);

    const history = JSON.parse((await osd('ts', 'history', id, '--json')).out);
    expect(history.map((h: { revision: number }) => h.revision)).toEqual([2, 1]);
    const compare = await osd('ts', 'compare', id, '1', '2');
    expect(compare.out).toContain('Apply the image');
    expect((compare.error as { code?: number }).code).toBe(1);
    const reverted = JSON.parse((await osd('ts', 'revert', id, '1', '--json')).out);
    expect(reverted.revision.revision).toBe(3);

    const imported = JSON.parse((await osd('ts', 'push', xmlFile, '--name', 'Pushed copy', '--boot-image', o.bootX64, '--json')).out);
    expect(imported.taskSequence).toMatchObject({ name: 'Pushed copy', bootImageId: o.bootX64, currentRevision: 1 });

    const dep = await osd('deploy', id, '--collection', ALL_UNKNOWN_COMPUTERS, '--available-to', 'clients-media-pxe', '--pre-download', '--json');
    expect(dep.error).toBeUndefined();
    const depId = JSON.parse(dep.out).deployment.id as string;
    const listed = await osd('deploy', 'list', '--collection', ALL_UNKNOWN_COMPUTERS, '--json');
    expect(listed.error?.message).toBeUndefined();
    const list = JSON.parse(listed.out);
    expect(list.map((d: { id: string }) => d.id)).toEqual([depId]);
    const manifest = JSON.parse((await osd('deploy', 'manifest', depId, '--architecture', 'x64', '--language', 'en-US', '--firmware', 'uefi', '--json')).out);
    expect(manifest.bootImage).toMatchObject({ packageId: o.bootX64, pxeCompatible: true });
    expect(manifest.packages.map((p: { packageId: string }) => p.packageId)).toEqual(expect.arrayContaining([o.bootX64, o.osImage, o.client]));
    const text = await osd('deploy', 'manifest', depId, '--architecture', 'x64');
    expect(text.out).toContain(o.osImage);

    const risky = await osd('deploy', id, '--collection', 'SMS00001', '--purpose', 'required');
    expect((risky.error as { status?: number }).status).toBe(422);
  });

  it('create-install-image lists the problems the site found once, with the lines of the answers file, all at once', async () => {
    const answers = join(dir, 'wrong.yaml');
    writeFileSync(
      answers,
      ['taskSequence:', '  name: Windows 11', `  bootImageID: ${o.bootX64}`, 'installWindows:', `  imagePackageId: ${o.osImage}`, '  imageIndex: 9', ''].join(
        '\n',
      ),
    );
    const r = await osd('ts', 'create-install-image', '--answers', answers);
    expect(r.error).toBeInstanceOf(InputError);
    const lines = r.error!.message.split('\n');
    expect(lines[0]).toBe(`${answers}: 2 answers are not valid, nothing was created:`);
    expect(lines[1]).toBe(
      '  Task Sequence Information › bootImageID (taskSequence.bootImageID, line 3) = "' +
        o.bootX64 +
        '": unknown key: did you mean "bootImageId" (Boot image)?',
    );
    expect(lines[2]).toMatch(/^ {2}Install Windows › Image index \(installWindows\.imageIndex, line 6\) = "9": /);
    expect(lines[3]).toMatch(/^ {2}hint: fix the answers/);
    // Said once: not the list and then the site's summary of its first problem.
    expect(r.error!.message).not.toMatch(/first:|fix every answer listed/);
  });
});
