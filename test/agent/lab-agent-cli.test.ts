// `osd lab boot --site` and `osd lab agent`: what they refuse, as a user types it (exit code 2, the
// option named).
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/lab/create.js';
import { tempDir } from '../helpers/temp.js';
import { runOsd } from '../helpers/osd-server.js';

const MACHINES = resolve(__dirname, '../../examples/machines');
let labs: string;

beforeAll(async () => {
  labs = join(tempDir('osd-lab-agent-cli-'), 'labs');
  await createLab(labs, 'bare', { profilePath: join(MACHINES, 'uefi-x64-laptop-bare-metal.json'), disks: ['1G'] });
});

const osd = (...args: string[]) => runOsd(...args, '--lab-dir', labs);

describe('osd lab boot --site / osd lab agent: bad input', () => {
  it('--site does not go with --ts, --content or --var', async () => {
    const r = await osd('lab', 'boot', 'bare', '--site', 'http://127.0.0.1:9', '--ts', 'x.xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ts: is not used with --site/);
  });

  it('without --site, --ts and --content are required; --choose only with --site', async () => {
    const none = await osd('lab', 'boot', 'bare');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--ts: is required without --site/);
    const choose = await osd('lab', 'boot', 'bare', '--ts', 'x.xml', '--content', labs, '--choose', 'PS120001');
    expect(choose.code).toBe(2);
    expect(choose.stderr).toMatch(/--choose: is used only with --site/);
  });

  it('--site must be an http(s) URL', async () => {
    const r = await osd('lab', 'boot', 'bare', '--site', 'site.example');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--site site\.example: is not an http:\/\/ or https:\/\/ URL/);
  });

  it('osd lab agent needs a machine with an OS', async () => {
    const r = await osd('lab', 'agent', 'bare', '--site', 'http://127.0.0.1:9', '--once');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bare: has no operating system/);
  });
});
