import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMachineProfile, parseMachineProfile } from '../../../src/engine/machine-profile/index.js';
import { inputError } from '../../helpers/errors.js';
import { example, exampleNames, MINIMAL, profile, WITH_OS } from './helpers.js';
import { tempDir } from '../../helpers/temp.js';

describe('the example profiles', () => {
  it('are the four documented machines', () => {
    expect(exampleNames()).toEqual(['bios-x64-desktop-bare-metal.json', 'bios-x86-desktop.json', 'uefi-x64-laptop-bare-metal.json', 'win10-x64-refresh.json']);
  });

  it('the bare-metal BIOS desktop is x64 in legacy BIOS mode, blank, starting from the network', () => {
    const p = example('bios-x64-desktop-bare-metal');
    expect(p).toMatchObject({ architecture: 'x64', firmware: 'bios', currentOs: null });
    expect(p.networkAdapters[0]!.mac).toBe('B8:CA:3A:6E:21:04');
  });

  it.each(exampleNames())('%s validates', (name) => {
    const p = example(name);
    expect(p.schema).toBe('openosd.machine-profile/v1');
    expect(p.disks.length).toBeGreaterThan(0);
    expect(p.pnpDevices.length).toBeGreaterThan(0);
  });

  it('the laptop is a bare-metal UEFI x64 machine with Secure Boot, TPM 2.0 and a battery', () => {
    const p = example('uefi-x64-laptop-bare-metal');
    expect(p).toMatchObject({ architecture: 'x64', firmware: 'uefi', secureBoot: true, currentOs: null, pcSystemType: 'mobile' });
    expect(p.tpm).toMatchObject({ present: true, version: '2.0' });
    expect(p.battery).toEqual({ chargePercent: 87, onAcPower: true });
    expect(p.disks[0]).toMatchObject({ busType: 'nvme', partitionStyle: 'raw', partitions: [], size: 256_000_000_000 });
    expect(p.pnpDevices.map((d) => d.class).sort()).toEqual(['Display', 'Net', 'Net', 'SCSIAdapter']);
  });

  it('the desktop is a legacy-BIOS x86 machine without battery or TPM', () => {
    const p = example('bios-x86-desktop');
    expect(p).toMatchObject({ architecture: 'x86', firmware: 'bios', secureBoot: false, battery: null, tpm: null, pcSystemType: 'desktop' });
    expect(p.disks[0]).toMatchObject({ busType: 'sata', partitionStyle: 'raw', partitions: [] });
  });

  it('the refresh desktop has Windows 10 22H2 on the usual GPT layout, in a domain, with three profiles', () => {
    const p = example('win10-x64-refresh');
    const os = p.currentOs!;
    expect(os).toMatchObject({
      version: '10.0.19045',
      buildNumber: '19045',
      ubr: 4291,
      displayVersion: '22H2',
      domain: 'corp.contoso.com',
      netbiosDomain: 'CONTOSO',
    });
    expect(p.disks[0].partitions.map((x) => [x.type, x.fileSystem, x.driveLetter])).toEqual([
      ['efi', 'FAT32', undefined],
      ['msr', null, undefined],
      ['basic', 'NTFS', 'C:'],
      ['recovery', 'NTFS', undefined],
    ]);
    expect(os.userProfiles.map((u) => [u.name, u.kind, u.domain])).toEqual([
      ['jdoe', 'domain', 'CONTOSO'],
      ['asmith', 'domain', 'CONTOSO'],
      ['Support', 'local', 'CTS-PC-0423'],
    ]);
    expect(os.msiProducts).toHaveLength(3);
    expect(os.registry[0].key).toBe('HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Build');
  });
});

