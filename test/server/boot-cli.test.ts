/**
 * Network boot through `osd` against a real `osd server` (docs/network-boot.md): a boot environment
 * folder uploaded by `osd boot-image add --bootenv`, listed, the prompt setting and the preview of a
 * computer's decision, the local DP's client URL from `--local-dp-client-url` and `osd dp update`,
 * and bad input answered with exit 2 naming the option (never a stack trace).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTools, runOsd, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';
import { fakeBootEnv } from '../site/boot-fixtures.js';

describe('osd boot-image add --bootenv, osd pxe, osd dp update', () => {
  let server: StartedServer;
  const { osd } = adminTools(() => server);
  const fail = async (...args: string[]) => {
    const r = await runOsd(...args, '--server', server.url, '--token', server.token);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    return r.stderr;
  };

  beforeAll(async () => {
    server = await startServer(tempDir('osd-boot-cli-'), ['--local-dp-port', '0', '--local-dp-client-url', 'http://10.0.2.2']);
  }, 60_000);
  afterAll(async () => server && stopServer(server.proc, 'SIGTERM'));

  it('adds a boot environment (uploaded) and lists it as one, PXE-enabled', async () => {
    const env = fakeBootEnv();
    const added = JSON.parse(await osd('boot-image', 'add', '--bootenv', env.dir, '--pxe', '--json'));
    expect(added).toMatchObject({ typeName: 'boot image', version: env.manifest.version, properties: { kind: 'boot-environment', pxeEnabled: true } });
    const text = await osd('boot-image', 'add', '--bootenv', fakeBootEnv().dir, '--name', 'Second');
    expect(text).toMatch(/^added boot image \w{8} \(Second\): boot environment 6\.1\.0-50-amd64\+osd\.0badc0de, x64, kernel 6\.1\.0-50-amd64\n$/);
    const list = await osd('boot-image', 'list');
    expect(list).toContain(`${added.packageId}\tOpenOSD boot environment (x64)`);
    expect(list).toMatch(/x64\tboot environment \(kernel 6\.1\.0-50-amd64\)\tPXE/);
    expect(await fail('boot-image', 'add', 'x.wim', '--bootenv', env.dir)).toContain('a WIM and --bootenv were both given');
    expect(await fail('boot-image', 'add')).toContain('no boot image given');
  });

  it('sets the prompt time-out and previews what a computer would be told', async () => {
    expect(await osd('pxe', 'settings', '--prompt-timeout', '4')).toBe('prompt time-out: 4 s\n');
    expect(await fail('pxe', 'settings', '--prompt-timeout', '0')).toContain('--prompt-timeout 0');
    const preview = JSON.parse(await osd('pxe', 'preview', '--mac', '52:54:00:00:0c:01', '--firmware', 'bios', '--json'));
    expect(preview).toMatchObject({ action: 'local', firmware: 'bios', architecture: 'x64', device: { resourceId: null, unknown: true } });
    expect(preview.reason).toContain('no task sequence is deployed to this computer');
    expect(await fail('pxe', 'preview', '--mac', 'nope')).toContain('--mac: "nope" is not a MAC address');
  });

  it('gives the local DP the client URL computers use, and changes it with osd dp update', async () => {
    const dps = JSON.parse(await osd('dp', 'list', '--json')) as Array<{ name: string; url: string; clientUrl: string }>;
    const local = dps.find((d) => d.name === 'local')!;
    expect(local.clientUrl).toBe(`http://10.0.2.2:${new URL(local.url).port}`);
    expect(await osd('dp', 'update', 'local', '--client-url', 'http://192.168.77.1:8451')).toContain('(computers use http://192.168.77.1:8451)');
    const cleared = JSON.parse(await osd('dp', 'update', 'local', '--client-url', '', '--json'));
    expect(cleared).toMatchObject({ clientUrl: local.url, clientUrlSet: false });
    expect(await fail('dp', 'update', 'local')).toContain('nothing to change');
  });

  it('refuses a TFTP root for a site iPXE cannot reach and bad responder options, exit 2', async () => {
    const r = await runOsd('pxe', 'tftp-root', tempDir('osd-tftp-cli-'), '--site', 'https://site.contoso.com');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not an http:// URL');
    const bad = await runOsd('server', '--data', tempDir('osd-pxe-bad-'), '--port', '0', '--pxe', '999.1.1.1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not an IPv4 address');
    const pool = await runOsd('server', '--data', tempDir('osd-pxe-bad-'), '--port', '0', '--pxe', '192.168.77.1', '--pxe-mode', 'dhcp');
    expect(pool.code).toBe(2);
    expect(pool.stderr).toContain('needs the addresses to lease');
  });
});
