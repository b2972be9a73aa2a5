/**
 * The built boot environment boots: QEMU (TCG) with SeaBIOS loads its vmlinuz and initrd directly
 * (`-kernel/-initrd`), init loads the modules, gets an address by DHCP from QEMU's user network,
 * checks that every tool starts with its libraries, and runs the agent against a site that does not
 * answer (10.0.2.2:1: the host's port 1): the agent says so, tries again, fails, and init powers off.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBootEnv } from '../../src/bootenv/build/index.js';
import { bootEnvSkipReason, buildBootEnvForTests } from '../helpers/bootenv.js';
import { tempDir } from '../helpers/temp.js';
import { qemuSkipReason } from '../helpers/qemu.js';

const skip = bootEnvSkipReason() ?? qemuSkipReason();
/** Lines that end the boot early: a failure the harness should not wait out (team contract C3). */
const FATAL = /Kernel panic|No bootable device|PXE-E|not syncing/;

interface Boot {
  lines: string[];
  exit: number | null;
  timedOut: boolean;
  seconds: number;
}

function boot(dir: string, append: string, limitMs: number): Promise<Boot> {
  const t0 = Date.now();
  const args = [
    ...['-machine', 'q35', '-m', '1536', '-smp', '1', '-nographic', '-no-reboot'],
    ...['-kernel', join(dir, 'vmlinuz'), '-initrd', join(dir, 'initrd.cpio.zst'), '-append', append],
    // QEMU's user network without restrict=on: the guest reaches the host's loopback as 10.0.2.2 (contract C4).
    ...['-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:a1'],
  ];
  return new Promise((resolve, reject) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let rest = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, limitMs);
    qemu.stdout.on('data', (b: Buffer) => {
      rest += b.toString('utf8');
      const parts = rest.split(/\r?\n/);
      rest = parts.pop()!;
      for (const l of parts) {
        lines.push(l.replace(/\x1b\[[0-9;?]*[a-zA-Z]|\x1bc/g, ''));
        if (FATAL.test(l)) qemu.kill('SIGKILL');
      }
    });
    let err = '';
    qemu.stderr.on('data', (b: Buffer) => (err += b.toString()));
    qemu.on('error', reject);
    qemu.on('close', (code) => {
      clearTimeout(timer);
      if (rest) lines.push(rest);
      if (err.trim() && code !== 0 && !timedOut) lines.push(`qemu stderr: ${err.trim()}`);
      resolve({ lines, exit: code, timedOut, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

describe.skipIf(skip)(`the boot environment under QEMU (direct kernel boot, SeaBIOS)${skip ? `: ${skip}` : ''}`, () => {
  it('starts the network and every tool, runs the agent, which reports the unreachable site, then powers off', { timeout: 300_000 }, async () => {
    const { dir, manifest } = await buildBootEnvForTests();
    const site = 'http://10.0.2.2:1';
    const r = await boot(dir, `console=ttyS0 initrd=bootenv quiet osd.site=${site} osd.boot=pxe osd.retry=5 osd.check`, 150_000);
    const text = r.lines.join('\n');
    expect(r.timedOut, `no power-off within the time limit; the console said:\n${text}`).toBe(false);
    expect(text).not.toMatch(FATAL);
    expect(text).toContain(`OSD-BOOTENV: Linux ${manifest.kernel.release}`);
    expect(text).toMatch(/^OSD-BOOTENV: network: eth0 10\.0\.2\.15\/24 via 10\.0\.2\.2$/m);
    const modules = /^OSD-BOOTENV: modules: (.*)$/m.exec(text)?.[1]?.split(' ') ?? [];
    expect(modules).toEqual(expect.arrayContaining(['virtio_net', 'virtio_blk', 'virtio_pci', 'ext4', 'vfat', 'failover']));
    const toolLines = r.lines.filter((l) => l.startsWith('OSD-BOOTENV: tool '));
    expect(toolLines.length).toBeGreaterThan(20);
    expect(toolLines.filter((l) => !l.endsWith(' ok'))).toEqual([]);
    expect(text).toContain('OSD-BOOTENV: tool /usr/bin/node ok');
    expect(text).toContain('OSD-BOOTENV: tool /usr/bin/wimlib-imagex ok');
    // mtools converts the label through glibc's gconv modules, which the initramfs must carry.
    expect(text).toContain('OSD-BOOTENV: check mformat FAT32 ok');
    expect(text).toContain(`OSD-BOOTENV: starting the agent (site ${site}, boot pxe)`);
    if (manifest.agent.placeholder) {
      expect(text).toContain('OSD-AGENT FAILED no agent yet');
    } else {
      // Contract C3: the site unreachable → retries for osd.retry seconds, each attempt said, then FAILED.
      expect(text).toMatch(new RegExp(`^OSD-AGENT: the site ${site.replace(/\./g, '\\.')}\\S* does not answer \\(.+\\); trying again in \\d+ s$`, 'm'));
      expect(text).toMatch(/^OSD-AGENT FAILED site unreachable/m);
    }
    expect(text).toContain('OSD-BOOTENV: the task sequence did not finish; powering off');
    expect(r.exit).toBe(0); // poweroff ends QEMU by itself
  });

  it('gives the agent the environment of contract C3, and restarts when the agent ends with exit 0', { timeout: 300_000 }, async () => {
    // An agent of the test's own that reports what it finds, then ends as a finished run does.
    const work = tempDir('osd-bootenv-env-');
    const agent = join(work, 'probe-agent.mjs');
    writeFileSync(
      agent,
      `import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
const say = (l) => console.log('OSD-AGENT: ' + l);
say('PATH=' + process.env.PATH);
for (const v of ['OSD_NTFSFS', 'OSD_NTFSMKDIR']) {
  let ok = false;
  try { accessSync(process.env[v], constants.X_OK); ok = true; } catch {}
  say(v + '=' + process.env[v] + ' executable=' + ok);
}
const which = (t) => process.env.PATH.split(':').map((d) => d + '/' + t).find((p) => existsSync(p));
for (const t of ['mke2fs', 'sfdisk', 'blockdev', 'wget', 'wimlib-imagex', 'grub-bios-setup']) say('which ' + t + '=' + which(t));
say('run=' + (/^tmpfs \\/run tmpfs /m.test(readFileSync('/proc/mounts', 'utf8')) ? 'tmpfs' : 'not tmpfs'));
say('wimlib ' + execFileSync('wimlib-imagex', ['--version']).toString().split('\\n')[0]);
console.log('OSD-AGENT DONE outcome=nothing');
`,
    );
    const env = await buildBootEnv({ arch: 'x64', outDir: join(work, 'env'), agentEntry: agent, force: true });
    expect(env.manifest.agent.placeholder).toBeUndefined();
    const r = await boot(env.dir, 'console=ttyS0 initrd=bootenv quiet osd.site=http://10.0.2.2:1 osd.boot=media', 150_000);
    const text = r.lines.join('\n');
    expect(r.timedOut, `no restart within the time limit; the console said:\n${text}`).toBe(false);
    expect(text).toContain('OSD-AGENT: PATH=/usr/sbin:/usr/bin:/sbin:/bin');
    expect(text).toContain('OSD-AGENT: OSD_NTFSFS=/opt/osd/native/ntfsfs executable=true');
    expect(text).toContain('OSD-AGENT: OSD_NTFSMKDIR=/opt/osd/native/ntfsmkdir executable=true');
    // The real tools before busybox's applets (netboot.md: busybox's mke2fs once shadowed the real one).
    expect(text).toContain('OSD-AGENT: which mke2fs=/usr/sbin/mke2fs');
    expect(text).toContain('OSD-AGENT: which sfdisk=/usr/sbin/sfdisk');
    expect(text).toContain('OSD-AGENT: which blockdev=/usr/sbin/blockdev');
    expect(text).toContain('OSD-AGENT: which wget=/bin/wget');
    expect(text).toContain('OSD-AGENT: which grub-bios-setup=/usr/sbin/grub-bios-setup');
    expect(text).toContain('OSD-AGENT: run=tmpfs');
    expect(text).toMatch(/^OSD-AGENT: wimlib wimlib-imagex 1\.\d+/m);
    expect(text).toContain('OSD-AGENT DONE outcome=nothing');
    expect(text).toContain('OSD-BOOTENV: the agent finished; restarting');
    expect(text).not.toContain('powering off');
    expect(r.exit).toBe(0); // -no-reboot: the guest's restart ends QEMU
  });
});
