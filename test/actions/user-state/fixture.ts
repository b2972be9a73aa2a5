// A Windows-like volume with two users' files, for capture/restore tests: nested folders, an empty
// file, a 9 MiB file (3 frames), Unicode names, a read-only file, an empty folder, NTUSER.DAT,
// AppData\Local (excluded), Windows (excluded), a drive-root folder (captured by `standard`).
import { chmodSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { VolumeProfile } from '../../../src/actions/user-state/profiles.js';

export const T0 = Date.UTC(2025, 4, 2, 9, 20, 11);

export function put(root: string, rel: string, data: string | Buffer, mtimeMs = T0): void {
  const p = join(root, ...rel.split('/'));
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  utimesSync(p, mtimeMs / 1000, mtimeMs / 1000);
}

/** Files relative to the volume root, as the rules `standard` would take them. */
export function writeFixture(root: string, options: { bigBytes?: number } = {}): { captured: string[]; notCaptured: string[] } {
  const big = randomBytes(options.bigBytes ?? 9 * 1024 * 1024 + 123);
  put(root, 'Users/alice/NTUSER.DAT', 'hive');
  put(root, 'Users/alice/Documents/report.docx', 'report v1\r\n');
  put(root, 'Users/alice/Documents/Projects/2025/plan.txt', 'plan\r\n'.repeat(1000), T0 - 86_400_000);
  put(root, 'Users/alice/Documents/empty.txt', '');
  put(root, 'Users/alice/Documents/big.bin', big);
  put(root, 'Users/alice/Documents/Résumé – ünïcødé 日本語.txt', 'unicode\r\n');
  put(root, 'Users/alice/Desktop/readonly.txt', 'do not change');
  chmodSync(join(root, 'Users/alice/Desktop/readonly.txt'), 0o444);
  mkdirSync(join(root, 'Users/alice/Documents/EmptyFolder'), { recursive: true });
  put(root, 'Users/alice/settings.ini', '[app]\r\ncolour=blue\r\n');
  put(root, 'Users/alice/AppData/Local/cache.db', 'cache');
  put(root, 'Users/alice/Documents/~$report.docx', 'owner file');
  put(root, 'Users/bob/NTUSER.DAT', 'hive');
  put(root, 'Users/bob/Pictures/cat.jpg', randomBytes(5000));
  put(root, 'Users/kiosk/NTUSER.DAT', 'hive');
  put(root, 'Users/kiosk/Desktop/kiosk.txt', 'kiosk');
  put(root, 'Users/Default/NTUSER.DAT', 'hive');
  put(root, 'Users/Public/Documents/shared.txt', 'shared');
  put(root, 'Windows/System32/config/SOFTWARE.txt', 'not a user file');
  put(root, 'Data/notes.txt', 'drive root data');
  return {
    captured: [
      'Users/alice/Documents/report.docx',
      'Users/alice/Documents/Projects/2025/plan.txt',
      'Users/alice/Documents/empty.txt',
      'Users/alice/Documents/big.bin',
      'Users/alice/Documents/Résumé – ünïcødé 日本語.txt',
      'Users/alice/Desktop/readonly.txt',
      'Users/alice/settings.ini',
      'Users/bob/Pictures/cat.jpg',
      'Users/Public/Documents/shared.txt',
      'Data/notes.txt',
    ],
    notCaptured: [
      'Users/alice/NTUSER.DAT',
      'Users/alice/AppData/Local/cache.db',
      'Users/alice/Documents/~$report.docx',
      'Windows/System32/config/SOFTWARE.txt',
    ],
  };
}

export const PROFILES: VolumeProfile[] = [
  { sid: 'S-1-5-21-1-2-3-1104', account: 'CONTOSO\\alice', kind: 'domain', profilePath: 'C:\\Users\\alice', folderName: 'alice' },
  { sid: 'S-1-5-21-1-2-3-1105', account: 'CONTOSO\\bob', kind: 'domain', profilePath: 'C:\\Users\\bob', folderName: 'bob' },
  { sid: 'S-1-5-21-9-9-9-1001', account: 'PC-042\\kiosk', kind: 'local', profilePath: 'C:\\Users\\kiosk', folderName: 'kiosk' },
  { sid: 'S-1-5-21-9-9-9-500', account: 'PC-042\\Default', kind: 'local', profilePath: 'C:\\Users\\Default', folderName: 'Default' },
];
