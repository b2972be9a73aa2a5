import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  catalogClass,
  catalogClasses,
  evaluateWql,
  normaliseNamespace,
  parseDmtf,
  parseWqlDateTime,
  WqlError,
  type WqlResult,
} from '../../../src/engine/conditions/index.js';
import type { MachineInventory } from '../../../src/engine/inventory.js';
import { exampleInventory, withClass } from './fixtures.js';

const CS = 'SELECT * FROM Win32_ComputerSystem WHERE';
const run = (query: string, inv: MachineInventory = exampleInventory(), ns = 'root\\cimv2', arrayMode?: 'any' | 'error'): WqlResult =>
  evaluateWql(ns, query, inv, { arrayMode });
const matched = (query: string, inv?: MachineInventory): boolean => {
  const r = run(query, inv);
  if (r.error) throw r.error;
  return r.matched;
};

describe('conditions-wql §7 test vectors (inventory = §5 example)', () => {
  it('1–2: LIKE is case-insensitive', () => {
    expect(matched(`${CS} Manufacturer LIKE '%DELL%'`)).toBe(true);
    expect(matched(`${CS} Manufacturer LIKE '%HP%'`)).toBe(false);
  });

  it('3–4: = is case-insensitive and does not trim', () => {
    expect(matched("select * from WIN32_computersystem where model = 'latitude e7270'")).toBe(true);
    expect(matched(`${CS} Model = 'Latitude E7270 '`)).toBe(false);
  });

  it('5: the corpus local-NTFS-disk query finds C:', () => {
    const r = run("select * from Win32_LogicalDisk where DriveType=3 and DeviceID != 'X:' and FileSystem = 'NTFS'");
    expect(r.matched).toBe(true);
    expect(r.instance).toMatchObject({ DeviceID: 'C:' });
  });

  it('6: GPT partitions are not IFS/NTFS', () => {
    expect(matched("select * from Win32_DiskPartition where DiskIndex = 0 and Type<>'Installable File System' and Type<>'NTFS'")).toBe(true);
  });

  it('7: the OS-language query compares a quoted number with a uint32; no instance ⇒ false', () => {
    const q = "SELECT OsLanguage FROM Win32_OperatingSystem WHERE OsLanguage='1033'";
    expect(matched(q, withClass(exampleInventory(), 'Win32_OperatingSystem', [{ OSLanguage: 1033, Version: '10.0.19045' }]))).toBe(true);
    expect(matched(q, withClass(exampleInventory(), 'Win32_OperatingSystem', [{ OSLanguage: 1031 }]))).toBe(false);
    const none = run(q);
    expect(none.matched).toBe(false);
    expect(none.error).toBeUndefined();
    expect(none.instanceCount).toBe(0);
  });

  it('8: an array property in any mode (with a warning) and in error mode', () => {
    const q = 'SELECT * FROM Win32_SystemEnclosure WHERE ChassisTypes = 10';
    const any = run(q);
    expect(any.matched).toBe(true);
    expect(any.warnings.join()).toMatch(/ChassisTypes is an array/);
    const err = run(q, exampleInventory(), 'root\\cimv2', 'error');
    expect(err.matched).toBe(false);
    expect(err.error?.codeName).toBe('WBEM_E_INVALID_QUERY');
    expect(err.error?.column).toBe(43);
  });

  it('9: booleans: = TRUE / = 0 / <> FALSE / > 0', () => {
    expect(matched(`${CS} PartOfDomain = TRUE`)).toBe(false);
    expect(matched(`${CS} PartOfDomain = 0`)).toBe(true);
    expect(matched(`${CS} PartOfDomain <> FALSE`)).toBe(false);
    const r = run(`${CS} PartOfDomain > 0`);
    expect(r.matched).toBe(false);
    expect(r.error?.code).toBe(0x80041017);
    expect(r.error?.message).toMatch(/boolean/);
    expect(r.error?.column).toBe(CS.length + 17);
  });

  it('10: a class with no instances is false without an error (desktop), also when absent but catalogued', () => {
    expect(matched('SELECT * FROM Win32_Battery')).toBe(true);
    const desktop = exampleInventory();
    desktop.wmi['root\\cimv2'].Win32_Battery = { instances: [] };
    const r = run('SELECT * FROM Win32_Battery', desktop);
    expect(r).toMatchObject({ matched: false, instanceCount: 0 });
    expect(r.error).toBeUndefined();
    delete desktop.wmi['root\\cimv2'].Win32_Battery;
    expect(run('SELECT * FROM Win32_Battery', desktop)).toMatchObject({ matched: false, className: 'Win32_Battery' });
    expect(run('SELECT * FROM Win32_Battery', desktop).error).toBeUndefined();
  });

  it('11: an unknown class is WBEM_E_INVALID_CLASS (0x80041010), pointing at the class name', () => {
    const r = run('SELECT * FROM Win32_Foo');
    expect(r.matched).toBe(false);
    expect(r.error?.code).toBe(0x80041010);
    expect(r.error?.codeHex).toBe('0x80041010');
    expect(r.error?.column).toBe(15);
  });

  it('12: an unknown namespace is WBEM_E_INVALID_NAMESPACE (0x8004100E)', () => {
    const r = run('SELECT * FROM Win32_ComputerSystem', exampleInventory(), 'root\\nope');
    expect(r.matched).toBe(false);
    expect(r.error?.code).toBe(0x8004100e);
    expect(r.error?.codeHex).toBe('0x8004100E');
  });

  it('13–14: [_] is a literal underscore; NOT before a predicate', () => {
    expect(matched(`${CS} Model LIKE "%[_]%"`)).toBe(false);
    expect(matched(`${CS} NOT Manufacturer LIKE '%VMware%'`)).toBe(true);
  });

  it('15: AND binds before OR', () => {
    expect(matched(`${CS} Manufacturer = 'HP' OR Manufacturer LIKE 'Dell%' AND PCSystemType = 1`)).toBe(false);
    expect(matched(`${CS} (Manufacturer = 'HP' OR Manufacturer LIKE 'Dell%') AND PCSystemType = 2`)).toBe(true);
  });

  it('16: an absent property IS NULL', () => {
    expect(matched(`${CS} SystemSKUNumber IS NULL`)).toBe(true);
    expect(matched(`${CS} SystemSKUNumber IS NOT NULL`)).toBe(false);
    expect(matched(`${CS} Model IS NOT NULL`)).toBe(true);
  });

  it('17: smart quotes are 0x80041017 with a "smart quotes" hint', () => {
    const r = run(`${CS} Manufacturer = ‘Dell Inc.’`);
    expect(r.matched).toBe(false);
    expect(r.error?.code).toBe(0x80041017);
    expect(r.error?.hint).toMatch(/smart quotes/);
  });

  it('18: uint64 stored as a JSON string compares as a 64-bit integer', () => {
    expect(matched(`${CS} TotalPhysicalMemory > 8589934592`)).toBe(true);
    expect(matched(`${CS} TotalPhysicalMemory = 17055879168`)).toBe(true);
    expect(matched(`${CS} TotalPhysicalMemory > '17055879167'`)).toBe(true);
    expect(matched(`${CS} TotalPhysicalMemory >= 17055879168.5`)).toBe(false);
    expect(matched(`${CS} TotalPhysicalMemory < 17055879168.5`)).toBe(true);
  });
});

