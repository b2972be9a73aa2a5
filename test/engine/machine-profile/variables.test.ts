import { describe, expect, it } from 'vitest';
import { builtInVariablesFor, processEnvironmentFor } from '../../../src/engine/machine-profile/index.js';
import { inputError } from '../../helpers/errors.js';
import { example, profile, WITH_OS } from './helpers.js';

const laptop = example('uefi-x64-laptop-bare-metal');
const desktop = example('bios-x86-desktop');
const refresh = example('win10-x64-refresh');

describe('builtInVariablesFor', () => {
  it('the bare-metal laptop in WinPE', () => {
    expect(builtInVariablesFor(laptop, 'winpe')).toEqual({
      _SMSTSInWinPE: 'true',
      _SMSTSBootUEFI: 'true',
      _TSSecureBoot: 'Enabled',
      _SMSTSWTG: 'false',
      _SMSTSMachineName: 'MININT-8K3JD2F',
      _SMSTSMake: 'Dell Inc.',
      _SMSTSModel: 'Latitude E7270',
      _SMSTSSerialNumber: '7XK9Q52',
      _SMSTSAssetTag: 'CTS-L-00417',
      _SMSTSUUID: '4C4C4544-0058-4B10-8039-B7C04F513532',
      // The Wi-Fi adapter does not exist in WinPE.
      _SMSTSMacAddresses: 'F8:CA:B8:5A:1E:2C',
      _SMSTSMacAddresses001: 'F8:CA:B8:5A:1E:2C',
      _SMSTSIPAddresses: '10.20.31.144,fe80::54c1:9ab3:7e21:4f0d',
      _SMSTSIPAddresses001: '10.20.31.144',
      _SMSTSIPAddresses002: 'fe80::54c1:9ab3:7e21:4f0d',
      _SMSTSDefaultGateways: '10.20.31.1',
      _SMSTSDefaultGateways001: '10.20.31.1',
    });
  });

  it('legacy BIOS: not UEFI, Secure Boot not applicable', () => {
    const v = builtInVariablesFor(desktop, 'winpe');
    expect(v).toMatchObject({ _SMSTSBootUEFI: 'false', _TSSecureBoot: 'NA', _SMSTSMake: 'LENOVO', _SMSTSModel: '9265A2G' });
    expect(v._OSDDetectedWinDir).toBeUndefined();
  });

  it('UEFI with Secure Boot off', () => {
    expect(builtInVariablesFor(profile({ secureBoot: false }), 'winpe')._TSSecureBoot).toBe('Disabled');
  });

  it('the refresh desktop: its name in both environments, the detected Windows in WinPE only', () => {
    const pe = builtInVariablesFor(refresh, 'winpe');
    expect(pe).toMatchObject({ _SMSTSInWinPE: 'true', _SMSTSMachineName: 'CTS-PC-0423', _OSDDetectedWinDir: 'C:\\Windows', _OSDDetectedWinDrive: 'C:' });
    const full = builtInVariablesFor(refresh, 'fullos');
    expect(full).toMatchObject({ _SMSTSInWinPE: 'false', _SMSTSMachineName: 'CTS-PC-0423', _SMSTSMake: 'HP' });
    expect(full._OSDDetectedWinDir).toBeUndefined();
  });

  it('WinPE finds Windows under the letter it gave the volume (D: behind an MBR System Reserved partition)', () => {
    const mbr = profile({
      firmware: 'bios',
      disks: [
        {
          size: '80 GB',
          partitions: [
            { size: '500 MiB', active: true },
            { size: 'remaining', driveLetter: 'C:' },
          ],
        },
      ],
      currentOs: { caption: 'Microsoft Windows 10 Pro', version: '10.0.19045', computerName: 'OLD-PC' },
    });
    expect(builtInVariablesFor(mbr, 'winpe')).toMatchObject({ _OSDDetectedWinDir: 'D:\\Windows', _OSDDetectedWinDrive: 'D:' });
  });

  it('no detected Windows when its volume is BitLocker-locked', () => {
    const locked = structuredClone(refresh);
    locked.disks[0].partitions[2].bitLocker = 'on';
    expect(builtInVariablesFor(locked, 'winpe')._OSDDetectedWinDir).toBeUndefined();
  });

  it('lists every IP-enabled adapter in order; empty values are left out', () => {
    const p = profile({
      assetTag: '',
      networkAdapters: [
        { mac: '00:00:00:00:00:01', name: 'A', ipAddresses: ['10.0.0.1/8'], gateways: ['10.0.0.254'] },
        { mac: '00:00:00:00:00:02', name: 'B', connected: false },
        { mac: '00:00:00:00:00:03', name: 'C', ipAddresses: ['192.168.1.9'], gateways: ['192.168.1.1'] },
      ],
    });
    const v = builtInVariablesFor(p, 'winpe');
    expect(v._SMSTSMacAddresses).toBe('00:00:00:00:00:01,00:00:00:00:00:03');
    expect([v._SMSTSMacAddresses001, v._SMSTSMacAddresses002, v._SMSTSMacAddresses003]).toEqual(['00:00:00:00:00:01', '00:00:00:00:00:03', undefined]);
    expect(v._SMSTSDefaultGateways).toBe('10.0.0.254,192.168.1.1');
    expect('_SMSTSAssetTag' in v).toBe(false);
    expect(Object.values(v).every((x) => typeof x === 'string' && x !== '')).toBe(true);
    expect('_SMSTSMacAddresses' in builtInVariablesFor(profile(), 'winpe')).toBe(false);
  });

  it('reads identity from the inventory, so patched WMI data shows', () => {
    const p = profile({ wmi: { 'root\\cimv2': { Win32_ComputerSystem: { merge: 'patch', instances: [{ Manufacturer: 'Hewlett-Packard' }] } } } });
    expect(builtInVariablesFor(p, 'winpe')._SMSTSMake).toBe('Hewlett-Packard');
  });

  it('refuses the full OS of a bare-metal profile', () => {
    expect(inputError(() => builtInVariablesFor(laptop, 'fullos')).rule).toMatch(/no currentOs/);
  });
});

