/**
 * Apply Operating System (task-sequence-format §8.3; unattend.md §1, §2, §7): the image of index
 * OSDImageIndex from the image package's WIM onto the destination partition, then the answer file
 * for the deployed OS — our default document, merged with the package's answer file when the step
 * names one — at Windows\Panther\Unattend\Unattend.xml, then the boot files (BCDBoot:
 * ../boot-files.ts). Sets OSDTargetSystemDrive and OSDAnswerFilePath.
 *
 * Destination "next available formatted partition" [I]: the first partition with a drive letter,
 * formatted NTFS and not a recovery partition (the wizard's layouts put Windows there).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepResult } from '../../engine/ports.js';
import { readWimImages, WimError, type WimImageInfo } from '../../storage/wim.js';
import { applyOperatingSystem } from '../../sequence/catalog/index.js';
import type { ApplyOperatingSystemSettings } from '../../sequence/catalog/steps/apply-operating-system.js';
import { UnattendDocument, type UnattendArch } from '../unattend/index.js';
import { installBootFiles } from '../boot-files.js';
import { type Computer, ImageStreamBrokeOffError, ImageStreamHashMismatchError, type VolumeRef, volumeOfDrive } from '../computer.js';
import type { StreamableImage } from '../content.js';
import { StepFailure, WIN32 } from '../errors.js';
import { defineHandler, type HandlerContext, predictSet } from '../handler.js';
import type { StepExecution } from '../../engine/ports.js';
import { resolvedSettings } from '../settings.js';
import { preservedUserState, userStateFolderOn, wipeExcept } from '../user-state/preserve.js';
import { ANSWER_FILE, onDrive, writeAnswerFile } from './answer-file.js';

const ARCH: Record<string, UnattendArch> = { x64: 'amd64', x86: 'x86', arm64: 'arm64' };

async function destinationLetter(computer: Computer, d: ApplyOperatingSystemSettings['destination'], get: (n: string) => string | undefined): Promise<string> {
  if (d.kind === 'logical-drive') return d.drive.toUpperCase().replace(/^([A-Z])$/, '$1:');
  if (d.kind === 'variable') {
    const v = get(d.variable);
    if (!v || !/^[A-Za-z]:?$/.test(v.trim()))
      throw new StepFailure(WIN32.invalidParameter, `the destination variable ${d.variable} is ${v === undefined ? 'not set' : `"${v}", not a drive letter`}`);
    return `${v.trim().toUpperCase().slice(0, 1)}:`;
  }
  if (d.kind === 'disk-partition') {
    const found = computer.drives().find((a) => a.disk === d.disk && a.partition === d.partition);
    if (!found) throw new StepFailure(WIN32.notFound, `disk ${d.disk} partition ${d.partition} has no drive letter (is it formatted?)`);
    return found.letter;
  }
  for (const a of [...computer.drives()].sort((p, q) => p.disk - q.disk || p.partition - q.partition)) {
    const v = await volumeOfDrive(computer, a.letter);
    if (v && v.kind !== 'recovery' && v.kind !== 'efi' && v.kind !== 'msr' && v.fileSystem === 'NTFS') return a.letter;
  }
  throw new StepFailure(
    WIN32.notFound,
    'there is no formatted partition to apply the image to: partition and format the disk first (Format and Partition Disk)',
  );
}

function findWim(folder: string, packageId: string): string {
  const wims = readdirSync(folder).filter((f) => /\.wim$/i.test(f));
  if (!wims.length) throw new StepFailure(WIN32.fileNotFound, `package ${packageId} holds no .wim file (${folder})`);
  return join(folder, wims.sort()[0]);
}

/** The package's WIM and the image `index` in it; a missing, corrupt or index-less WIM is the step's failure. */
async function findImage(folder: string, packageId: string, index: number): Promise<{ wim: string; image: WimImageInfo }> {
  const wim = findWim(folder, packageId);
  let images: WimImageInfo[];
  try {
    images = await readWimImages(wim);
  } catch (e) {
    throw wimFailure(e, packageId);
  }
  const image = images.find((i) => i.index === index);
  if (!image) {
    throw new StepFailure(
      WIN32.notFound,
      `image index ${index} does not exist in ${packageId} (${images.map((i) => `${i.index} - ${i.name}`).join(', ')}): fix OSDImageIndex`,
    );
  }
  return { wim, image };
}

/** The image `index` of a streamable WIM (its images read from the leading XML copy). */
function streamedImage(stream: StreamableImage, packageId: string, index: number): { wim: string; image: WimImageInfo } {
  const image = stream.images.find((i) => i.index === index);
  if (!image) {
    throw new StepFailure(
      WIN32.notFound,
      `image index ${index} does not exist in ${packageId} (${stream.images.map((i) => `${i.index} - ${i.name}`).join(', ')}): fix OSDImageIndex`,
    );
  }
  return { wim: stream.urls[0], image };
}