describe('coercions (§2.3)', () => {
  const big = withClass(exampleInventory(), 'Win32_LogicalDisk', [
    { DeviceID: 'C:', DriveType: 3, Size: '18446744073709551615', FreeSpace: '9007199254740993' },
  ]);

  it('64-bit integers are exact beyond 2^53', () => {
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE Size = 18446744073709551615', big)).toBe(true);
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE Size > 18446744073709551614', big)).toBe(true);
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE FreeSpace = 9007199254740993', big)).toBe(true);
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE FreeSpace = 9007199254740992', big)).toBe(false);
  });

  it('integer property vs string constant: parsed (spaces allowed); not a number ⇒ invalid query', () => {
    expect(matched("SELECT * FROM Win32_LogicalDisk WHERE DriveType = ' 3 '")).toBe(true);
    const r = run("SELECT * FROM Win32_LogicalDisk WHERE DriveType = 'three'");
    expect(r.error?.codeName).toBe('WBEM_E_INVALID_QUERY');
    expect(r.error?.message).toMatch(/not a number/);
    expect(r.error?.column).toBe(51);
    expect(run('SELECT * FROM Win32_LogicalDisk WHERE DriveType = TRUE').error?.message).toMatch(/cannot be compared with TRUE/);
  });

  it('constants on the left flip the operator', () => {
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE 3 = DriveType')).toBe(true);
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE 2 < DriveType')).toBe(true);
    expect(matched('SELECT * FROM Win32_LogicalDisk WHERE 3 < DriveType')).toBe(false);
  });

  it('string property vs number constant compares with the canonical decimal text', () => {
    const inv = withClass(exampleInventory(), 'Win32_OperatingSystem', [{ BuildNumber: '19045', Version: '10.0.19045' }]);
    expect(matched('SELECT * FROM Win32_OperatingSystem WHERE BuildNumber = 19045', inv)).toBe(true);
    expect(matched('SELECT * FROM Win32_OperatingSystem WHERE BuildNumber = 19045.0', inv)).toBe(true);
    // Strings order as text: '10.0.19045' >= '10.0' and '9' > '10'.
    expect(matched("SELECT * FROM Win32_OperatingSystem WHERE Version >= '10.0'", inv)).toBe(true);
    expect(matched("SELECT * FROM Win32_OperatingSystem WHERE BuildNumber > '2'", inv)).toBe(false);
  });

  it('strings: < and > on upper-cased code units', () => {
    expect(matched(`${CS} Model > 'latitude'`)).toBe(true);
    expect(matched(`${CS} Model < 'LATITUDE F'`)).toBe(true);
    expect(matched(`${CS} Manufacturer <= 'dell inc.'`)).toBe(true);
  });

  it('booleans accept TRUE/FALSE, numbers (non-zero is true) and the strings true/false', () => {
    expect(matched(`${CS} PartOfDomain = -1 OR PartOfDomain = 'False'`)).toBe(true);
    expect(matched(`${CS} PartOfDomain != 'TRUE'`)).toBe(true);
    expect(run(`${CS} PartOfDomain = 'maybe'`).error?.message).toMatch(/not a boolean/);
  });

  it('NULL: every comparison is false (<> and NOT LIKE too); NOT of a false comparison is true', () => {
    expect(matched(`${CS} SystemSKUNumber = 'x'`)).toBe(false);
    expect(matched(`${CS} SystemSKUNumber <> 'x'`)).toBe(false);
    expect(matched(`${CS} SystemSKUNumber NOT LIKE 'x%'`)).toBe(false);
    expect(matched(`${CS} SystemSKUNumber LIKE '%'`)).toBe(false);
    expect(matched(`${CS} NOT SystemSKUNumber = 'x'`)).toBe(true);
    const nulls = withClass(exampleInventory(), 'Win32_ComputerSystem', [{ Model: null, Manufacturer: 'X' }]);
    expect(matched(`${CS} Model IS NULL`, nulls)).toBe(true);
    expect(matched(`${CS} Model <> 'a'`, nulls)).toBe(false);
  });

  it('datetimes: DMTF with offsets and the WQL date formats compare as UTC instants', () => {
    const inv = withClass(exampleInventory(), 'Win32_BIOS', [{ ReleaseDate: '20210615000000.000000+000', SMBIOSBIOSVersion: '1.20.0' }]);
    const q = (c: string): boolean => matched(`SELECT * FROM Win32_BIOS WHERE ReleaseDate ${c}`, inv);
    expect(q("> '20210101000000.000000+000'")).toBe(true);
    expect(q("= '20210615020000.000000+120'")).toBe(true);
    expect(q(">= '2021-06-15'")).toBe(true);
    expect(q("< 'June 16, 2021'")).toBe(true);
    expect(q("> '15 Jun 2021 00:00:01'")).toBe(false);
    expect(q("= '06/15/2021'")).toBe(true);
    expect(q("< '2021.06.14'")).toBe(false);
    const bad = run("SELECT * FROM Win32_BIOS WHERE ReleaseDate > 'soon'", inv);
    expect(bad.error?.message).toMatch(/not a date/);
    expect(run('SELECT * FROM Win32_BIOS WHERE ReleaseDate > 2021', inv).error?.codeName).toBe('WBEM_E_INVALID_QUERY');
  });

  it('LIKE on non-string properties matches the canonical text', () => {
    expect(matched("SELECT * FROM Win32_LogicalDisk WHERE DriveType LIKE '3'")).toBe(true);
    expect(matched(`${CS} TotalPhysicalMemory LIKE '17%'`)).toBe(true);
    expect(matched(`${CS} PartOfDomain LIKE 'false'`)).toBe(true);
    const inv = withClass(exampleInventory(), 'Win32_BIOS', [{ ReleaseDate: '20210615000000.000000+000' }]);
    expect(matched("SELECT * FROM Win32_BIOS WHERE ReleaseDate LIKE '2021%'", inv)).toBe(true);
  });

  it('reals compare as doubles', () => {
    const inv = withClass(exampleInventory(), 'Vendor_Thermal', [{ Celsius: 41.5 }], 'root\\wmi');
    expect(evaluateWql('root\\wmi', 'SELECT * FROM Vendor_Thermal WHERE Celsius > 41', inv).matched).toBe(true);
    expect(evaluateWql('root\\wmi', 'SELECT * FROM Vendor_Thermal WHERE Celsius = 41.5', inv).matched).toBe(true);
    expect(evaluateWql('root\\wmi', "SELECT * FROM Vendor_Thermal WHERE Celsius < '41.6'", inv).matched).toBe(true);
  });
});

