/** Real WIM files for the content object tests, made with wimlib-imagex. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { captureImage, setImageProperties } from '../../../src/lab/test-content/wim.js';
import { runTool } from '../../../src/storage/tools.js';

export interface TestImageSpec {
  name: string;
  description: string;
  /** Image properties as `wimlib-imagex info --image-property` takes them. */
  properties: Record<string, string | number>;
  /** Bytes of the one file in the image (differs per image so TOTALBYTES differs). */
  payload: string;
}

/** A WIM with one image per spec, each a small folder, with the given XML properties. */
export async function makeWim(dir: string, file: string, images: TestImageSpec[]): Promise<string> {
  const wim = join(dir, file);
  await mkdir(dir, { recursive: true });
  for (const [i, spec] of images.entries()) {
    const tree = join(dir, `.tree-${file}-${i}`);
    await mkdir(join(tree, 'Windows', 'System32'), { recursive: true });
    await writeFile(join(tree, 'Windows', 'System32', 'payload.txt'), spec.payload);
    await captureImage(wim, tree, spec.name, spec.description, '', i > 0);
    await setImageProperties(wim, i + 1, spec.properties);
  }
  return wim;
}

/** `wimlib-imagex info --xml`, raw (UTF-16LE), decoded to text for independent checks. */
export async function wimXml(wim: string): Promise<string> {
  const { stdoutBytes } = await runTool('wimlib-imagex', ['info', wim, '--xml']);
  const bytes = stdoutBytes ?? Buffer.alloc(0);
  return bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8');
}

/** The text of `<TAG>` inside image `index` of the XML (first match), by plain string search. */
export function xmlField(xml: string, index: number, path: string[]): string | undefined {
  const start = xml.indexOf(`<IMAGE INDEX="${index}">`);
  if (start < 0) return undefined;
  let section = xml.slice(start, xml.indexOf('</IMAGE>', start));
  for (const tag of path) {
    const open = section.indexOf(`<${tag}>`);
    if (open < 0) return undefined;
    section = section.slice(open + tag.length + 2, section.indexOf(`</${tag}>`, open));
  }
  return section;
}

export const WINPE_PROPERTIES = (arch: number, version: [number, number, number]): Record<string, string | number> => ({
  'WINDOWS/ARCH': arch,
  'WINDOWS/INSTALLATIONTYPE': 'WindowsPE',
  'WINDOWS/PRODUCTNAME': 'Microsoft® Windows® Operating System',
  'WINDOWS/PRODUCTTYPE': 'WinNT',
  'WINDOWS/EDITIONID': 'WindowsPE',
  'WINDOWS/VERSION/MAJOR': version[0],
  'WINDOWS/VERSION/MINOR': version[1],
  'WINDOWS/VERSION/BUILD': version[2],
  'WINDOWS/VERSION/SPBUILD': 1,
  'WINDOWS/LANGUAGES/LANGUAGE': 'en-US',
  'WINDOWS/LANGUAGES/DEFAULT': 'en-US',
});
