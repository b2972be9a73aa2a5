// Pre-cache against a real `osd server` process (issue 12 acceptance): an Available deployment with
// pre-download, made available to clients, to a collection holding a preinstalled x64 and a
// preinstalled x86 lab machine; `osd lab agent NAME --site URL --once` caches on each only the OS
// image of its own architecture; the user later starts the deployment on the x64 machine and the
// run downloads only what was not cached (the x86 image its "download all" also needs).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/lab/create.js';
import { makeTestContent, type TestContent } from '../../src/lab/test-content/index.js';
import { adminTools, runLab, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = resolve(__dirname, '../..');
const MACHINES = join(ROOT, 'examples/machines');
const MAC64 = '00:15:5D:0C:64:01';
const MAC86 = '00:15:5D:0C:86:01';
let dir: string;
let labs: string;
let server: StartedServer;
let content64: TestContent;
let content86: TestContent;
let img64: string;
let img86: string;
let deploymentId: string;

const { osd, api } = adminTools(() => server);
const lab = (args: string[]) => runLab(labs, args);
const idOf = (json: string): string => {
  const o = JSON.parse(json);
  return (o.package?.packageId ?? o.packageId ?? o.taskSequence?.id ?? o.deployment?.id ?? o.id) as string;
};
const cached = (name: string): string[] => {
  try {
    return readdirSync(join(labs, name, 'state', 'agent', 'cache')).filter((f) => f !== 'drivers');
  } catch {
    return [];
  }
};

beforeAll(async () => {
  dir = tempDir('osd-site-precache-');
  labs = join(dir, 'labs');
  [content64, content86] = [await makeTestContent(join(dir, 'content64')), await makeTestContent(join(dir, 'content86'), { architecture: 'x86' })];
  server = await startServer(join(dir, 'site'), ['--local-dp-port', '0']);
  img64 = idOf(await osd('image', 'add', content64.wimPath, '--name', 'Windows 11 x64', '--json'));
  img86 = idOf(await osd('image', 'add', content86.wimPath, '--name', 'Windows 11 x86', '--json'));
  await osd('distribute', img64, img86, '--dp', 'local', '--wait');
  const xml = `<sequence version="3.10"><group name="Install" description="">
<step type="SMS_TaskSequence_RunCommandLineAction" name="Use the x64 image" description="" successCodeList="0"><action>smsswd.exe /run: echo x64</action><defaultVarList><variable name="PackageID" property="PackageID" hidden="true">${img64}</variable></defaultVarList></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Use the x86 image" description="" successCodeList="0"><action>smsswd.exe /run: echo x86</action><defaultVarList><variable name="PackageID" property="PackageID" hidden="true">${img86}</variable></defaultVarList></step>
</group></sequence>`;
  writeFileSync(join(dir, 'ts.xml'), xml);
  const tsId = idOf(await osd('ts', 'push', join(dir, 'ts.xml'), '--name', 'Refresh', '--json'));
  const collection = (await api('POST', '/collections', { name: 'Refresh' })).collection.collectionId as string;
  await api('POST', '/devices', { name: 'PC-X64', mac: MAC64, collectionId: collection });
  await api('POST', '/devices', { name: 'PC-X86', mac: MAC86, collectionId: collection });
  deploymentId = idOf(
    await osd(
      'deploy',
      tsId,
      '--collection',
      collection,
      '--purpose',
      'available',
      '--available-to',
      'clients',
      '--content-option',
      'download-all-first',
      '--pre-download',
      '--json',
    ),
  );

  // Two preinstalled machines: the refresh laptop (x64), and the x86 desktop with an x86 Windows on it.
  await createLab(labs, 'pc64', { profilePath: join(MACHINES, 'win10-x64-refresh.json'), disks: ['2G'], mac: MAC64, preinstalledOs: `${content64.wimPath}:2` });
  const refresh = JSON.parse(readFileSync(join(MACHINES, 'win10-x64-refresh.json'), 'utf8'));
  const x86 = JSON.parse(readFileSync(join(MACHINES, 'bios-x86-desktop.json'), 'utf8'));
  x86.currentOs = { ...refresh.currentOs, architecture: 'x86', computerName: 'PC-X86', files: [] };
  x86.disks = [{ ...x86.disks[0], partitionStyle: 'mbr', partitions: [{ type: 'basic', size: 'remaining', fileSystem: 'NTFS', driveLetter: 'C:' }] }];
  writeFileSync(join(dir, 'x86-preinstalled.json'), JSON.stringify(x86));
  await createLab(labs, 'pc86', { profilePath: join(dir, 'x86-preinstalled.json'), disks: ['2G'], mac: MAC86, preinstalledOs: `${content86.wimPath}:2` });
}, 600_000);
afterAll(async () => server && stopServer(server.proc));

describe('pre-cache against osd server', () => {
  it('each machine caches only its own architecture; the later run downloads nothing already cached', async () => {
    // Bytes counted at the distribution point itself (its /stats), not by the agent.
    const dps = JSON.stringify(await api('GET', '/distribution-points'));
    const dpUrl = /"url":"(http:\/\/[^"]+)"/.exec(dps)?.[1]?.replace(/\/+$/, '');
    expect(dpUrl, dps).toBeTruthy();
    const served = async (id: string): Promise<number> => {
      const stats = (await (await fetch(`${dpUrl}/stats`)).json()) as { packages: Record<string, { bytes: number }> };
      return stats.packages[id]?.bytes ?? 0;
    };
    const size64 = statSync(content64.wimPath).size;
    const size86 = statSync(content86.wimPath).size;
    expect([await served(img64), await served(img86)]).toEqual([0, 0]);
    for (const name of ['pc64', 'pc86']) {
      const r = await lab(['lab', 'agent', name, '--site', server.url, '--once']);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    }
    expect(cached('pc64')).toEqual([img64]);
    expect(cached('pc86')).toEqual([img86]);
    // Each image left the distribution point once: to the machine of its architecture.
    expect([await served(img64), await served(img86)]).toEqual([size64, size86]);
    const wim64 = join(labs, 'pc64', 'state', 'agent', 'cache', img64);
    const before = statSync(join(wim64, readdirSync(wim64)[0]!, 'install.wim'));

    // Polling again changes nothing.
    const again = await lab(['lab', 'agent', 'pc64', '--site', server.url, '--once', '--json']);
    expect(JSON.parse(again.stdout).fetchedBytes).toBe(0);

    // The user starts it on the x64 machine (Software Center): only the x86 image is fetched.
    const run = await lab(['lab', 'boot', 'pc64', '--site', server.url, '--choose', deploymentId, '--json']);
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const result = JSON.parse(run.stdout) as { outcome: string; downloadedBytes: number };
    expect(result.outcome).toBe('succeeded');
    expect(result.downloadedBytes).toBe(statSync(content86.wimPath).size);
    const after = statSync(join(wim64, readdirSync(wim64)[0]!, 'install.wim'));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    // The distribution point agrees: the x64 image was not served again, the x86 image once more.
    expect([await served(img64), await served(img86)]).toEqual([size64, 2 * size86]);
  }, 300_000);
});
