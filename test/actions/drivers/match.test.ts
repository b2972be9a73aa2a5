// Auto Apply Drivers matching (osd-features §2.6).
import { describe, expect, it } from 'vitest';
import { compareVersions, driverCatalogSchema, matchDrivers, matchRank, type Driver } from '../../../src/actions/drivers/index.js';

let n = 0;
function drv(patch: Partial<Driver> & { hardwareIds: string[] }): Driver {
  n++;
  return {
    id: `DRV${String(n).padStart(5, '0')}`,
    name: `Driver ${n}`,
    inf: `d${n}/d.inf`,
    folder: `d${n}`,
    compatibleIds: [],
    platforms: ['x64'],
    categories: [],
    enabled: true,
    ...patch,
  };
}
const catalog = (...drivers: Driver[]) => driverCatalogSchema.parse({ schema: 'openosd.driver-catalog/v1', drivers, packages: [] });

const NIC = {
  name: 'Ethernet',
  hardwareIds: [
    'PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028&REV_20',
    'PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028',
    'PCI\\VEN_8086&DEV_15BB&CC_020000',
    'PCI\\VEN_8086&DEV_15BB',
  ],
  compatibleIds: ['PCI\\VEN_8086&CC_020000', 'PCI\\CC_020000'],
};
const X64 = { architecture: 'x64' as const, bestMatch: true };

