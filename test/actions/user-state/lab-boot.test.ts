// The wizard's refresh with local hard links on a lab machine, through the engine (osd lab boot):
// Capture in the full OS → Restart in Windows PE → partition steps skipped (_OSDMigrateUseHardlinks)
// → Apply Operating System keeps the store → … → Restore User State → the store removed
// (user-state.md §2.7 "Refresh, local hard-links"; issue 13: "nothing is lost through Apply OS").
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { bootLab } from '../../../src/lab/boot.js';
import { createLab } from '../../../src/lab/create.js';
import { makeTestContent, type TestContent } from '../../../src/lab/test-content/index.js';
import { generatedBytes } from '../../../src/lab/users.js';
import { loadSiteManifest } from '../../../src/sequence/site-manifest.js';
import { answersSchema } from '../../../src/sequence/wizard/answers.js';
import { generateInstallImageSequence } from '../../../src/sequence/wizard/generate/index.js';
import { MACHINES } from '../handlers/helpers.js';
import { tempDir } from '../../helpers/temp.js';

let content: TestContent;
let dir: string;
beforeAll(async () => {
  dir = tempDir('us-boot-');
  content = await makeTestContent(join(dir, 'content'), { imageSizeMB: 1 });
  writeFileSync(
    join(dir, 'users.json'),
    JSON.stringify({
      users: [
        {
          name: 'jdoe',
          sid: 'S-1-5-21-1004336348-1177238915-682003330-15231',
          kind: 'domain',
          domain: 'CONTOSO',
          files: [
            { path: 'Documents/Größe.txt', text: 'ü' },
            { path: 'Documents/big.bin', size: 3_000_000, seed: 3 },
          ],
        },
      ],
    }),
  );
}, 180_000);

describe('a refresh with hard links through the engine', () => {
  it('the files are on the new OS and the store is gone', async () => {
    const lab = await createLab(join(dir, 'labs'), 'refresh-hl', {
      profilePath: join(MACHINES, 'win10-x64-refresh.json'),
      disks: ['2G'],
      preinstalledOs: `${content.wimPath}:2`,
      usersFile: join(dir, 'users.json'),
    });
    const answers = answersSchema.parse({
      taskSequence: { name: 'Refresh', bootImageId: content.bootImageId },
      installWindows: {
        imagePackageId: content.imagePackageId,
        imageIndex: 2,
        configureBitLocker: false,
        localAdministrator: { mode: 'enabled', password: 'Lab-Pa55word!', confirmPassword: 'Lab-Pa55word!' },
      },
      configureNetwork: { join: 'workgroup', workgroup: 'LABWG' },
      stateMigration: {
        captureUserSettings: true,
        saveTo: 'local',
        useHardLinks: true,
        usmtPackageId: 'LAB00009',
        captureNetworkSettings: false,
        captureWindowsSettings: false,
      },
      includeUpdates: 'none',
    });
    const ts = generateInstallImageSequence(answers, loadSiteManifest(content.siteManifestPath));
    const r = await bootLab(lab, { sequence: ts, sequenceName: 'refresh-hl', content: new ContentLibrary(content.root) });
    const steps = r.instructions.filter((i) => i.kind === 'step').map((i) => `${i.name}: ${i.outcome}${i.predicted ? ' (predicted)' : ''}`);
    expect(r.result, `${r.message}\n${steps.join('\n')}`).toBe('success');
    expect(steps).toContain('Capture User Files and Settings: ran');
    expect(
      steps.filter((s) => /^Restore User .*: ran$/.test(s)),
      steps.join('\n'),
    ).toHaveLength(1);
    const partition = steps.filter((s) => /Partition Disk/.test(s));
    expect(partition.length, steps.join('\n')).toBeGreaterThan(0);
    expect(
      partition.every((s) => s.endsWith('skipped')),
      steps.join('\n'),
    ).toBe(true);
    const vol = await lab.volume('C:');
    const h = createHash('sha256');
    for await (const c of await vol.openRead('Users/jdoe/Documents/big.bin')) h.update(c as Buffer);
    const e = createHash('sha256');
    for await (const c of generatedBytes(3_000_000, 3)) e.update(c);
    expect(h.digest('hex')).toBe(e.digest('hex'));
    expect((await vol.stat('Users/jdoe/Documents/big.bin'))?.links).toBe(1);
    expect(await vol.exists('_SMSTaskSequence/UserState/USMT')).toBe(false);
  }, 600_000);
});