describe('arrays (§2.4)', () => {
  it('any element: =, <>, LIKE, NOT LIKE; IS NULL only for a NULL array', () => {
    const q = (w: string, inv = exampleInventory()): boolean => matched(`SELECT * FROM Win32_SystemEnclosure WHERE ${w}`, inv);
    expect(q('ChassisTypes = 9')).toBe(true);
    expect(q('ChassisTypes = 3')).toBe(false);
    expect(q('ChassisTypes <> 10')).toBe(true);
    expect(q('ChassisTypes > 9')).toBe(true);
    expect(q("ChassisTypes LIKE '1_'")).toBe(true);
    expect(q("ChassisTypes NOT LIKE '9'")).toBe(true);
    expect(q('ChassisTypes IS NULL')).toBe(false);
    const empty = withClass(exampleInventory(), 'Win32_SystemEnclosure', [{ ChassisTypes: [] }]);
    expect(q('ChassisTypes IS NULL', empty)).toBe(false);
    expect(q('ChassisTypes <> 10', empty)).toBe(false);
    const nul = withClass(exampleInventory(), 'Win32_SystemEnclosure', [{ ChassisTypes: null }]);
    expect(q('ChassisTypes IS NULL', nul)).toBe(true);
  });

  it('string arrays, e.g. IPAddress', () => {
    const inv = withClass(exampleInventory(), 'Win32_NetworkAdapterConfiguration', [{ Index: 1, IPEnabled: true, IPAddress: ['10.1.2.3', 'fe80::1'] }]);
    expect(matched("SELECT * FROM Win32_NetworkAdapterConfiguration WHERE IPEnabled = TRUE AND IPAddress LIKE '10.1.%'", inv)).toBe(true);
  });
});