describe('matchDrivers', () => {
  const generic = drv({ name: 'generic', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'] });
  const specific = drv({ name: 'specific', hardwareIds: ['PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028'] });
  const classDriver = drv({ name: 'class', hardwareIds: ['PCI\\CC_020000'] });

  it('best match keeps one driver per device: the most specific hardware ID', () => {
    const r = matchDrivers(catalog(generic, specific, classDriver), [NIC], X64);
    expect(r.perDevice[0].drivers.map((m) => [m.driver.name, m.matchedId, m.kind])).toEqual([
      ['specific', 'PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028', 'hardware'],
    ]);
    expect(r.selected.map((d) => d.name)).toEqual(['specific']);
  });

  it('all compatible keeps every candidate, best first; a device compatible ID matching a driver hardware ID ranks lower', () => {
    const r = matchDrivers(catalog(classDriver, generic, specific), [NIC], { ...X64, bestMatch: false });
    expect(r.perDevice[0].drivers.map((m) => [m.driver.name, m.kind])).toEqual([
      ['specific', 'hardware'],
      ['generic', 'hardware'],
      ['class', 'compatible-to-hardware'],
    ]);
    expect(r.selected.map((d) => d.name)).toEqual(['specific', 'generic', 'class']);
  });

  it('a hardware-ID match beats a compatible-ID match whatever the specificity', () => {
    const viaCompat = drv({
      name: 'via INF compatible id',
      hardwareIds: ['PCI\\VEN_8086&DEV_FFFF'],
      compatibleIds: ['PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028&REV_20'],
    });
    const short = drv({ name: 'short', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'] });
    const r = matchDrivers(catalog(viaCompat, short), [NIC], { ...X64, bestMatch: false });
    expect(r.perDevice[0].drivers.map((m) => [m.driver.name, m.kind])).toEqual([
      ['short', 'hardware'],
      ['via INF compatible id', 'hardware-to-compatible'],
    ]);
    expect(matchRank('compatible-to-hardware', 'PCI\\CC_020000')).toBeGreaterThan(matchRank('compatible', 'PCI\\CC_020000'));
  });

  it('ties go to the newer date, then the higher version, then the id [I]', () => {
    const older = drv({ name: 'older', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'], date: '2022-01-01', version: '99.0' });
    const newer = drv({ name: 'newer', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'], date: '2023-05-17', version: '1.0' });
    expect(matchDrivers(catalog(older, newer), [NIC], X64).selected.map((d) => d.name)).toEqual(['newer']);
    const v9 = drv({ name: 'v9', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'], date: '2023-05-17', version: '12.9.0.0' });
    const v10 = drv({ name: 'v10', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'], date: '2023-05-17', version: '12.10.0.0' });
    expect(matchDrivers(catalog(v9, v10), [NIC], X64).selected.map((d) => d.name)).toEqual(['v10']);
    const a = drv({ name: 'a', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'] });
    const b = drv({ name: 'b', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'] });
    expect(matchDrivers(catalog(b, a), [NIC], X64).selected.map((d) => d.name)).toEqual(['a']);
  });

  it('ignores disabled drivers and drivers for another platform, and reports why', () => {
    const disabled = drv({ name: 'disabled', hardwareIds: ['PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028&REV_20'], enabled: false });
    const x86 = drv({ name: 'x86 only', hardwareIds: ['PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028&REV_20'], platforms: ['x86'] });
    const r = matchDrivers(catalog(disabled, x86, generic), [NIC], X64);
    expect(r.selected.map((d) => d.name)).toEqual(['generic']);
    expect(r.excluded.map((e) => [e.driver.name, e.reason])).toEqual([
      ['disabled', 'disabled'],
      ['x86 only', 'platform'],
    ]);
    expect(matchDrivers(catalog(x86), [NIC], { ...X64, architecture: 'x86' }).selected.map((d) => d.name)).toEqual(['x86 only']);
  });

  it('limits to categories (OR-ed, case-insensitive); no categories = all', () => {
    const dell = drv({ name: 'dell', hardwareIds: ['PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028'], categories: ['Dell Latitude 7420'] });
    const hp = drv({ name: 'hp', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'], categories: ['HP EliteBook 840'] });
    const none = drv({ name: 'none', hardwareIds: ['PCI\\VEN_8086&DEV_15BB'] });
    const c = catalog(dell, hp, none);
    const names = (categories?: string[]) => matchDrivers(c, [NIC], { ...X64, bestMatch: false, categories }).selected.map((d) => d.name);
    expect(names(undefined)).toEqual(['dell', 'hp', 'none']);
    expect(names([])).toEqual(['dell', 'hp', 'none']);
    expect(names(['hp elitebook 840'])).toEqual(['hp']);
    expect(names(['HP EliteBook 840', 'Dell Latitude 7420'])).toEqual(['dell', 'hp']);
    expect(matchDrivers(c, [NIC], { ...X64, categories: ['HP EliteBook 840'] }).excluded.map((e) => [e.driver.name, e.reason])).toEqual([
      ['dell', 'category'],
      ['none', 'category'],
    ]);
  });

  it('compares IDs case-insensitively and reports the ID as the device gave it', () => {
    const lower = drv({ name: 'lower', hardwareIds: ['pci\\ven_8086&dev_15bb'] });
    const r = matchDrivers(catalog(lower), [{ hardwareIds: ['PCI\\VEN_8086&DEV_15BB'] }], X64);
    expect(r.perDevice[0].drivers[0].matchedId).toBe('PCI\\VEN_8086&DEV_15BB');
  });

  it('several devices: per-device results in order, a shared driver selected once; unmatched devices have no drivers', () => {
    const audio = drv({ name: 'audio', hardwareIds: ['HDAUDIO\\FUNC_01&VEN_10EC&DEV_0257'] });
    const shared = drv({ name: 'chipset', hardwareIds: ['PCI\\VEN_8086&DEV_A0EF', 'PCI\\VEN_8086&DEV_A0E8'] });
    const devices = [
      { name: 'SMBus', hardwareIds: ['PCI\\VEN_8086&DEV_A0EF'] },
      { name: 'Audio', hardwareIds: ['HDAUDIO\\FUNC_01&VEN_10EC&DEV_0257&SUBSYS_10280A1F', 'HDAUDIO\\FUNC_01&VEN_10EC&DEV_0257'] },
      { name: 'I2C', hardwareIds: ['PCI\\VEN_8086&DEV_A0E8'] },
      { name: 'Unknown', hardwareIds: ['ACPI\\XYZ0001'] },
    ];
    const r = matchDrivers(catalog(audio, shared), devices, X64);
    expect(r.perDevice.map((p) => [p.device.name, p.drivers.map((m) => m.driver.name)])).toEqual([
      ['SMBus', ['chipset']],
      ['Audio', ['audio']],
      ['I2C', ['chipset']],
      ['Unknown', []],
    ]);
    expect(r.selected.map((d) => d.name)).toEqual(['chipset', 'audio']);
  });

  it('can require available content', () => {
    const r = matchDrivers(catalog(specific, generic), [NIC], { ...X64, available: (d) => d.name !== 'specific' });
    expect(r.selected.map((d) => d.name)).toEqual(['generic']);
    expect(r.excluded).toEqual([{ driver: expect.objectContaining({ name: 'specific' }), reason: 'unavailable' }]);
  });

  it('compares versions numerically', () => {
    expect(compareVersions('10.2', '9.30')).toBe(1);
    expect(compareVersions('1.0', '1.0.0.0')).toBe(0);
    expect(compareVersions(undefined, '0.1')).toBe(-1);
  });
});
