/**
 * The boot environment's kernel command line (plan contract C1):
 *
 *   console=ttyS0 initrd=bootenv quiet osd.site=<site URL> osd.boot=pxe|media [osd.bootimage=<PackageID>] [osd.retry=<seconds>]
 *
 * Only the `osd.` parameters are ours; the kernel's own are ignored. A value may be quoted ("…").
 */
import { InputError } from '../../sequence/input-error.js';

export interface BootCommandLine {
  /** The site's URL as the computer reaches it (http://10.0.2.2:8080): the management point is under /mp/v1. */
  site: string;
  /** How the computer started: from the network (PXE) or from boot media. */
  boot: 'pxe' | 'media';
  /** The boot image this environment is (the site's PackageID), when the site said so. */
  bootImage?: string;
  /** How long to keep trying a site that does not answer, in seconds (default 120). */
  retrySeconds: number;
}

export const DEFAULT_RETRY_SECONDS = 120;
const MAX_RETRY_SECONDS = 7 * 24 * 3600;

/** The words of a command line: whitespace-separated, double quotes keep spaces (as the kernel reads it). */
export function commandLineWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  let any = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (any) words.push(current);
      current = '';
      any = false;
    } else {
      current += ch;
      any = true;
    }
  }
  if (any) words.push(current);
  return words;
}

/** Reads C1's parameters; a missing or malformed one is an InputError naming it, the rule and the fix. */
export function parseCommandLine(text: string, input = '/proc/cmdline'): BootCommandLine {
  const params = new Map<string, string>();
  for (const w of commandLineWords(text)) {
    const eq = w.indexOf('=');
    if (eq > 0 && w.startsWith('osd.')) params.set(w.slice(0, eq), w.slice(eq + 1));
  }
  const fix = 'the site writes it into the boot script (osd.site=http://ADDRESS:PORT osd.boot=pxe); boot media carry it in their GRUB menu';
  const site = params.get('osd.site');
  if (!site) throw new InputError({ input: `${input} osd.site`, rule: 'is missing: the boot environment needs the site URL', hint: fix });
  let url: URL;
  try {
    url = new URL(site);
  } catch {
    throw new InputError({ input: `${input} osd.site=${site}`, rule: 'is not a URL', hint: 'write http://ADDRESS:PORT, e.g. osd.site=http://10.0.2.2:8080' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError({ input: `${input} osd.site=${site}`, rule: 'must be an http:// or https:// URL', hint: 'e.g. osd.site=http://10.0.2.2:8080' });
  }
  const boot = params.get('osd.boot') ?? '';
  if (boot !== 'pxe' && boot !== 'media') {
    throw new InputError({
      input: `${input} osd.boot${boot ? `=${boot}` : ''}`,
      rule: boot ? 'must be pxe or media' : 'is missing: say how the computer started (pxe or media)',
      hint: fix,
    });
  }
  let retrySeconds = DEFAULT_RETRY_SECONDS;
  const retry = params.get('osd.retry');
  if (retry !== undefined) {
    retrySeconds = Number(retry);
    if (!/^\d+$/.test(retry) || retrySeconds > MAX_RETRY_SECONDS) {
      throw new InputError({
        input: `${input} osd.retry=${retry}`,
        rule: `must be a whole number of seconds from 0 to ${MAX_RETRY_SECONDS}`,
        hint: `leave it out for ${DEFAULT_RETRY_SECONDS} s`,
      });
    }
  }
  const bootImage = params.get('osd.bootimage');
  if (bootImage !== undefined && !/^[A-Za-z0-9]{1,16}$/.test(bootImage)) {
    throw new InputError({ input: `${input} osd.bootimage=${bootImage}`, rule: 'is not a PackageID (letters and digits, e.g. PS100005)' });
  }
  return { site: url.href.replace(/\/+$/, ''), boot, retrySeconds, ...(bootImage ? { bootImage: bootImage.toUpperCase() } : {}) };
}
