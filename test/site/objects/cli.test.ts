import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerObjectCommands } from '../../../src/cli/site/object-commands.js';
import { writeDrivers } from '../../../src/lab/test-content/drivers.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { makeWim } from './fixtures.js';

let work: string;
let wim: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'openosd-objects-cli-'));
  wim = await makeWim(join(work, 'img'), 'install.wim', [
    {
      name: 'Windows 11 Enterprise',
      description: 'ent',
      payload: 'x',
      properties: {
        'WINDOWS/ARCH': 9,
        'WINDOWS/EDITIONID': 'Enterprise',
        'WINDOWS/VERSION/MAJOR': 10,
        'WINDOWS/VERSION/MINOR': 0,
        'WINDOWS/VERSION/BUILD': 22631,
        'WINDOWS/VERSION/SPBUILD': 1,
      },
    },
  ]);
  await writeDrivers(join(work, 'drivers'));
  await writeFile(
    join(work, 'updates.json'),
    JSON.stringify([
      { updateId: '8c3fcc84-7410-4a95-8b89-a166a0190486', articleId: '5034123', title: 'Cumulative Update', classification: 'Security Updates' },
    ]),
  );
  await mkdir(join(work, 'tools'));
  await writeFile(join(work, 'tools', 'setup.cmd'), 'exit /b 0');
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each(DB_KINDS)('osd object commands against a server on %s', (kind) => {
  let api: TestApi;
  let server: string;
  beforeAll(async () => {
    api = await startTestApi(kind);
    server = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => api?.close());

  /** Runs `osd …` in-process and returns what it printed. */
  async function osd(...args: string[]): Promise<string> {
    const program = new Command('osd').exitOverride();
    registerObjectCommands(program);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['node', 'osd', ...args, '--server', server, '--token', api.tokens['full-administrator']]);
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  }

  it('adds and shows an OS image from a relative path (uploaded), with --version as the package version', async () => {
    const rel = relative(process.cwd(), wim);
    const added = JSON.parse(await osd('image', 'add', rel, '--version', '23H2', '--json'));
    // Uploaded: the site has the file's bytes, not a path of this machine.
    expect(added).toMatchObject({ packageType: 257, name: 'install.wim', version: '23H2', sourcePath: '' });
    expect(added.contentId).toMatch(/^[0-9a-f]{64}$/);
    expect(added.properties.images[0]).toMatchObject({ name: 'Windows 11 Enterprise', architecture: 'x64', version: '10.0.22631.1' });
    const shown = await osd('image', 'show', added.packageId);
    expect(shown).toContain('Windows 11 Enterprise');
    const list = JSON.parse(await osd('image', 'list', '--json'));
    expect(list.map((p: { packageId: string }) => p.packageId)).toEqual([added.packageId]);
  });

  it('lets the server read a path below its source roots with --server-path, and names the rule when it may not', async () => {
    const again = JSON.parse(await osd('image', 'add', wim, '--server-path', '--name', 'by path', '--json'));
    expect(again).toMatchObject({ name: 'by path', sourcePath: wim });
    const program = new Command('osd').exitOverride();
    registerObjectCommands(program);
    const err = await program
      .parseAsync(['node', 'osd', 'image', 'add', '/etc/hostname', '--server-path', '--server', server, '--token', api.tokens['full-administrator']])
      .then(
        () => undefined,
        (e: unknown) => e as { status?: number; body?: { rule?: string }; message?: string },
      );
    expect(err?.status).toBe(403);
    expect(err?.body?.rule).toContain('outside the folders this site adds content from');
    // In the CLI's words: the option and the command the user can act on, never the API's route.
    expect(err?.message).toMatch(/^<wim>: \/etc\/hostname is outside the folders this site adds content from \(its source roots: /);
    expect(err?.message).toMatch(
      /\n {2}hint: put it under one of the site's source roots, make its folder one, or upload the content instead: pass --source-root to osd server, or let osd upload it \(leave out --server-path\)$/,
    );
    expect(err?.message).not.toMatch(/\/api\/v1|PUT \//);
  });

  it('imports drivers into a new driver package, lists them, creates packages, apps and updates', async () => {
    const dp = JSON.parse(await osd('driver-package', 'create', 'Laptops', '--model', 'E7270', '--json'));
    const imp = JSON.parse(
      await osd('driver', 'import', join(work, 'drivers'), '--category', 'Laptops', '--category', 'Net', '--driver-package', dp.packageId, '--json'),
    );
    expect(imp.imported).toHaveLength(6);
    expect(imp.imported[0].categories).toEqual(['Laptops', 'Net']);
    const listed = await osd('driver', 'list', '--category', 'net');
    expect(listed.trim().split('\n')).toHaveLength(6);
    const pkgs = JSON.parse(await osd('driver-package', 'list', '--json'));
    expect(pkgs[0].drivers).toHaveLength(6);
    const pkg = JSON.parse(await osd('package', 'add', join(work, 'tools'), '--name', 'Tools', '--program', 'Install=setup.cmd', '--json'));
    expect(pkg.properties.programs).toEqual([{ name: 'Install', commandLine: 'setup.cmd', allowTaskSequenceInstall: true }]);
    expect(await osd('package', 'list')).toContain('Tools');
    const app = JSON.parse(
      await osd('app', 'add', 'Reader', '--allow-ts', '--msi', 'msiexec /i r.msi /qn', '--product-code', '{11111111-2222-3333-4444-555555555555}', '--json'),
    );
    expect(app.taskSequenceReady.ok).toBe(true);
    expect(await osd('app', 'list')).toContain('task sequence ready');
    const upd = JSON.parse(await osd('update', 'import', join(work, 'updates.json'), '--json'));
    expect(upd).toMatchObject({ imported: 1, updated: 0, packageId: null });
    const deadline = new Date(Date.now() + 86_400_000).toISOString();
    const dep = JSON.parse(
      await osd('update', 'deploy', 'SMS00001', '--update', '8c3fcc84-7410-4a95-8b89-a166a0190486', '--purpose', 'required', '--deadline', deadline, '--json'),
    );
    expect(dep).toMatchObject({ collectionId: 'SMS00001', purpose: 'required', updateIds: ['8c3fcc84-7410-4a95-8b89-a166a0190486'] });
    expect(await osd('update', 'deployments', '--collection', 'SMS00001')).toContain(
      `${dep.deploymentId}\tSoftware updates to SMS00001\tSMS00001\trequired (deadline`,
    );
  });
});

describe('osd object commands inside the real osd program', () => {
  it('reads --version after "image add" as the package version, not the program version', async () => {
    const { buildProgram } = await import('../../../src/cli/main.js');
    // buildProgram registers the object commands itself, as `osd` does.
    const program = await buildProgram();
    const add = program.commands.find((c) => c.name() === 'image')!.commands.find((c) => c.name() === 'add')!;
    let seen: { wim?: string; version?: string } = {};
    add.action(async (w: string, o: { version?: string }) => {
      seen = { wim: w, version: o.version };
    });
    await program.parseAsync(['node', 'osd', 'image', 'add', 'x.wim', '--version', '23H2']);
    expect(seen).toEqual({ wim: 'x.wim', version: '23H2' });
  });
});
