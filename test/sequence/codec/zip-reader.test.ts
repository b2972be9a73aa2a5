// Console-export zips read without trusting them (zip-reader.ts): only Manifest.xml and the chosen
// object.xml are inflated, counted on what they actually inflate to, against 32 MiB per entry and
// 40 MiB per zip; zip64, split, encrypted and unknown methods are refused. The blocking reader
// (CLI) and the one that runs in zlib's thread pool (server) behave the same.
import { describe, expect, it } from 'vitest';
import { importConsoleExport, importConsoleExportAsync } from '../../../src/sequence/codec/console-export.js';
import { loadTaskSequence, loadTaskSequenceAsync } from '../../../src/sequence/codec/load.js';
import { InputError } from '../../../src/sequence/input-error.js';
import { consoleExportZip, objectXml } from '../../helpers/console-export.js';
import { craftZip, deflated, zeroBomb, type CraftEntry } from '../../helpers/zip-craft.js';

const XML =
  '<sequence version="3.10"><group name="G"><step name="S" type="SMS_TaskSequence_RunCommandLineAction"><action>cmd /c echo</action></step></group></sequence>';
const OBJECT = (id: string): string => `SMS_TaskSequencePackage/${id}/object.xml`;
const MANIFEST = (ids: string[]): string =>
  `<LibraryDocument><EntryObjects>${ids.map((id) => `<Object Path="SMS_TaskSequencePackage.PackageID='${id}'"/>`).join('')}</EntryObjects></LibraryDocument>`;
const MiB = 1024 * 1024;

/** The error of both readers, which must agree (message and all). */
async function refusal(zip: Uint8Array, input = 'export.zip'): Promise<InputError> {
  let sync: unknown;
  try {
    importConsoleExport(zip, input);
  } catch (e) {
    sync = e;
  }
  let async: unknown;
  try {
    await importConsoleExportAsync(zip, input);
  } catch (e) {
    async = e;
  }
  expect(sync).toBeInstanceOf(InputError);
  expect(async).toBeInstanceOf(InputError);
  expect((async as InputError).message).toBe((sync as InputError).message);
  return async as InputError;
}