describe('namespaces, classes and properties (§2.5)', () => {
  it('normalises slashes, case, \\\\.\\ and \\\\localhost\\ prefixes; rejects other machines', () => {
    expect(normaliseNamespace('root/cimv2')).toBe('root\\cimv2');
    expect(normaliseNamespace('\\\\.\\root\\cimv2')).toBe('root\\cimv2');
    expect(normaliseNamespace('\\\\LOCALHOST\\ROOT\\CIMV2')).toBe('ROOT\\CIMV2');
    expect(normaliseNamespace('root\\\\cimv2\\')).toBe('root\\cimv2');
    expect(normaliseNamespace('')).toBe('root\\cimv2');
    const remote = normaliseNamespace('\\\\server01\\root\\cimv2');
    expect(remote).toBeInstanceOf(WqlError);
    expect((remote as WqlError).codeName).toBe('WBEM_E_INVALID_NAMESPACE');
    for (const ns of ['ROOT\\CIMV2', 'root/cimv2', '\\\\.\\root\\cimv2', '']) {
      expect(run(`${CS} Manufacturer LIKE 'Dell%'`, exampleInventory(), ns).matched).toBe(true);
    }
    expect(run('SELECT * FROM Win32_ComputerSystem', exampleInventory(), '//server/root/cimv2').error?.code).toBe(0x8004100e);
  });

  it('class and inventory keys match case-insensitively; the catalog spelling is reported', () => {
    const r = run('select * from win32_computersystem');
    expect(r.className).toBe('Win32_ComputerSystem');
    expect(r.namespace).toBe('root\\cimv2');
  });

  it('other namespaces exist only when the inventory has them; catalogued classes there are empty', () => {
    expect(run('SELECT * FROM Win32_Tpm', exampleInventory(), 'root\\cimv2\\Security\\MicrosoftTpm').error?.codeName).toBe('WBEM_E_INVALID_NAMESPACE');
    const inv = exampleInventory();
    inv.wmi['root\\cimv2\\Security\\MicrosoftTpm'] = {};
    const r = run('SELECT * FROM Win32_Tpm WHERE IsEnabled_InitialValue = TRUE', inv, 'root\\CIMV2\\security\\microsofttpm');
    expect(r).toMatchObject({ matched: false, instanceCount: 0 });
    expect(r.error).toBeUndefined();
    // root\wmi always exists; its catalogued class is empty, an unknown one is invalid unless unknownClass is "empty".
    expect(run('SELECT * FROM MS_SystemInformation', exampleInventory(), 'root\\wmi').error).toBeUndefined();
    expect(run('SELECT * FROM Lenovo_Bios', exampleInventory(), 'root\\wmi').error?.codeName).toBe('WBEM_E_INVALID_CLASS');
    expect(evaluateWql('root\\wmi', 'SELECT * FROM Lenovo_Bios', exampleInventory(), { unknownClass: 'empty' }).error).toBeUndefined();
  });

  it('unknown properties are WBEM_E_INVALID_QUERY with the column and a suggestion', () => {
    const r = run(`${CS} Modle = 'x'`);
    expect(r.error?.codeName).toBe('WBEM_E_INVALID_QUERY');
    expect(r.error?.message).toBe('Win32_ComputerSystem has no property Modle');
    expect(r.error?.hint).toBe('did you mean Model?');
    expect(r.error?.column).toBe(CS.length + 2);
    expect(run('SELECT Foo FROM Win32_ComputerSystem').error?.column).toBe(8);
    // Unknown even when the class has no instances: the catalog knows its properties.
    expect(run('SELECT * FROM Win32_Battery WHERE Charge = 1', withClass(exampleInventory(), 'Win32_Battery', [])).error?.codeName).toBe(
      'WBEM_E_INVALID_QUERY',
    );
  });

  it('vendor classes: the schema comes from declarations and instances', () => {
    const inv = exampleInventory();
    inv.wmi['root\\HP\\InstrumentedBIOS'] = {
      HP_BIOSSetting: {
        properties: { Name: { type: 'string', key: true }, CurrentValue: { type: 'string' }, IsReadOnly: { type: 'uint32' } },
        instances: [{ Name: 'Secure Boot', CurrentValue: 'Enable', IsReadOnly: 0 }],
      },
      HP_Untyped: { instances: [{ Name: 'x', Count: 5 }] },
    };
    expect(
      evaluateWql('root\\HP\\InstrumentedBIOS', "SELECT * FROM HP_BIOSSetting WHERE Name = 'Secure Boot' AND CurrentValue = 'enable' AND IsReadOnly = '0'", inv)
        .matched,
    ).toBe(true);
    expect(evaluateWql('root/hp/instrumentedbios', 'SELECT * FROM HP_Untyped WHERE Count >= 5', inv).matched).toBe(true);
    expect(evaluateWql('root\\HP\\InstrumentedBIOS', 'SELECT * FROM HP_Untyped WHERE Other = 5', inv).error?.message).toMatch(/no property Other/);
  });

  it('system properties: __CLASS, __NAMESPACE, __GENUS', () => {
    expect(matched(`${CS} __CLASS = 'win32_computersystem'`)).toBe(true);
    expect(matched(`${CS} NOT __class < "Win32"`)).toBe(true);
    expect(matched(`${CS} __GENUS = 2 AND __NAMESPACE LIKE 'root%'`)).toBe(true);
  });

  it('the catalog covers the §3–§4 classes with the documented types', () => {
    expect(catalogClass('root\\cimv2', 'win32_systemenclosure')?.properties.ChassisTypes).toEqual({ type: 'uint16', array: true });
    expect(catalogClass('ROOT\\CIMV2', 'Win32_ComputerSystem')?.properties.TotalPhysicalMemory).toEqual({ type: 'uint64' });
    expect(catalogClass('root\\cimv2', 'Win32_OperatingSystem')?.properties.OSLanguage).toEqual({ type: 'uint32' });
    expect(catalogClass('root\\cimv2', 'Win32_LogicalDisk')?.properties.DeviceID).toEqual({ type: 'string', key: true });
    expect(catalogClass('root\\wmi', 'MS_SystemInformation')?.properties.SystemSKU).toEqual({ type: 'string' });
    const names = catalogClasses().map((c) => c.name);
    for (const c of [
      'Win32_ComputerSystem',
      'Win32_ComputerSystemProduct',
      'Win32_BIOS',
      'Win32_SystemEnclosure',
      'Win32_BaseBoard',
      'Win32_Battery',
      'Win32_OperatingSystem',
      'Win32_Processor',
      'Win32_PhysicalMemory',
      'Win32_DiskDrive',
      'Win32_DiskPartition',
      'Win32_LogicalDisk',
      'Win32_Volume',
      'Win32_NetworkAdapterConfiguration',
      'Win32_NetworkAdapter',
      'Win32_PnPEntity',
      'Win32_Tpm',
      'Win32_EncryptableVolume',
      'MS_SystemInformation',
    ]) {
      expect(names).toContain(c);
    }
  });

  it('inventory declarations override the catalog', () => {
    const inv = exampleInventory();
    inv.wmi['root\\cimv2'].Win32_ComputerSystem.properties = { Model: { type: 'uint32' } };
    inv.wmi['root\\cimv2'].Win32_ComputerSystem.instances = [{ Model: 7 }];
    expect(matched(`${CS} Model > 6`, inv)).toBe(true);
  });
});

