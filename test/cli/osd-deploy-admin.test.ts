/**
 * What an admin needs around a deployment (issue 12 item 5), as `osd` processes against a real
 * `osd server`: `osd ts list`, `osd deploy show | update | delete`, following or pinning the
 * revision, a refused update in the CLI's words with nothing changed; and the progress of long work
 * (an upload, `osd distribute --wait`) as plain lines on a stderr that is not a terminal, none with
 * --json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callServer, OSD, runOsd, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';

/** script(1) gives a command a pseudo-terminal (util-linux; on every Debian). */
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

const ALL_UNKNOWN = 'SMS000US';
const xml = (text: string) =>
  `<sequence version="3.10"><group name="Main"><step type="SMS_TaskSequence_RunCommandLineAction" name="Say"><action>cmd /c echo ${text}</action></step></group></sequence>`;

describe('osd ts list, osd deploy show|update|delete and progress, against a real osd server', () => {
  let dir: string;
  let server: StartedServer;
  let tsId: string;
  const osd = (...args: string[]) => runOsd(...args, '--server', server.url, '--token', server.token);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osd-deploy-admin-'));
    server = await startServer(join(dir, 'data'), ['--local-dp-port', '0']);
    const r = await callServer(server, 'POST', '/task-sequences', { name: 'Hello world', format: 'xml', content: xml('hello') });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    tsId = r.json.taskSequence.id;
    await callServer(server, 'POST', '/task-sequences', { name: 'Other sequence', format: 'xml', content: xml('other') });
  }, 120_000);
  afterAll(async () => {
    if (server) await stopServer(server.proc, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('osd ts list: id, current revision, boot image, deployments, name; --search; --json', async () => {
    const all = await osd('ts', 'list');
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+REVISION\s+BOOT IMAGE\s+DEPLOYMENTS\s+NAME$/);
    expect(lines.find((l) => l.startsWith(tsId))).toMatch(new RegExp(`^${tsId}\\s+1\\s+-\\s+0\\s+Hello world$`));
    expect(lines).toHaveLength(3);
    const found = await osd('ts', 'list', '--search', 'HELLO', '--json');
    expect(JSON.parse(found.stdout).map((t: { id: string }) => t.id)).toEqual([tsId]);
    const none = await osd('ts', 'list', '--search', 'nothing like it');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no task sequence matches "nothing like it"');
  });

  it('deploy follows the latest revision; update pins it, refuses a bad change in the CLI words, changes nothing; delete', async () => {
    const created = await osd('deploy', tsId, '--collection', ALL_UNKNOWN, '--json');
    expect(created.code, created.stderr).toBe(0);
    const dep = JSON.parse(created.stdout).deployment;
    expect(dep).toMatchObject({ revision: 1, followLatest: true });

    const saved = await callServer(server, 'PUT', `/task-sequences/${tsId}`, { baseRevision: 1, format: 'xml', content: xml('hello again') });
    expect(saved.json.warnings.join()).toContain(`deployment ${dep.id} follows the latest revision: computers now run revision 2`);
    const shown = await osd('deploy', 'show', dep.id);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`deployment ${dep.id}`);
    expect(shown.stdout).toMatch(new RegExp(`task sequence\\s+${tsId} "Hello world", revision 2 \\(follows the latest revision\\)`));
    expect(shown.stdout).toMatch(/available to\s+Only Configuration Manager clients/);
    expect(shown.stdout).toMatch(/enabled\s+yes/);
    expect((await osd('ts', 'list', '--search', tsId)).stdout).toMatch(new RegExp(`${tsId}\\s+2\\s+-\\s+1\\s+Hello world`));

    const pinned = await osd('deploy', 'update', dep.id, '--revision', '1');
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(pinned.stdout).toContain(`updated ${dep.id}: ${tsId} revision 1 (pinned; the current revision is 2)`);
    expect(pinned.stderr).toContain('osd: warning: revision 1 is deployed, not the current revision 2');

    const before = (await osd('deploy', 'show', dep.id, '--json')).stdout;
    const refused = await osd('deploy', 'update', dep.id, '--schedule', 'asap', '--comments', 'never saved');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--schedule');
    expect(refused.stderr).toContain('an Available deployment has no assignment schedule');
    expect(refused.stderr).not.toContain('body.');
    const badRevision = await osd('deploy', 'update', dep.id, '--revision', '7');
    expect(badRevision.code).toBe(2);
    expect(badRevision.stderr).toMatch(/--revision.*no revision 7 \(its current revision is 2\)/);
    const notARevision = await osd('deploy', 'update', dep.id, '--revision', 'newest');
    expect(notARevision.code).toBe(2);
    expect(notARevision.stderr).toContain('"newest" is neither a revision number nor "latest"');
    const nothing = await osd('deploy', 'update', dep.id);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('names nothing to change');
    expect((await osd('deploy', 'show', dep.id, '--json')).stdout).toBe(before);

    const changed = await osd(
      'deploy',
      'update',
      dep.id,
      '--revision',
      'latest',
      '--disable',
      '--comments',
      'paused',
      '--no-progress',
      '--restart-outside-maintenance-window',
      '--json',
    );
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({
      revision: 2,
      followLatest: true,
      enabled: false,
      settings: { comments: 'paused', showProgress: false, restartOutsideMaintenanceWindow: true, softwareInstallOutsideMaintenanceWindow: false },
    });
    expect((await osd('deploy', 'list')).stdout).toMatch(new RegExp(`${dep.id}\\s+${tsId} r2 \\(latest\\).*, disabled`));

    const deleted = await osd('deploy', 'delete', dep.id);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted deployment ${dep.id} (${tsId} → ${ALL_UNKNOWN})\n`);
    const gone = await osd('deploy', 'show', dep.id);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no deployment has this id');
  });

  it('an upload of a large file shows plain progress lines on a stderr that is not a terminal; --json shows none', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(20 * 1024 * 1024, 7));
    const r = await osd('content', 'add', big);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^content [0-9a-f]+: 1 file\(s\), 20\.0 MiB\n$/);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^uploading big\.bin: 100% \(20\.0 MiB of 20\.0 MiB, in \d+ s(, [\d.]+ [KMG]iB\/s)?\)$/);
    expect(
      lines.every((l) => /^uploading big\.bin: \d+% \(/.test(l)),
      r.stderr,
    ).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(4 + 1 + 5); // the quarters, and at most a line every few seconds
    expect(r.stderr).not.toMatch(/[\r\x1b]/);

    const quiet = await osd('content', 'add', big, '--json');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(quiet.stdout)).toMatchObject({ size: 20 * 1024 * 1024, fileCount: 1 });
  });

  it.skipIf(!HAS_SCRIPT)('on a terminal (a pseudo-terminal from script(1)): one bar redrawn in place, then the result', async () => {
    const big = join(dir, 'big-tty.bin');
    writeFileSync(big, Buffer.alloc(24 * 1024 * 1024, 9));
    const command = [process.execPath, OSD, 'content', 'add', big, '--server', server.url, '--token', server.token].join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, OSD_DATABASE_URL: '', OSD_DATA: '' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const draws = r.stdout.split('\r').filter((d) => d.startsWith('uploading'));
    expect(draws.length).toBeGreaterThanOrEqual(1);
    expect(draws.at(-1)).toMatch(/^uploading big-tty\.bin \[#+\] 100% {2}24\.0\/24\.0 MiB in \d+ s/);
    expect(r.stdout).toMatch(/\ncontent [0-9a-f]+: 1 file\(s\), 24\.0 MiB\r?\n$/);
    // Redrawn in place: no plain progress lines.
    expect(r.stdout).not.toMatch(/uploading big-tty\.bin: \d+%/);
  });

  it('osd distribute --wait shows the bytes copied, and nothing with --json; the copy records what it pushed', async () => {
    const folder = join(dir, 'tools');
    mkdirSync(folder);
    writeFileSync(join(folder, 'setup.cmd'), 'echo tools\n');
    writeFileSync(join(folder, 'payload.bin'), Buffer.alloc(24 * 1024 * 1024, 3));
    const pkg = await osd('package', 'add', folder, '--name', 'Tools', '--json');
    expect(pkg.code, pkg.stderr).toBe(0);
    expect(pkg.stderr).toBe('');
    const id = JSON.parse(pkg.stdout).packageId;
    const r = await osd('distribute', id, '--dp', 'local', '--wait');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${id} → local: success \\(`));
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^distributing 1 copy: 100% \(24\.0 MiB of 24\.0 MiB, in \d+ s(, [\d.]+ [KMG]?i?B\/s)?\)$/);
    expect(
      lines.every((l) => /^distributing 1 copy: \d+% \(/.test(l)),
      r.stderr,
    ).toBe(true);
    const status = await osd('content', 'status', id, '--json');
    const size = 24 * 1024 * 1024 + 'echo tools\n'.length;
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({ dpName: 'local', state: 'success', sizeBytes: size, copiedBytes: size, copyBytes: size }),
    ]);
    const again = await osd('distribute', id, '--dp', 'local', '--wait', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toEqual([expect.objectContaining({ packageId: id, dpName: 'local', state: 'success' })]);
  });
});