describe('defaults', () => {
  it('fill a minimal profile', () => {
    const p = profile();
    expect(p).toMatchObject({
      architecture: 'x64',
      firmware: 'uefi',
      secureBoot: true,
      memoryMB: 8192,
      battery: null,
      tpm: null,
      chassisTypes: [3],
      pcSystemType: 'desktop',
      currentOs: null,
      disks: [],
      networkAdapters: [],
      assetTag: '',
    });
    expect(p.uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(p.serialNumber).toMatch(/^[A-Z0-9]{10}$/);
    expect(p.processors).toHaveLength(1);
    expect(p.environments.winpe.computerName).toMatch(/^MININT-[A-Z0-9]{7}$/);
    expect(p.bios.manufacturer).toBe('Contoso');
  });

  it('are stable: the same profile gives the same generated identifiers', () => {
    expect(profile()).toEqual(profile());
  });

  it('a battery makes a notebook chassis and a mobile PC', () => {
    expect(profile({ battery: true })).toMatchObject({ chassisTypes: [10], pcSystemType: 'mobile', battery: { chargePercent: 100, onAcPower: true } });
  });

  it('BIOS firmware turns Secure Boot off', () => {
    expect(profile({ firmware: 'bios' }).secureBoot).toBe(false);
  });

  it('sizes accept bytes and decimal or binary units', () => {
    const sizes = ['1073741824', 1073741824, '1048576 KiB', '1.5 GiB', '256 GB', '2TB', '512MiB', ' 2 mb '];
    const p = profile({ disks: sizes.map((size) => ({ size })) });
    expect(p.disks.map((d) => d.size)).toEqual([2 ** 30, 2 ** 30, 2 ** 30, 1.5 * 2 ** 30, 256e9, 2e12, 512 * 2 ** 20, 2e6]);
  });

  it('MAC addresses are normalised to upper case with colons; IPs get their prefix', () => {
    const p = profile({ networkAdapters: [{ mac: '8c-ec-4b-12-34-56', name: 'NIC', ipAddresses: ['10.0.0.5', 'fe80::1/64'] }] });
    expect(p.networkAdapters[0].mac).toBe('8C:EC:4B:12:34:56');
    expect(p.networkAdapters[0].ipAddresses).toEqual([
      { address: '10.0.0.5', prefixLength: 24, family: 4 },
      { address: 'fe80::1', prefixLength: 64, family: 6 },
    ]);
    expect(p.networkAdapters[0].connectionId).toBe('Ethernet');
  });

  it('partitions are 1 MiB aligned and "remaining" takes what is left', () => {
    const p = profile(WITH_OS);
    const [efi, msr, win, rec] = p.disks[0].partitions;
    expect(efi.offset).toBe(2 ** 20);
    expect(msr.offset).toBe(101 * 2 ** 20);
    expect(win.offset).toBe(117 * 2 ** 20);
    expect(rec.offset).toBe(win.offset + win.size);
    // GPT keeps the last MiB for the backup table.
    expect(rec.offset + rec.size).toBe(128 * 2 ** 30 - 2 ** 20);
    expect(p.disks[0].partitionStyle).toBe('gpt');
  });

  it('the current OS defaults: C:, workgroup, SKU from the edition, LCID from the language, a machine SID', () => {
    const os = profile(WITH_OS).currentOs!;
    expect(os).toMatchObject({
      installDrive: 'C:',
      windowsDirectory: 'C:\\Windows',
      workgroup: 'WORKGROUP',
      sku: 48,
      lcid: 1033,
      architecture: 'x64',
      buildNumber: '22631',
      ubr: 0,
      computerName: 'PC-1',
      configMgrClient: null,
    });
    expect(os.machineSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
  });
});

describe('bad profiles', () => {
  const bad = (extra: Record<string, unknown>, input = 'bad.json') =>
    inputError(() => parseMachineProfile(JSON.stringify({ ...MINIMAL, ...extra }, null, 2), input));

  it('a size that is not a size names its JSON path and the rule', () => {
    const e = bad({ disks: [{ size: '12 potatoes' }] });
    expect(e.rule).toMatch(/^disks\[0\]\.size: "12 potatoes" is not a size; write bytes or e\.g\. "256 GiB"/);
    expect(e.input).toBe('bad.json');
    expect(e.location).toEqual({ line: 8, column: 15 });
    expect(e.message).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('an unknown key is refused with a suggestion, pointing at the key', () => {
    const e = bad({ disks: [{ sizeGB: 128 }] });
    expect(e.rule).toMatch(/^disks\[0\]\.sizeGB: unknown key; did you mean "size"\?/);
    expect(e.rule).toContain('disks[0].size: missing');
    expect(e.location).toEqual({ line: 8, column: 7 });
  });

  it('unknown keys are refused at every level', () => {
    expect(bad({ colour: 'red' }).rule).toMatch(/^colour: unknown key/);
    expect(bad({ currentOs: { ...WITH_OS.currentOs, hostname: 'x' }, disks: WITH_OS.disks }).rule).toMatch(/currentOs\.hostname: unknown key/);
    expect(bad({ tpm: { versoin: '2.0' } }).rule).toMatch(/^tpm\.versoin: unknown key; did you mean "version"\?/);
  });

  it('a wrong enum value lists the allowed ones', () => {
    expect(bad({ firmware: 'uefi2' }).rule).toBe('firmware: "uefi2" is not one of "bios", "uefi"');
    expect(bad({ architecture: 'amd64' }).rule).toBe('architecture: "amd64" is not one of "x86", "x64", "arm64"');
  });

  it('a missing required field', () => {
    const e = inputError(() => parseMachineProfile(JSON.stringify({ schema: MINIMAL.schema, name: 'x', model: 'y' }), 'p.json'));
    expect(e.rule).toBe('make: missing (a string is required)');
  });

  it('a wrong or missing schema line', () => {
    expect(bad({ schema: 'openosd.inventory/v1' }).rule).toMatch(/^schema: "openosd\.inventory\/v1" is not a machine profile/);
    expect(inputError(() => parseMachineProfile('{"name": "x"}', 'p.json')).rule).toMatch(/^schema: missing/);
    expect(inputError(() => parseMachineProfile('[]', 'p.json')).rule).toBe('a machine profile is a JSON object');
  });

  it('wrong types', () => {
    expect(bad({ memoryMB: 12.5 }).rule).toBe('memoryMB: expected a whole number, got 12.5');
    expect(bad({ memoryMB: '16 GB' }).rule).toBe('memoryMB: expected a number, got "16 GB"');
    expect(bad({ battery: 'yes' }).rule).toBe('battery: expected true or false or an object, got "yes"');
    expect(bad({ battery: { chargePercent: 200 } }).rule).toBe('battery.chargePercent: 200 is out of range (maximum 100)');
  });

  it('a disk too small to hold anything', () => {
    expect(bad({ disks: [{ size: 1024 }] }).rule).toBe('disks[0].size: 1024 bytes is smaller than the smallest disk we model (1 MiB)');
    expect(bad({ disks: [{ size: -5 }] }).rule).toMatch(/^disks\[0\]\.size: -5 is not a size in bytes/);
  });

  it('addresses and identifiers', () => {
    expect(bad({ networkAdapters: [{ mac: '8C:EC:4B:12:34', name: 'n' }] }).rule).toMatch(/^networkAdapters\[0\]\.mac: "8C:EC:4B:12:34" is not a MAC address/);
    expect(bad({ networkAdapters: [{ mac: '8CEC4B123456', name: 'n', ipAddresses: ['10.0.0.300/24'] }] }).rule).toMatch(
      /^networkAdapters\[0\]\.ipAddresses\[0\]: "10\.0\.0\.300\/24" is not an IP address/,
    );
    expect(bad({ uuid: 'not-a-uuid' }).rule).toMatch(/^uuid: "not-a-uuid" is not a UUID/);
  });

  it('cross-field rules', () => {
    expect(bad({ firmware: 'bios', secureBoot: true }).rule).toMatch(/^secureBoot: Secure Boot needs UEFI firmware/);
    expect(bad({ disks: [{ size: '10 GiB', partitions: [{ size: '11 GiB' }] }] }).rule).toMatch(
      /^disks\[0\]\.partitions: the partitions need 11 GiB .* but the disk has 10 GiB/,
    );
    expect(bad({ disks: [{ size: '10 GiB', partitionStyle: 'mbr', partitions: [{ type: 'efi', size: '100 MiB' }] }] }).rule).toMatch(
      /^disks\[0\]\.partitions\[0\]\.type: "efi" partitions exist on GPT disks only/,
    );
    expect(
      bad({
        disks: [
          {
            size: '10 GiB',
            partitions: [
              { size: '1 GiB', driveLetter: 'C' },
              { size: '1 GiB', driveLetter: 'c:' },
            ],
          },
        ],
      }).rule,
    ).toMatch(/^disks\[0\]\.partitions\[1\]\.driveLetter: C: is also the drive letter of disks\[0\]\.partitions\[0\]/);
    expect(bad({ ...WITH_OS, currentOs: { ...WITH_OS.currentOs, installDrive: 'D:' } }).rule).toBe(
      'currentOs.installDrive: Windows is installed on D: but no partition in disks[] has that driveLetter',
    );
    expect(bad({ architecture: 'x86', ...WITH_OS, currentOs: { ...WITH_OS.currentOs, architecture: 'x64' } }).rule).toBe(
      'currentOs.architecture: an x64 operating system does not run on an x86 processor',
    );
    expect(bad({ networkAdapters: [{ mac: '8CEC4B123456', name: 'n', pnpDeviceId: 'PCI\\NOPE' }] }).rule).toBe(
      'networkAdapters[0].pnpDeviceId: no pnpDevices entry has the device ID "PCI\\NOPE"',
    );
    expect(bad({ ...WITH_OS, currentOs: { ...WITH_OS.currentOs, computerName: 'THIS-NAME-IS-TOO-LONG' } }).rule).toMatch(
      /^currentOs\.computerName: "THIS-NAME-IS-TOO-LONG" is not a computer name: 1 to 15 characters/,
    );
  });

  it('WMI data that breaks the encoding rules (uint64 must be a decimal string)', () => {
    const e = bad({ wmi: { 'root\\cimv2': { Win32_ComputerSystem: { merge: 'patch', instances: [{ TotalPhysicalMemory: 17179869184 }] } } } });
    expect(e.rule).toMatch(
      /^wmi\["root\\\\cimv2"\]\.Win32_ComputerSystem\.instances\[0\]\.TotalPhysicalMemory: 17179869184 is declared uint64: write it as a string/,
    );
  });

  it('registry data must fit its type', () => {
    const e = bad({
      ...WITH_OS,
      currentOs: { ...WITH_OS.currentOs, registry: [{ key: 'HKLM\\SOFTWARE\\X', values: { N: { type: 'REG_DWORD', data: 'one' } } }] },
    });
    expect(e.rule).toBe('currentOs.registry[0].values.N.data: REG_DWORD data is a whole number from 0 to 4294967295');
  });

  it('several problems are all listed, the first one located', () => {
    const e = bad({ firmware: 'uefi2', memoryMB: -1, disks: [{ size: 'big' }] });
    expect(e.rule.split('\n')[0]).toMatch(/^firmware:/);
    expect(e.rule).toContain('memoryMB: -1 is out of range (minimum 64)');
    expect(e.rule).toContain('disks[0].size: "big" is not a size');
  });
});

describe('JSON syntax errors carry line:column', () => {
  const syntax = (text: string) => inputError(() => parseMachineProfile(text, 'm.json'));

  it.each([
    ['{\n  "schema": "openosd.machine-profile/v1",\n}', 3, 1, 'malformed JSON: trailing comma before }'],
    ['{\n  "name" "x"\n}', 2, 10, `malformed JSON: expected ':' after the property name "name", found '"'`],
    ["{\n  'name': 1\n}", 2, 3, 'malformed JSON: strings and names need double quotes in JSON'],
    ['{\n  "a": [1, 2\n', 3, 1, "malformed JSON: expected ',' or ']' in the array, found the end of the text"],
    ['{"a": 1, "a": 2}', 1, 10, 'malformed JSON: duplicate key "a"'],
    ['', 1, 1, 'malformed JSON: unexpected end of the text (a value is missing)'],
    ['{} x', 1, 4, "malformed JSON: unexpected 'x' after the end of the document"],
  ])('%j', (text, line, column, rule) => {
    const e = syntax(text);
    expect(e.location).toEqual({ line, column });
    expect(e.rule).toBe(rule);
    expect(e.message).toBe(`m.json:${line}:${column}: ${rule}`);
  });

  it('a byte order mark is accepted', () => {
    expect(parseMachineProfile(`\uFEFF${JSON.stringify(MINIMAL)}`, 'bom.json').name).toBe('test machine');
  });

  it('a "__proto__" key is an ordinary (unknown) key, not a prototype', () => {
    const e = syntax(`{"schema": "openosd.machine-profile/v1", "name": "x", "make": "m", "model": "n", "__proto__": {"x": 1}}`);
    expect(e.rule).toMatch(/^__proto__: unknown key/);
  });
});

describe('loadMachineProfile', () => {
  it('reads a file and reports a missing one as an InputError', () => {
    const dir = tempDir('profile-');
    const file = join(dir, 'm.json');
    writeFileSync(file, JSON.stringify(MINIMAL));
    expect(loadMachineProfile(file).model).toBe('Model 1');
    const e = inputError(() => loadMachineProfile(join(dir, 'nope.json')));
    expect(e.rule).toBe('machine profile not found');
  });
});

describe('docs/machine-profile.md', () => {
  it('its first example is a valid profile', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/machine-profile.md'), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(doc)![1];
    const p = parseMachineProfile(json, 'docs/machine-profile.md');
    expect(p).toMatchObject({ make: 'Dell Inc.', model: 'Latitude E7270', battery: { chargePercent: 100, onAcPower: true } });
  });
});