describe('processEnvironmentFor', () => {
  it('WinPE runs from X:', () => {
    expect(processEnvironmentFor(laptop, 'winpe')).toMatchObject({
      SystemDrive: 'X:',
      SystemRoot: 'X:\\windows',
      ComSpec: 'X:\\windows\\system32\\cmd.exe',
      PROCESSOR_ARCHITECTURE: 'AMD64',
      NUMBER_OF_PROCESSORS: '4',
      COMPUTERNAME: 'MININT-8K3JD2F',
    });
    expect(processEnvironmentFor(desktop, 'winpe').PROCESSOR_ARCHITECTURE).toBe('x86');
    expect(processEnvironmentFor(desktop, 'winpe')['ProgramFiles(x86)']).toBeUndefined();
    expect(processEnvironmentFor(profile({ architecture: 'arm64' }), 'winpe').PROCESSOR_ARCHITECTURE).toBe('ARM64');
  });

  it('the full OS runs from its install drive, with the architecture of the OS', () => {
    expect(processEnvironmentFor(refresh, 'fullos')).toMatchObject({
      SystemDrive: 'C:',
      SystemRoot: 'C:\\Windows',
      windir: 'C:\\Windows',
      COMPUTERNAME: 'CTS-PC-0423',
      USERDOMAIN: 'CONTOSO',
      'ProgramFiles(x86)': 'C:\\Program Files (x86)',
    });
    const x86os = profile({ ...WITH_OS, currentOs: { ...WITH_OS.currentOs, architecture: 'x86' } });
    expect(processEnvironmentFor(x86os, 'fullos').PROCESSOR_ARCHITECTURE).toBe('x86');
  });
});
