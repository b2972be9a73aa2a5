/**
 * Where the boot environment builder keeps what it downloads and unpacks: `$OSD_CACHE_DIR`, else
 * `.tmp/cache/` of the OpenOSD checkout this code runs from, else `$XDG_CACHE_HOME/openosd`
 * (`~/.cache/openosd`). Kept across builds: Debian packages by file name (`debs/`), the unpacked
 * kernel with its module index by package version (`kernel/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the OpenOSD checkout (or installed package) this module belongs to, if found. */
export function projectRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'openosd') return dir;
      } catch {
        /* not ours */
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function cacheRoot(): string {
  if (process.env.OSD_CACHE_DIR) return resolve(process.env.OSD_CACHE_DIR);
  const root = projectRoot();
  if (root && existsSync(join(root, 'src'))) return join(root, '.tmp', 'cache');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'openosd');
}
