// INF reading (osd-features §2.6 Import Driver: provider, class, version, signature, hardware IDs, platforms).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeInfBytes, parseInf, parseInfBytes } from '../../../src/actions/drivers/index.js';
import { inputError } from '../../helpers/errors.js';

const FIXTURES = join(__dirname, 'fixtures');
const read = (p: string) => parseInfBytes(readFileSync(join(FIXTURES, p)), p);

describe('parseInf on realistic INFs', () => {
  it('NIC: [Version], NTamd64 decorations with OS versions, [Strings], comments and line continuation', () => {
    const inf = read('intel-i219/e1d68x64.inf');
    expect(inf).toMatchObject({
      signature: '$Windows NT$',
      provider: 'Intel',
      class: 'Net',
      classGuid: '{4d36e972-e325-11ce-bfc1-08002be10318}',
      catalogFile: 'e1d68x64.cat',
      driverVer: { date: '2023-05-17', version: '12.19.2.45' },
      platforms: ['x64'],
    });
    expect(inf.hardwareIds).toEqual(['PCI\\VEN_8086&DEV_15BB', 'PCI\\VEN_8086&DEV_15BB&SUBSYS_0A1F1028', 'PCI\\VEN_8086&DEV_15BC']);
    // DEV_15BB appears as a compatible ID on the continued line, but it is also a hardware ID.
    expect(inf.compatibleIds).toEqual([]);
    expect(inf.models).toHaveLength(5);
    expect(inf.models[0]).toEqual({
      description: 'Intel(R) Ethernet Connection I219-LM',
      manufacturer: 'Intel',
      section: 'Intel.NTamd64.10.0.1',
      installSection: 'E15BB.10.0.1',
      hardwareId: 'PCI\\VEN_8086&DEV_15BB',
      compatibleIds: [],
      platform: 'x64',
    });
    // The trailing comment after the model line is not part of the ID; the continued line is joined.
    expect(inf.models[2].hardwareId).toBe('PCI\\VEN_8086&DEV_15BC');
    expect(inf.models[3].compatibleIds).toEqual(['PCI\\VEN_8086&DEV_15BB']);
    expect(inf.warnings).toEqual([]);
  });

  it('storage: several models, case-insensitive section names, NTarm64, string keys with \\ and &, "" escapes, unquoted strings', () => {
    const inf = read('storage-vmd/iaStorVD.inf');
    expect(inf.provider).toBe('Intel Corporation');
    expect(inf.class).toBe('SCSIAdapter');
    expect(inf.platforms).toEqual(['x64', 'arm64']);
    expect(inf.models.map((m) => m.description)).toEqual([
      'Intel RST VMD Controller 9A0B',
      'Intel RST VMD Controller 467F',
      'Intel RST VMD Controller A77F',
      'Intel RST VMD Managed "NVMe" Disk',
      'Intel RST VMD Managed "NVMe" Disk',
    ]);
    expect(inf.models.map((m) => m.platform)).toEqual(['x64', 'x64', 'x64', 'x64', 'arm64']);
    expect(inf.hardwareIds).toContain('PCI\\VEN_8086&DEV_9A0B&SUBSYS_0A1F1028&REV_00');
    expect(inf.compatibleIds).toEqual(['PCI\\VEN_8086&DEV_9A0B', 'PCI\\CC_010802']);
    expect(inf.driverVer).toEqual({ date: '2022-11-30', version: '19.5.1.1040' });
  });

  it('UTF-16LE with BOM and CRLF: decoded, [Strings] preferred over [Strings.0407]', () => {
    const bytes = readFileSync(join(FIXTURES, 'realtek-audio/HDXRT.inf'));
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
    const inf = parseInfBytes(bytes, 'HDXRT.inf');
    expect(inf.provider).toBe('Realtek Semiconductor Corp.');
    expect(inf.class).toBe('MEDIA');
    expect(inf.platforms).toEqual(['x86', 'x64']);
    expect(inf.driverVer).toEqual({ date: '2023-03-21', version: '6.0.9506.1' });
    expect(inf.models[0].description).toBe('Realtek High Definition Audio');
    expect(inf.hardwareIds).toEqual(['HDAUDIO\\FUNC_01&VEN_10EC&DEV_0257&SUBSYS_10280A1F', 'HDAUDIO\\FUNC_01&VEN_10EC&DEV_0295']);
    expect(inf.compatibleIds).toEqual(['HDAUDIO\\FUNC_01&VEN_10EC&DEV_0257']);
  });

  it('a localized [Strings.xxxx] section fills keys [Strings] lacks (and keeps non-ASCII text)', () => {
    const text = decodeInfBytes(readFileSync(join(FIXTURES, 'realtek-audio/HDXRT.inf'))).replace(
      /^Realtek\.DeviceDesc = "Realtek High Definition Audio"\r\n/m,
      '',
    );
    expect(parseInf(text, 'HDXRT.inf').models[0].description).toBe('Realtek High Definition Audiogerät');
  });

  it('refuses an unterminated section header, naming file and line', () => {
    const e = inputError(() => read('bad/broken.inf'));
    expect(e.input).toBe('bad/broken.inf');
    expect(e.location).toEqual({ line: 7, column: 1 });
    expect(e.rule).toContain('unterminated section header');
    expect(e.message).toMatch(/^bad\/broken\.inf:7:1: unterminated section header/);
  });
});

