// A preinstalled lab OS's settings, from its profile, recorded in its registry (what Capture
// Windows / Network Settings and registry detection then read from the disk).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OfflineRegistry } from '../../src/actions/os/registry.js';
import { KEYS, readInstalledSettings } from '../../src/actions/os/windows-setup.js';
import { loadMachineProfile } from '../../src/engine/machine-profile/index.js';
import { recordInstalledOs } from '../../src/lab/installed-os.js';
import { writeWindowsTree } from '../../src/lab/test-content/windows-tree.js';
import { DirectoryVolume } from '../../src/storage/volume/directory.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('recordInstalledOs', () => {
  it("writes the profile's computer name, time zone, registration, domain and HKLM keys", async () => {
    const root = mkdtempSync(join(tmpdir(), 'osd-installed-'));
    dirs.push(root);
    await writeWindowsTree(root, { index: 2, name: 'Windows 11 Enterprise', editionId: 'Enterprise' }, 'x64', 0);
    const profile = loadMachineProfile(resolve(__dirname, '../../examples/machines/win10-x64-refresh.json'));
    const written = await recordInstalledOs(new DirectoryVolume(root), profile.currentOs!);
    expect(written).toEqual([
      'Windows/System32/config/SAM',
      'Windows/System32/config/SECURITY',
      'Windows/System32/config/SOFTWARE',
      'Windows/System32/config/SYSTEM',
    ]);
    const reg = await OfflineRegistry.open(new DirectoryVolume(root));
    expect(await readInstalledSettings(reg)).toEqual({
      computerName: 'CTS-PC-0423',
      timeZone: 'W. Europe Standard Time',
      registeredOwner: 'Contoso IT',
      registeredOrganization: 'Contoso Ltd.',
      domain: 'corp.contoso.com',
    });
    expect(await reg.getString('HKLM\\SOFTWARE\\Contoso\\Build', 'Ring')).toBe('Pilot');
    expect(await reg.getDword('HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate', 'TargetReleaseVersion')).toBe(1);
    expect(await reg.getDword(KEYS.administrator, 'Enabled')).toBe(0);
  });
});