describe('result details', () => {
  it('the first matching instance', () => {
    const r = run('SELECT * FROM Win32_LogicalDisk WHERE DriveType = 3');
    expect(r.instance).toMatchObject({ DeviceID: 'X:' });
    expect(r.nearestMiss).toBeUndefined();
  });

  it('nearest miss: the instance that satisfied most predicates and the first predicate it failed', () => {
    const r = run(`${CS} Model LIKE '%Latitude 7420%'`);
    expect(r.matched).toBe(false);
    expect(r.nearestMiss).toEqual({
      instance: exampleInventory().wmi['root\\cimv2'].Win32_ComputerSystem.instances[0],
      failedPredicate: "Model LIKE '%Latitude 7420%'",
      property: 'Model',
      actual: 'Latitude E7270',
    });
    const disks = run("SELECT * FROM Win32_LogicalDisk WHERE DriveType = 3 AND DeviceID <> 'X:' AND FileSystem = 'FAT32'");
    expect(disks.nearestMiss).toMatchObject({ instance: { DeviceID: 'C:' }, failedPredicate: "FileSystem = 'FAT32'", actual: 'NTFS' });
    const nul = run(`${CS} SystemSKUNumber = 'ABC'`);
    expect(nul.nearestMiss).toMatchObject({ property: 'SystemSKUNumber', actual: null });
    const not = run(`${CS} NOT (Model LIKE 'Lat%')`);
    expect(not.nearestMiss).toMatchObject({ failedPredicate: "NOT (Model LIKE 'Lat%')", property: 'Model' });
  });
});

