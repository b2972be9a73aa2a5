/**
 * `osd … | head`: a reader that stops early closes the pipe; osd stops quietly with exit code 0, as
 * Unix tools do, instead of dying on EPIPE with a stack trace (the demo's `| head` found it).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OSD } from '../helpers/osd-server.js';

const BIG = resolve(__dirname, '../../../shared/corpus/public/mdt8456-sccm-client-template.xml');

describe('a closed output pipe', () => {
  it('ends osd quietly with exit code 0', () => {
    // The JSON (~200 KB) is far larger than a pipe's buffer; head takes 10 bytes and closes it.
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${OSD}" ts export "${BIG}" --format json | head -c 10 >/dev/null; echo "osd exit \${PIPESTATUS[0]}"`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.stdout.trim()).toBe('osd exit 0');
  });
});