describe('console export zips', () => {
  it('read the same with both readers; entries that are not needed are never inflated', async () => {
    const zip = consoleExportZip([{ packageId: 'PS100001', name: 'One', xml: XML }]);
    const a = loadTaskSequence(zip, 'one.zip');
    const b = await loadTaskSequenceAsync(zip, 'one.zip');
    expect(b).toEqual(a);
    expect(a.sequence.items).toHaveLength(1);
    // Three 1,000 MiB bombs next to a real export (what froze the server): untouched, fast.
    const bomb = zeroBomb(1024);
    const entries: CraftEntry[] = [
      deflated('Manifest.xml', MANIFEST(['PS100001'])),
      deflated(OBJECT('PS100001'), objectXml('PS100001', 'One', XML)),
      ...['a', 'b', 'c'].map((n) => ({ name: `SMS_TaskSequencePackage/PS100001/${n}.bin`, data: bomb, size: 1024 * MiB })),
    ];
    const t = performance.now();
    const r = await loadTaskSequenceAsync(craftZip(entries), 'bombs-beside.zip');
    expect(performance.now() - t).toBeLessThan(1000);
    expect(r.sequence.items).toEqual(a.sequence.items);
  });

  it('refuse an object.xml of huge declared size before inflating, and one of huge actual size at the budget', async () => {
    const bomb = zeroBomb(1024);
    const honest = await refusal(craftZip([{ name: OBJECT('PS100001'), data: bomb, size: 1024 * MiB }]));
    expect(honest.input).toBe('export.zip');
    expect(honest.rule).toMatch(
      /^zip entry SMS_TaskSequencePackage\/PS100001\/object\.xml declares 1024 MiB, which is more than 32 MiB; refused \(a console export inflates to at most 32 MiB per entry and 40 MiB per zip\)/,
    );
    // The declared size lies (1 KiB): counted on the output, stopped at 32 MiB.
    const t = performance.now();
    const lying = await refusal(craftZip([{ name: OBJECT('PS100001'), data: bomb, size: 1024 }]));
    expect(performance.now() - t).toBeLessThan(3000);
    expect(lying.rule).toMatch(/^zip entry SMS_TaskSequencePackage\/PS100001\/object\.xml inflates to more than 32 MiB; refused/);
  });

  it('refuse a manifest bomb when the manifest is needed (several task sequences), and count the total', async () => {
    const objects = ['PS100001', 'PS100002'].map((id) => deflated(OBJECT(id), objectXml(id, id, XML)));
    const manifestBomb = await refusal(craftZip([{ name: 'Manifest.xml', data: zeroBomb(64), size: 10 }, ...objects]));
    expect(manifestBomb.rule).toMatch(/^zip entry Manifest\.xml inflates to more than 32 MiB/);
    // With one task sequence the manifest is not read at all.
    expect(
      (await importConsoleExportAsync(craftZip([{ name: 'Manifest.xml', data: zeroBomb(64), size: 10 }, objects[0]!]), 'one.zip')).sequence.items,
    ).toHaveLength(1);
    // 30 MiB of manifest leaves 10 MiB for the object.xml.
    const manifest30 = Buffer.concat([Buffer.from(MANIFEST(['PS100002', 'PS100001'])), Buffer.alloc(30 * MiB - 200, 0x20)]);
    const big = Buffer.concat([Buffer.from(objectXml('PS100002', 'Two', XML)), Buffer.alloc(12 * MiB, 0x20)]);
    const total = await refusal(craftZip([deflated('Manifest.xml', manifest30), objects[0]!, deflated(OBJECT('PS100002'), big)]));
    expect(total.rule).toMatch(
      /^zip entry SMS_TaskSequencePackage\/PS100002\/object\.xml declares 12\.0 MiB, which is more than 10\.0 MiB; refused \(.* 40 MiB per zip, of which 30\.0 MiB are used\)/,
    );
  });

  it('refuse sizes and checksums that do not match, damaged and truncated files', async () => {
    const good = deflated(OBJECT('PS100001'), objectXml('PS100001', 'One', XML));
    expect((await refusal(craftZip([{ ...good, size: good.size - 1 }]))).rule).toMatch(/object\.xml declares [\d,]+ bytes but inflates to [\d,]+/);
    expect((await refusal(craftZip([{ ...good, crc: (good.crc ?? 0) ^ 1 }]))).rule).toMatch(/object\.xml fails its CRC-32 check/);
    expect((await refusal(craftZip([{ ...good, data: Buffer.from('not deflate at all, really not') }]))).rule).toMatch(/object\.xml does not inflate/);
    const zip = craftZip([good]);
    expect((await refusal(zip.subarray(0, zip.length - 30))).rule).toMatch(/^not a readable zip file: no end of central directory record/);
  });

  it('refuse zip64, split archives, encrypted entries and other compression methods, by name', async () => {
    const good = deflated(OBJECT('PS100001'), objectXml('PS100001', 'One', XML));
    expect((await refusal(craftZip([good], { entryCount: 0xffff }))).rule).toMatch(/zip64 archives are not supported/);
    expect((await refusal(craftZip([{ ...good, size: 0xffffffff }]))).rule).toMatch(/zip64 entries are not supported/);
    expect((await refusal(craftZip([good], { disk: 1 }))).rule).toMatch(/split \(multi-disk\) zip archives are not supported/);
    expect((await refusal(craftZip([{ ...good, flags: 1 }]))).rule).toMatch(/object\.xml is encrypted; encrypted zips are not supported/);
    expect((await refusal(craftZip([{ ...good, method: 12 }]))).rule).toMatch(
      /object\.xml uses compression method 12; only stored \(0\) and deflate \(8\) are supported/,
    );
    const stored = Buffer.from(objectXml('PS100001', 'One', XML));
    const storedZip = craftZip([{ name: OBJECT('PS100001'), data: stored, method: 0, size: stored.length, crc: good.crc }]);
    expect((await importConsoleExportAsync(storedZip, 'stored.zip')).sequence.items).toHaveLength(1);
    expect((await refusal(craftZip([good, good]))).rule).toMatch(/the zip holds SMS_TaskSequencePackage\/PS100001\/object\.xml twice/);
  });
});
