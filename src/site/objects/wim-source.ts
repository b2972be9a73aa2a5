/**
 * Finding the WIM of an OS image or boot image source and reading its images from the file itself
 * (osd-features §2.3: ConfigMgr's SMS_ImageInformation), before anything is added to the library,
 * so a file that is not a WIM is refused with nothing recorded.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { Site } from '../site.js';
import { checkSourceAllowed, contentFilePath, getContent } from '../content/library.js';
import { badInput } from '../errors.js';
import { readWimImages, WimError } from '../../machine/wim.js';
import type { ImageInformation } from './package-types.js';
import { checkSourcePath, requireOneSource, type ContentSource } from './packages.js';

export interface WimLocation {
  /** Where to read it now (the source file, or the library blob). */
  readPath: string;
  /** The WIM's path inside the package content ('/'-separated). */
  wimFile: string;
  /** What to name in messages. */
  input: string;
}

/** Every *.wim below a folder (any depth), as paths relative to it. */
async function findWims(folder: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.wim$/i.test(e.name)) out.push(relative(folder, p).split(sep).join('/'));
    }
  };
  await walk(folder);
  return out.sort();
}

function oneWim(wims: string[], where: string, field: string): string {
  if (wims.length === 1) return wims[0]!;
  if (wims.length === 0) throw badInput(field, `${where} holds no .wim file`, 'give the path of the .wim itself, or a folder holding exactly one .wim');
  throw badInput(field, `${where} holds ${wims.length} .wim files (${wims.join(', ')}), so which image to add is ambiguous`, 'give the path of the .wim itself, or a folder holding exactly one .wim');
}

/** The WIM a source names: the file itself, or the only .wim of a folder or of uploaded content. */
export async function locateWim(site: Site, source: ContentSource, prefix = 'body'): Promise<WimLocation> {
  const which = requireOneSource(source, prefix);
  if (which === 'sourcePath') {
    const field = `${prefix}.sourcePath`;
    await checkSourceAllowed(site, source.sourcePath!, field);
    const { isFile } = await checkSourcePath(source.sourcePath!, field);
    if (isFile) return { readPath: source.sourcePath!, wimFile: basename(source.sourcePath!), input: source.sourcePath! };
    const wim = oneWim(await findWims(source.sourcePath!), source.sourcePath!, field);
    return { readPath: join(source.sourcePath!, ...wim.split('/')), wimFile: wim, input: join(source.sourcePath!, ...wim.split('/')) };
  }
  const field = `${prefix}.contentId`;
  const content = await getContent(site.db, source.contentId!).catch(() => {
    throw badInput(field, `no content has the id ${source.contentId}`, 'upload it first (POST /content) or give sourcePath');
  });
  const files = content.files.map((f) => f.path);
  const wim = files.length === 1 ? files[0]! : oneWim(files.filter((f) => /\.wim$/i.test(f)), `content ${content.id}`, field);
  return { readPath: await contentFilePath(site, content.id, wim), wimFile: wim, input: `${wim} (content ${content.id})` };
}

/** The images of a WIM, every field from the file; a file that is not a WIM is a 400 naming it. */
export async function readImageInformation(location: WimLocation): Promise<ImageInformation[]> {
  let images;
  try {
    images = await readWimImages(location.readPath);
  } catch (e) {
    if (e instanceof WimError) {
      throw badInput(location.input, e.code === 'corrupt' ? `is not a readable WIM file: ${e.message.replace(`${location.readPath}`, 'the file')}` : e.message, 'give a .wim file (wimlib-imagex info shows what it holds)');
    }
    throw e;
  }
  if (images.length === 0) throw badInput(location.input, 'the WIM holds no image', 'capture an image into it first');
  return images.map((i) => ({
    index: i.index,
    name: i.name,
    description: i.description ?? '',
    displayName: i.displayName ?? '',
    edition: i.edition ?? '',
    architecture: i.architecture ?? '',
    version: i.version ?? '',
    productName: i.productName ?? '',
    productType: i.productType ?? '',
    installationType: i.installationType ?? '',
    hal: i.hal ?? '',
    languages: i.languages ?? [],
    defaultLanguage: i.defaultLanguage ?? '',
    sizeBytes: i.totalBytes ?? 0,
    createdAt: i.createdAt ?? null,
  }));
}
