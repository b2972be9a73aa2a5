/**
 * Property: any valid profile yields inventories whose WMI values follow the encoding rules of
 * conditions-wql.md §5 — every value declared, uint64/sint64 as decimal strings, other integers as
 * in-range JSON numbers, datetimes in DMTF form, arrays exactly where the declaration says — and
 * built-in variables that are non-empty strings. The checker here is written independently of the
 * one the schema uses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CimPropertyDecl, CimValue, MachineInventory } from '../../../src/engine/inventory.js';
import { builtInVariablesFor, inventoryFor, parseMachineProfile, processEnvironmentFor } from '../../../src/engine/machine-profile/index.js';

const RANGES: Record<string, [bigint, bigint]> = {
  uint8: [0n, 255n],
  sint8: [-128n, 127n],
  uint16: [0n, 65535n],
  sint16: [-32768n, 32767n],
  uint32: [0n, 4294967295n],
  sint32: [-2147483648n, 2147483647n],
  uint64: [0n, 2n ** 64n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
};

function scalarOk(type: string, v: unknown): boolean {
  if (type === 'uint64' || type === 'sint64') {
    if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return false;
    const [lo, hi] = RANGES[type];
    return BigInt(v) >= lo && BigInt(v) <= hi;
  }
  if (type in RANGES) {
    const [lo, hi] = RANGES[type];
    return typeof v === 'number' && Number.isInteger(v) && BigInt(v) >= lo && BigInt(v) <= hi;
  }
  if (type === 'boolean') return typeof v === 'boolean';
  if (type === 'datetime') return typeof v === 'string' && /^\d{14}\.\d{6}[+-]\d{3}$/.test(v);
  if (type === 'real32' || type === 'real64') return typeof v === 'number' && Number.isFinite(v);
  return typeof v === 'string';
}

function encodingProblems(inv: MachineInventory): string[] {
  const out: string[] = [];
  const namespaces = Object.keys(inv.wmi).map((n) => n.toLowerCase());
  if (new Set(namespaces).size !== namespaces.length) out.push('namespace listed twice');
  for (const [ns, classes] of Object.entries(inv.wmi)) {
    for (const [cls, data] of Object.entries(classes)) {
      const decls = new Map<string, CimPropertyDecl>(Object.entries(data.properties ?? {}).map(([k, d]) => [k.toLowerCase(), d]));
      if (!decls.size) out.push(`${ns}:${cls} has no property declarations`);
      data.instances.forEach((inst, i) => {
        for (const [prop, value] of Object.entries(inst) as Array<[string, CimValue]>) {
          const where = `${ns}:${cls}[${i}].${prop} = ${JSON.stringify(value)}`;
          const d = decls.get(prop.toLowerCase());
          if (!d) out.push(`${where}: not declared`);
          else if (value === null) continue;
          else if (d.array) {
            if (!Array.isArray(value) || !value.every((x) => scalarOk(d.type, x))) out.push(`${where}: not a ${d.type}[]`);
          } else if (Array.isArray(value) || !scalarOk(d.type, value)) out.push(`${where}: not a ${d.type}`);
        }
      });
    }
  }
  return out;
}

// ───────────────────────────── generators ─────────────────────────────

const byte = fc.integer({ min: 0, max: 255 });
const hex2 = byte.map((n) => n.toString(16).padStart(2, '0'));
const macText = fc.tuple(fc.array(hex2, { minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-', ''), fc.boolean()).map(([p, sep, upper]) => {
  const t = p.join(sep);
  return upper ? t.toUpperCase() : t;
});
const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), byte, byte, fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
const ipWithPrefix = fc.oneof(
  fc.tuple(ipv4, fc.option(fc.integer({ min: 8, max: 30 }), { nil: undefined })).map(([a, p]) => (p === undefined ? a : `${a}/${p}`)),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }).map((g) => `fe80::${g.map((x) => x.toString(16)).join(':')}/64`),
);
const text = fc.string({ minLength: 1, maxLength: 24 });
const sizeOf = (bytes: number) => fc.constantFrom(bytes, String(bytes), `${bytes / 2 ** 20} MiB`);

const cimTypes = ['string', 'boolean', 'datetime', 'uint8', 'sint8', 'uint16', 'sint16', 'uint32', 'sint32', 'uint64', 'sint64', 'real64'] as const;
const cimValueOf = (type: (typeof cimTypes)[number]): fc.Arbitrary<CimValue> => {
  switch (type) {
    case 'string':
      return fc.string({ maxLength: 12 });
    case 'boolean':
      return fc.boolean();
    case 'datetime':
      return fc
        .date({ min: new Date('1990-01-01'), max: new Date('2090-01-01'), noInvalidDate: true })
        .map((d) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}.000000+000`);
    case 'uint64':
      return fc.bigInt(0n, 2n ** 64n - 1n).map(String);
    case 'sint64':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(String);
    case 'real64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    default: {
      const [lo, hi] = RANGES[type];
      return fc.integer({ min: Number(lo), max: Number(hi) });
    }
  }
};
const vendorClass = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/), fc.constantFrom(...cimTypes), fc.boolean()), {
    selector: (x) => x[0].toLowerCase(),
    minLength: 1,
    maxLength: 5,
  })
  .chain((props) =>
    fc.record({
      properties: fc.constant(Object.fromEntries(props.map(([n, t, a]) => [n, a ? { type: t, array: true } : { type: t }]))),
      instances: fc.array(
        fc.record(
          Object.fromEntries(
            props.map(([n, t, a]) => [n, fc.oneof(a ? fc.array(cimValueOf(t) as fc.Arbitrary<string>, { maxLength: 3 }) : cimValueOf(t), fc.constant(null))]),
          ),
        ),
        { maxLength: 3 },
      ),
    }),
  );

const partitionsFor = (gpt: boolean, diskMiB: number) =>
  fc.array(
    fc.record({
      type: fc.constantFrom(...(gpt ? (['efi', 'msr', 'basic', 'recovery'] as const) : (['basic', 'recovery'] as const))),
      mib: fc.integer({ min: 1, max: Math.max(1, Math.floor(diskMiB / 8)) }),
      fileSystem: fc.constantFrom(undefined, 'NTFS', 'FAT32', 'FAT', 'exFAT', 'ReFS', null),
      wantsLetter: fc.boolean(),
      winpeLetter: fc.constantFrom(undefined, undefined, null),
      bitLocker: fc.constantFrom('off', 'on', 'suspended'),
      active: fc.boolean(),
    }),
    { maxLength: 4 },
  );

const disk = fc
  .record({
    gib: fc.integer({ min: 1, max: 4096 }),
    style: fc.constantFrom('gpt', 'mbr', undefined),
    busType: fc.constantFrom('nvme', 'sata', 'ata', 'sas', 'scsi', 'usb', 'raid', 'mmc'),
  })
  .map((d) => (d.style === 'mbr' ? { ...d, gib: Math.min(d.gib, 2048) } : d))
  .chain((d) => fc.record({ d: fc.constant(d), parts: partitionsFor(d.style !== 'mbr', d.gib * 1024), size: sizeOf(d.gib * 2 ** 30) }));

const osGen = fc.record({
  caption: text,
  version: fc.constantFrom('10.0.19045', '10.0.22631', '10.0.26100', '6.3.9600'),
  ubr: fc.option(fc.integer({ min: 0, max: 9999 }), { nil: undefined }),
  language: fc.constantFrom('en-US', 'de-DE', 'ja-JP', 'fr-CA'),
  computerName: fc.stringMatching(/^[A-Z][A-Z0-9-]{0,14}$/),
  domain: fc.option(fc.constantFrom('corp.contoso.com', 'fabrikam.local'), { nil: undefined }),
  edition: fc.constantFrom('Enterprise', 'Professional', 'Education', 'SomethingNew'),
  productType: fc.constantFrom('workstation', 'server'),
  profiles: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.boolean(), fc.integer({ min: 1000, max: 99999 })), {
    selector: (x) => x[0],
    maxLength: 3,
  }),
  msi: fc.uniqueArray(fc.tuple(fc.uuid(), text), { selector: (x) => x[0], maxLength: 3 }),
  arch: fc.constantFrom<'same' | 'x86'>('same', 'x86'),
  client: fc.boolean(),
  registryDword: fc.integer({ min: 0, max: 0xffffffff }),
});

const profileInput = fc
  .record({
    name: text,
    make: text,
    model: text,
    architecture: fc.constantFrom('x86', 'x64', 'arm64'),
    firmware: fc.constantFrom('bios', 'uefi'),
    secureBoot: fc.boolean(),
    memoryMB: fc.integer({ min: 64, max: 4 * 1024 * 1024 }),
    processors: fc.array(
      fc.record({ cores: fc.integer({ min: 1, max: 128 }), extra: fc.integer({ min: 0, max: 128 }), mhz: fc.integer({ min: 1, max: 6000 }) }),
      { minLength: 1, maxLength: 2 },
    ),
    battery: fc.oneof(fc.boolean(), fc.record({ chargePercent: fc.integer({ min: 0, max: 100 }), onAcPower: fc.boolean() })),
    tpm: fc.option(
      fc.record({ present: fc.boolean(), version: fc.constantFrom('2.0', '1.2'), enabled: fc.boolean(), manufacturer: fc.stringMatching(/^[A-Z]{1,4}$/) }),
      { nil: null },
    ),
    chassis: fc.option(fc.array(fc.integer({ min: 1, max: 36 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    adapters: fc.uniqueArray(
      fc.record({
        mac: macText,
        kind: fc.constantFrom('ethernet', 'wifi'),
        connected: fc.boolean(),
        ips: fc.array(ipWithPrefix, { maxLength: 3 }),
        gateways: fc.array(ipv4, { maxLength: 2 }),
        speed: fc.integer({ min: 1, max: 100000 }),
        driverless: fc.boolean(),
      }),
      { selector: (a) => a.mac.replace(/[:-]/g, '').toUpperCase(), maxLength: 3 },
    ),
    disks: fc.array(disk, { maxLength: 3 }),
    os: fc.option(osGen, { nil: null }),
    vendor: fc.option(vendorClass, { nil: undefined }),
    winpeVersion: fc.constantFrom('10.0.19041', '10.0.22621', '10.0.26100'),
  })
  .map((g) => {
    const letters = 'DEFGHIJKLMNOPQRSTUVW'.split('').map((l) => `${l}:`);
    const pnpDevices: unknown[] = [];
    const networkAdapters = g.adapters.map((a, i) => {
      const deviceId = `PCI\\VEN_8086&DEV_${String(1000 + i)}\\3&1&0&${i}`;
      pnpDevices.push({
        deviceId,
        name: `NIC ${i}`,
        class: 'Net',
        hardwareIds: [`PCI\\VEN_8086&DEV_${1000 + i}`],
        missingDriverIn: a.driverless ? ['winpe'] : [],
      });
      return {
        mac: a.mac,
        name: `NIC ${i}`,
        kind: a.kind,
        connected: a.connected,
        pnpDeviceId: deviceId,
        speedMbps: a.speed,
        ...(a.connected ? { ipAddresses: a.ips, gateways: a.gateways } : {}),
      };
    });
    const disks: unknown[] = g.disks.map(({ d, parts, size }) => ({
      size,
      busType: d.busType,
      ...(parts.length ? { partitionStyle: d.style ?? 'gpt' } : d.style ? { partitionStyle: d.style } : {}),
      partitions: parts.map((p) => {
        const fs = p.type === 'msr' ? undefined : p.fileSystem;
        const formatted = p.type !== 'msr' && fs !== null;
        const out: Record<string, unknown> = { type: p.type, size: `${p.mib} MiB`, bitLocker: p.bitLocker };
        if (fs !== undefined) out.fileSystem = fs;
        if (formatted && p.wantsLetter && letters.length) out.driveLetter = letters.shift();
        if (p.type !== 'msr' && p.winpeLetter !== undefined) out.winpeDriveLetter = p.winpeLetter;
        if ((d.style ?? 'gpt') === 'mbr' && p.active) out.active = true;
        return out;
      }),
    }));
    const input: Record<string, unknown> = {
      schema: 'openosd.machine-profile/v1',
      name: g.name,
      make: g.make,
      model: g.model,
      architecture: g.architecture,
      firmware: g.firmware,
      secureBoot: g.firmware === 'uefi' && g.secureBoot,
      memoryMB: g.memoryMB,
      processors: g.processors.map((c) => ({ cores: c.cores, logicalProcessors: c.cores + c.extra, maxClockSpeedMHz: c.mhz })),
      battery: g.battery,
      tpm: g.tpm,
      networkAdapters,
      pnpDevices,
      environments: { winpe: { version: g.winpeVersion } },
    };
    if (g.chassis) input.chassisTypes = g.chassis;
    if (g.os) {
      const os = g.os;
      // The OS gets its own disk so its C: always exists.
      disks.unshift({
        size: '64 GiB',
        partitionStyle: g.firmware === 'uefi' ? 'gpt' : 'mbr',
        partitions: [{ size: 'remaining', fileSystem: 'NTFS', driveLetter: 'C:' }],
      });
      disks.forEach((d, i) => ((d as Record<string, unknown>).index = i));
      input.currentOs = {
        caption: os.caption,
        version: os.version,
        ...(os.ubr !== undefined ? { build: `${os.version.split('.')[2]}.${os.ubr}` } : {}),
        language: os.language,
        computerName: os.computerName,
        edition: os.edition,
        productType: os.productType,
        ...(os.domain ? { domain: os.domain } : {}),
        ...(os.arch === 'x86' && g.architecture === 'x64' ? { architecture: 'x86' } : {}),
        // The last digit of the RID is the profile's index, so two profiles never share a SID.
        userProfiles: os.profiles
          .map(([name, domainUser, r], i) => ({ name, domainUser, rid: r * 10 + i }))
          .map(({ name, domainUser, rid }) =>
            domainUser && os.domain
              ? { name, sid: `S-1-5-21-5-6-7-${rid}`, kind: 'domain' }
              : { name, sid: `S-1-5-21-1-2-3-${rid}`, kind: 'local', lastUseTime: '2024-01-02T03:04:05Z', size: '1 GiB' },
          ),
        msiProducts: os.msi.map(([code, name]) => ({ productCode: code, name, version: '1.2.3' })),
        files: [{ path: 'C:\\Data\\x.txt', version: '1.0' }],
        registry: [{ key: 'HKLM\\SOFTWARE\\Test', values: { N: { type: 'REG_DWORD', data: os.registryDword } } }],
        configMgrClient: os.client ? { version: '5.00.9122.1000', siteCode: 'PS1' } : null,
      };
    }
    input.disks = disks;
    if (g.vendor) input.wmi = { 'root\\Vendor\\Bios': { Vendor_Setting: g.vendor } };
    return input;
  });

describe('any valid profile', () => {
  it('yields inventories whose WMI values follow the encoding rules, and string variables', () => {
    fc.assert(
      fc.property(profileInput, (input) => {
        const p = parseMachineProfile(JSON.stringify(input), 'generated.json');
        const envs = p.currentOs ? (['winpe', 'fullos'] as const) : (['winpe'] as const);
        for (const env of envs) {
          const inv = inventoryFor(p, env);
          expect(encodingProblems(inv)).toEqual([]);
          // Plain JSON: nothing is lost writing it out (no undefined, NaN or bigint).
          expect(JSON.parse(JSON.stringify(inv))).toEqual(inv);
          const ld = inv.wmi['root\\cimv2'].Win32_LogicalDisk.instances.map((d) => d.DeviceID);
          expect(ld.includes('X:')).toBe(env === 'winpe');
          expect(inv.wmi['root\\cimv2'].Win32_Battery.instances).toHaveLength(p.battery ? 1 : 0);
          expect(inv.wmi['root\\cimv2'].Win32_OperatingSystem.instances).toHaveLength(1);
          for (const vars of [builtInVariablesFor(p, env), processEnvironmentFor(p, env)]) {
            for (const v of Object.values(vars)) expect(typeof v === 'string' && v.length > 0).toBe(true);
          }
          expect(builtInVariablesFor(p, env)._SMSTSInWinPE).toBe(env === 'winpe' ? 'true' : 'false');
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('any input', () => {
  const keys = [
    'architecture',
    'firmware',
    'secureBoot',
    'make',
    'chassisTypes',
    'memoryMB',
    'processors',
    'battery',
    'tpm',
    'networkAdapters',
    'disks',
    'pnpDevices',
    'currentOs',
    'wmi',
    'environments',
    'bios',
  ];
  const isInputError = (e: unknown): boolean => (e as Error)?.name === 'InputError';

  it('is either a profile or an InputError, never a crash', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 4 }), (extra) => {
        const text = JSON.stringify({ schema: 'openosd.machine-profile/v1', name: 'fuzz', make: 'm', model: 'n', ...extra });
        try {
          const p = parseMachineProfile(text, 'fuzz.json');
          inventoryFor(p, 'winpe');
          builtInVariablesFor(p, 'winpe');
        } catch (e) {
          if (!isInputError(e)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mangled text of a real profile is either a profile or an InputError with a location', () => {
    const good = JSON.stringify({ schema: 'openosd.machine-profile/v1', name: 'x', make: 'm', model: 'n', disks: [{ size: '1 GiB' }] }, null, 2);
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.string({ maxLength: 3 }), (at, insert) => {
        const text = good.slice(0, at) + insert + good.slice(at + 1);
        try {
          parseMachineProfile(text, 'mangled.json');
        } catch (e) {
          if (!isInputError(e)) throw e;
          expect((e as { location?: unknown }).location).toBeDefined();
        }
      }),
      { numRuns: 500 },
    );
  });
});