/** Streamed attempts (from the start, onto a volume prepared again) before a DP that breaks off fails the step. */
export const STREAM_ATTEMPTS = 3;
const HASH_MISMATCH = 0x80091007;

/**
 * Issue 14 item 1: the pipable WIM streams from the DP into wimlib on the computer (its
 * applyImageStream: a native pipeline, no byte through the agent, nothing cached). The stream must be
 * what the site recorded — its anchor (header, XML, metadata; every extracted file then checked by
 * wimlib against the SHA-1 the metadata names), or, without an anchor, the whole stream's SHA-256:
 * otherwise the volume is prepared again (what was applied is gone) and the step fails with
 * 0x80091007, as a download with a bad hash does. A DP
 * that breaks off is tried again from the start (the next DP when there are several), then the step
 * fails with the DP's error.
 */
async function streamedApply(
  x: StepExecution,
  computer: Computer,
  part: VolumeRef,
  stream: StreamableImage,
  packageId: string,
  index: number,
  prepare: () => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const url = stream.urls[(attempt - 1) % stream.urls.length];
    x.log(
      `Streaming image ${index} of ${packageId} (${stream.file}, ${stream.size} bytes, pipable WIM) from ${url} straight into wimlib: it is not downloaded into the cache`,
    );
    let result;
    try {
      result = await computer.applyImageStream!(part, { url, sha256: stream.sha256, size: stream.size, anchor: stream.anchor }, index, { signal: x.signal });
    } catch (e) {
      if (x.signal.aborted) throw e;
      if (e instanceof ImageStreamHashMismatchError) {
        await prepare().catch(() => undefined);
        throw new StepFailure(HASH_MISMATCH, `${e.message} (0x80091007, hash mismatch); what was applied was removed`);
      }
      if (!(e instanceof ImageStreamBrokeOffError)) throw wimFailure(e, `applying ${packageId} image ${index} streamed from ${url}`);
      if (attempt >= STREAM_ATTEMPTS) {
        throw new StepFailure(e.code, `streaming ${packageId} from the distribution point failed ${attempt} times: ${e.message}`);
      }
      x.log(`${e.message}; applying again from the start onto a freshly prepared volume (attempt ${attempt + 1} of ${STREAM_ATTEMPTS})`, 'warning');
      await prepare();
      continue;
    }
    if (result.verified === 'anchor') {
      x.log(
        `The image was streamed from ${url} and not cached: ${result.bytes} of ${stream.size} bytes read (wimlib had the image by then); its header, XML and metadata (${stream.anchor!.bytes} bytes) matched the site's SHA-256 ${stream.anchor!.sha256}, and wimlib verified every file it applied against the SHA-1 the metadata names`,
      );
      return;
    }
    if (result.sha256?.toLowerCase() !== stream.sha256.toLowerCase()) {
      await prepare().catch(() => undefined);
      throw new StepFailure(
        HASH_MISMATCH,
        `the image streamed from ${url} does not match the site's hash: content hash is ${result.sha256}, expected ${stream.sha256} (0x80091007, hash mismatch); what was applied was removed`,
      );
    }
    x.log(`The image was streamed from ${url} and not cached: ${result.bytes} bytes, SHA-256 ${result.sha256} verified`);
    return;
  }
}

/** A WimError with what the step was doing in front of its message; its code (0x80070002, 0x80070490, 0x80070570 …) is kept. */
function wimFailure(e: unknown, what: string): unknown {
  if (!(e instanceof WimError)) return e;
  return new StepFailure(e.exitCode ?? WIN32.fileCorrupt, `${what}: ${e.message}`);
}