describe('parseInf rules', () => {
  const inf = (body: string) => parseInf(`[Version]\nSignature="$Windows NT$"\nProvider=%P%\n${body}\n[Strings]\nP="Contoso"\nD="Contoso Device"\n`, 't.inf');

  it('an undecorated models section counts for every platform [I]', () => {
    const r = inf('[Manufacturer]\n%P%=Models\n[Models]\n%D%=Inst,ACPI\\CON0001');
    expect(r.platforms).toEqual(['x86', 'x64', 'arm64']);
    expect(r.models[0].platform).toBeUndefined();
  });

  it('with decorations, the undecorated section serves only the platforms no decorated section claims [I]', () => {
    const r = inf('[Manufacturer]\n%P%=Models,NTamd64\n[Models]\n%D%=Inst,ACPI\\CON0001\n[Models.NTamd64]\n%D%=Inst,ACPI\\CON0002');
    expect(r.models.map((m) => [m.hardwareId, m.platform])).toEqual([
      ['ACPI\\CON0002', 'x64'],
      ['ACPI\\CON0001', 'x86'],
      ['ACPI\\CON0001', 'arm64'],
    ]);
  });

  it('ignores ia64 and 32-bit ARM sections; "NT" alone is every platform', () => {
    expect(inf('[Manufacturer]\n%P%=M,NTia64,NTarm\n[M.NTia64]\n%D%=I,X\\Y\n[M.NTarm]\n%D%=I,X\\Z').models).toEqual([]);
    expect(inf('[Manufacturer]\n%P%=M,NT\n[M.NT]\n%D%=I,X\\Y').platforms).toEqual(['x86', 'x64', 'arm64']);
  });

  it('keys and section names are case-insensitive; %% is a literal percent; quoted fields keep commas and semicolons', () => {
    const r = parseInf('[VERSION]\nSIGNATURE="$Chicago$"\nprovider="A, B; C"\nclass=100%%\n', 't.inf');
    expect(r.provider).toBe('A, B; C');
    expect(r.class).toBe('100%');
  });

  it('warns about undefined strings and missing models sections, without failing', () => {
    const r = inf('[Manufacturer]\n%P%=Models,NTamd64\n%Q%=Other,NTamd64\n[Models.NTamd64]\n%Nope%=Inst,ACPI\\CON0001');
    expect(r.models[0].description).toBe('%Nope%');
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('%Nope% is not defined in [Strings]'),
        expect.stringContaining('the models section [Other.NTamd64] is missing'),
      ]),
    );
  });

  it('errors name the file and line: no [Version], text before any section, a bad DriverVer, an open quote', () => {
    expect(inputError(() => parseInf('[Strings]\nA=1\n', 'x.inf')).rule).toContain('no [Version] section');
    expect(inputError(() => parseInf('Signature=1\n[Version]\n', 'x.inf')).location).toEqual({ line: 1, column: 1 });
    const bad = inputError(() => parseInf('[Version]\n\nDriverVer=2023-05-17,1.0\n', 'x.inf'));
    expect(bad.location?.line).toBe(3);
    expect(bad.rule).toContain('is not mm/dd/yyyy');
    expect(inputError(() => parseInf('[Version]\nProvider="Contoso\n', 'x.inf')).rule).toContain('unterminated quoted string');
  });

  it('decodes UTF-16LE without a BOM and ANSI (Windows-1252) text', () => {
    const text = '[Version]\r\nProvider="Sörensen"\r\n';
    expect(parseInfBytes(Buffer.from(text, 'utf16le'), 'a.inf').provider).toBe('Sörensen');
    expect(parseInfBytes(Buffer.from(text, 'latin1'), 'b.inf').provider).toBe('Sörensen');
    expect(parseInfBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), 'c.inf').provider).toBe('Sörensen');
  });
});
