// Properties: whatever the (non-empty) settings, the answer file is well-formed XML, every component
// carries the image's architecture, it re-reads to the same text, and no secret reaches the log.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnattendDocument, type UnattendArch } from '../../../src/actions/unattend/index.js';
import { parseXml } from '../../../src/sequence/xml/reader.js';
import { childElements, getAttribute } from '../../../src/sequence/xml/nodes.js';
import { expectWellFormed, vars } from './helpers.js';

// Any text without control characters XML 1.0 cannot carry, including <, &, quotes and non-ASCII.
const value = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_<>&"\'%;:/\\äé€𝄞'.split('')), minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '');
const octet = fc.integer({ min: 1, max: 254 });
const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));

/** Prefix length → dotted mask. */
function maskOf(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

describe('answer file properties', () => {
  it('well-formed, one architecture, stable re-read, secrets never logged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<UnattendArch>('amd64', 'x86', 'arm64'),
        fc.record({
          OSDRegisteredUserName: value,
          OSDRegisteredOrgName: value,
          OSDTimeZone: value,
          OSDWindowsSettingsUILanguage: value,
          OSDRandomAdminPassword: fc.constantFrom('true', 'false'),
          OSDLocalAdminPassword: value.map((s) => `ADMINPW:${s}`),
          OSDNetworkJoinType: fc.constantFrom('0', '1'),
          OSDDomainName: value,
          OSDWorkgroupName: value,
          OSDJoinAccount: fc
            .tuple(value, value)
            .filter(([d]) => !d.includes('\\'))
            .map(([d, u]) => `${d}\\${u}`),
          OSDJoinPassword: value.map((s) => `JOINPW:${s}`),
          OSDDNSSuffixSearchOrder: fc
            .array(
              value.filter((s) => !/[,;]/.test(s)),
              { minLength: 1, maxLength: 3 },
            )
            .map((a) => a.join(',')),
          OSDAdapterCount: fc.constant('1'),
          OSDAdapter0EnableDHCP: fc.constant('false'),
          OSDAdapter0MacAddress: mac,
          OSDAdapter0IPAddressList: ip,
          OSDAdapter0SubnetMask: fc.integer({ min: 0, max: 32 }).map(maskOf),
          OSDAdapter0Gateways: ip,
        }),
        (arch, values) => {
          const doc = UnattendDocument.create(arch);
          const log = [...doc.applyWindowsSettings(vars(values), {}), ...doc.applyNetworkSettings(vars(values), [])];
          const xml = doc.toXml();
          expectWellFormed(xml);
          const root = parseXml(xml).root;
          for (const s of childElements(root)) for (const c of childElements(s)) expect(getAttribute(c, 'processorArchitecture')).toBe(arch);
          expect(UnattendDocument.parse(xml, 'Unattend.xml').toXml()).toBe(xml);
          const text = log.join('\n');
          expect(text).not.toContain('ADMINPW:');
          expect(text).not.toContain('JOINPW:');
          // The administrator password is encoded (§5); the join password is plain text by design (§4.3).
          expect(xml).not.toContain('ADMINPW:');
        },
      ),
      { numRuns: 150 },
    );
  });
});