export const applyOperatingSystemHandler = defineHandler(applyOperatingSystem, {
  async run({ x, computer, content }: HandlerContext): Promise<StepResult> {
    const s = resolvedSettings<ApplyOperatingSystemSettings>(x);
    if (!s.imagePackageId) {
      throw new StepFailure(
        WIN32.notSupported,
        'only image packages can be applied here (InstallPackageID, a setup-based OS upgrade package, is not supported)',
      );
    }
    const index = s.imageIndex ?? 1;
    // A pipable WIM on a DP, on a computer that can stream: applied as it arrives, never cached (streamedApply).
    const stream = computer.applyImageStream ? await content.imageStream(s.imagePackageId) : undefined;
    const { wim, image } = stream
      ? streamedImage(stream, s.imagePackageId, index)
      : await findImage(content.packageFolder(s.imagePackageId), s.imagePackageId, index);
    const letter = await destinationLetter(computer, s.destination, (n) => x.variables.get(n));
    const part = await volumeOfDrive(computer, letter);
    if (!part) throw new StepFailure(WIN32.notFound, `drive ${letter} is not on any disk of this computer`);
    if (image.totalBytes && image.totalBytes > part.sizeBytes) {
      throw new StepFailure(
        WIN32.diskFull,
        `image ${index} "${image.name}" needs ${Math.ceil(image.totalBytes / 1048576)} MB but ${letter} has ${Math.floor(part.sizeBytes / 1048576)} MB`,
      );
    }
    x.log(`Applying image ${index} "${image.name}" of ${s.imagePackageId} (${wim}) to ${letter} (disk ${part.disk} partition ${part.partition})`);
    // ConfigMgr wipes the volume before applying, keeping _SMSTSUserStatePath (§8.17a [D]): a
    // hard-link user state store lives there (user-state.md §2.6). With a store on the volume
    // everything else is removed (wimlib applies beside a folder whose names do not collide);
    // otherwise the partition is formatted again.
    const existing = part.fileSystem ? await computer.files(part).catch(() => undefined) : undefined;
    const keep = existing && (await preservedUserState(existing, userStateFolderOn(x, letter)));
    const prepare = async (): Promise<void> => {
      if (existing && keep) {
        await wipeExcept(await computer.files(part), keep);
        x.log(`Wiped ${letter} except the user state folder ${letter}\\${keep.replace(/\//g, '\\')} (_SMSTSUserStatePath)`);
      } else {
        await computer.format(part, 'NTFS', part.name || 'Windows');
      }
    };
    await prepare();
    if (stream) {
      await streamedApply(x, computer, part, stream, s.imagePackageId, index, prepare);
    } else {
      try {
        await computer.applyImage(part, wim, index, { signal: x.signal });
      } catch (e) {
        throw wimFailure(e, `applying ${s.imagePackageId} image ${index}`);
      }
    }
    x.log(`Applied image ${index} to ${letter}`);
    x.variables.set('OSDTargetSystemDrive', letter);

    // The answer file for the deployed OS (unattend.md §7 steps 1–2).
    const arch = ARCH[image.architecture ?? ''] ?? ARCH[computer.profile.architecture] ?? 'amd64';
    const doc = UnattendDocument.create(arch);
    if (s.configFilePackage) {
      const name = s.configFileName || 'unattend.xml';
      const path = join(content.packageFolder(s.configFilePackage), name);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        throw new StepFailure(WIN32.fileNotFound, `the answer file ${name} is not in package ${s.configFilePackage} (${path})`);
      }
      doc.mergeUserFile(text, `${s.configFilePackage}\\${name}`);
      x.log(`Merged the answer file ${name} of package ${s.configFilePackage}`);
    }
    await writeAnswerFile(await computer.files(part), doc);
    x.variables.set('OSDAnswerFilePath', onDrive(letter, ANSWER_FILE));
    x.log(`Wrote the answer file ${onDrive(letter, ANSWER_FILE)}`);
    // BCDBoot, as ConfigMgr runs it after the apply (§8.3): the boot files for the firmware (src/actions/boot-files.ts).
    await installBootFiles(computer, part, letter, (line, severity) => x.log(line, severity));
    return { exitCode: 0 };
  },

  // The drive it would apply to (OSDTargetSystemDrive) and, with checks and content, that the
  // image exists. That an OS is on the disk afterwards is its definition's (effects.osOnDisk).
  async simulate(ctx) {
    const { x, content, note, checks } = ctx;
    const destVar = x.properties.DestinationVariable;
    const drive = destVar ? (x.variables.get(destVar) ?? 'C:') : 'C:';
    predictSet(ctx, 'OSDTargetSystemDrive', /^[A-Za-z]:$/.test(drive) ? drive.toUpperCase() : 'C:');
    if (!checks) return { exitCode: 0 };
    const s = resolvedSettings<ApplyOperatingSystemSettings>(x);
    const index = s.imageIndex ?? 1;
    if (!s.imagePackageId || !content) {
      note(`image ${index} of ${s.imagePackageId ?? s.installPackageId ?? '(no package)'}${content ? '' : ' (not checked: no --content)'}`);
      return { exitCode: 0 };
    }
    const { image } = await findImage(content.packageFolder(s.imagePackageId), s.imagePackageId, index);
    note(
      `image ${index} "${image.name}" (${image.architecture ?? 'unknown architecture'}${image.totalBytes ? `, ${Math.round(image.totalBytes / 1048576)} MB` : ''}) of ${s.imagePackageId}`,
    );
    return { exitCode: 0 };
  },
});
