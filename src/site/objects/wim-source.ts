/**
 * Finding the WIM of an OS image or boot image source and reading its images from the file itself
 * (osd-features §2.3: ConfigMgr's SMS_ImageInformation). A source path is copied into the library's
 * blobs first — confined and bounded like every import — and the WIM is read from there, so the
 * server never hands an unchecked path to wimlib; the content row is recorded only once the caller
 * accepts the images (a file that is not a WIM leaves only blobs, which the garbage collector removes).
 */
import type { Site } from '../site.js';
import { getContent, importSource, recordContent } from '../content/library.js';
import type { ContentFile } from '../../transfer/hash.js';
import { badInput } from '../errors.js';
import { nextSteps } from '../next-steps.js';
import { readWimImages, WimError } from '../../storage/wim.js';
import type { ImageInformation } from './package-types.js';
import { checkSourcePath, requireOneSource, type ContentSource } from './packages.js';

export interface WimLocation {
  /** The content holding the WIM (a source path has been imported into the library). */
  contentId: string;
  /** Records the content (a no-op for content that was recorded already); call once the images are accepted. */
  record(): Promise<void>;
  /** Where to read it now: the library blob. */
  readPath: string;
  /** The WIM's path inside the package content ('/'-separated). */
  wimFile: string;
  /** What to name in messages. */
  input: string;
}

function oneWim(wims: string[], where: string, field: string): string {
  if (wims.length === 1) return wims[0]!;
  if (wims.length === 0) throw badInput(field, `${where} holds no .wim file`, 'give the path of the .wim itself, or a folder holding exactly one .wim');
  throw badInput(
    field,
    `${where} holds ${wims.length} .wim files (${wims.join(', ')}), so which image to add is ambiguous`,
    'give the path of the .wim itself, or a folder holding exactly one .wim',
  );
}

/** The WIM a source names: the file itself, or the only .wim of a folder or of uploaded content. */
export async function locateWim(site: Site, source: ContentSource, prefix = 'body'): Promise<WimLocation> {
  const which = requireOneSource(source, prefix);
  const field = `${prefix}.${which}`;
  let files: ContentFile[];
  let contentId: string;
  let record = async (): Promise<void> => undefined;
  let single: boolean;
  if (which === 'sourcePath') {
    single = (await checkSourcePath(source.sourcePath!, field)).isFile;
    const manifest = await importSource(site, source.sourcePath!, {}, field);
    ({ files } = manifest);
    contentId = manifest.sha256;
    record = () => recordContent(site.db, manifest);
  } else {
    const content = await getContent(site.db, source.contentId!).catch(() => {
      throw badInput(
        field,
        `no content has the id ${source.contentId}`,
        'upload the WIM first, or give a source path the site can read',
        nextSteps('upload-content'),
      );
    });
    ({ files } = content);
    contentId = content.id;
    single = files.length === 1;
  }
  const where = which === 'sourcePath' ? source.sourcePath! : `content ${contentId}`;
  const wim = single
    ? files[0]!.path
    : oneWim(
        files.map((f) => f.path).filter((f) => /\.wim$/i.test(f)),
        where,
        field,
      );
  const input = which === 'sourcePath' ? (single ? source.sourcePath! : `${source.sourcePath}/${wim}`) : `${wim} (content ${contentId})`;
  const blob = files.find((f) => f.path === wim)!;
  return { contentId, record, readPath: site.content.blobPath(blob.sha256), wimFile: wim, input };
}

/** The images of a WIM, every field from the file; a file that is not a WIM is a 400 naming it. */
export async function readImageInformation(location: Pick<WimLocation, 'readPath' | 'input'>): Promise<ImageInformation[]> {
  let images;
  try {
    images = await readWimImages(location.readPath);
  } catch (e) {
    if (e instanceof WimError) {
      throw badInput(
        location.input,
        e.code === 'corrupt' ? `is not a readable WIM file: ${e.message.replace(`${location.readPath}`, 'the file')}` : e.message,
        'give a .wim file (wimlib-imagex info shows what it holds)',
      );
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