describe('evaluateWql never throws', () => {
  it('on arbitrary query text and namespaces', () => {
    const inv = exampleInventory();
    const parts = fc.constantFrom(
      'SELECT',
      '*',
      'FROM',
      'Win32_ComputerSystem',
      'Win32_SystemEnclosure',
      'WHERE',
      'Model',
      'ChassisTypes',
      'PartOfDomain',
      'TotalPhysicalMemory',
      '=',
      '<',
      '<>',
      'LIKE',
      "'%a[b-c]%'",
      "'x'",
      '5',
      '-1.5e3',
      'TRUE',
      'NULL',
      'IS',
      'NOT',
      'AND',
      'OR',
      '(',
      ')',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(parts, { maxLength: 14 }).map((a) => a.join(' ')),
          fc.string({ maxLength: 50 }),
        ),
        fc.constantFrom('root\\cimv2', '', '\\\\x\\y', 'root\\wmi', fc.sample(fc.string(), 1)[0]),
        fc.constantFrom<'any' | 'error'>('any', 'error'),
        (q, ns, arrayMode) => {
          const r = evaluateWql(ns, q, inv, { arrayMode });
          expect(typeof r.matched).toBe('boolean');
          if (r.error) {
            expect(r.matched).toBe(false);
            expect([0x80041017, 0x80041010, 0x8004100e]).toContain(r.error.code);
          }
        },
      ),
      { numRuns: 600 },
    );
  });
});

describe('date/time parsing', () => {
  it('DMTF and WQL formats', () => {
    const utc = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
    expect(parseDmtf('20240131120000.000000+000')).toBe(utc('2024-01-31T12:00:00Z'));
    expect(parseDmtf('20240131120000.000001-060')).toBe(utc('2024-01-31T13:00:00Z') + 1n);
    expect(parseDmtf('20240230120000.000000+000')).toBeUndefined();
    expect(parseWqlDateTime('January 31, 2024')).toBe(utc('2024-01-31T00:00:00Z'));
    expect(parseWqlDateTime('Jan 21 32')).toBe(utc('1932-01-21T00:00:00Z'));
    expect(parseWqlDateTime('21 Jan32')).toBe(utc('1932-01-21T00:00:00Z'));
    expect(parseWqlDateTime('2024 Jan 31')).toBe(utc('2024-01-31T00:00:00Z'));
    expect(parseWqlDateTime('January 1932')).toBe(utc('1932-01-01T00:00:00Z'));
    expect(parseWqlDateTime('1/31/2024 1:30 PM')).toBe(utc('2024-01-31T13:30:00Z'));
    expect(parseWqlDateTime('2024-01-31T08:00:00Z')).toBe(utc('2024-01-31T08:00:00Z'));
    expect(parseWqlDateTime('20240131')).toBe(utc('2024-01-31T00:00:00Z'));
    expect(parseWqlDateTime('1/31-2024')).toBeUndefined();
    expect(parseWqlDateTime('Smarch 3 2024')).toBeUndefined();
  });
});
