/**
 * The boot environment's agent program: bundled into /opt/osd/agent.mjs (src/bootenv/build/) and
 * run by init as `/usr/bin/node /opt/osd/agent.mjs` (plan contract C3). It runs on import — this
 * file is an entry point, not a library (the logic is agent.ts).
 *
 * For tests on a host, the environment may point it elsewhere:
 *   OSD_GUEST_CMDLINE  the kernel command line's file (default /proc/cmdline)
 *   OSD_GUEST_SYS, OSD_GUEST_PROC, OSD_GUEST_DEV   the sysfs, procfs and /dev roots
 *   OSD_GUEST_STATE    the agent's state folder (default /run/osd)
 *   OSD_GUEST_DISKS    disk-image files standing for the disks, separated by ':' (instead of /sys/block)
 *   OSD_GUEST_ROOT     where boot media's /osd/media.json is looked for (default /)
 */
import { runGuestAgent } from './agent.js';

const env = process.env;
const code = await runGuestAgent({
  cmdlinePath: env.OSD_GUEST_CMDLINE || '/proc/cmdline',
  roots: { sys: env.OSD_GUEST_SYS || '/sys', proc: env.OSD_GUEST_PROC || '/proc', dev: env.OSD_GUEST_DEV || '/dev' },
  stateDir: env.OSD_GUEST_STATE || '/run/osd',
  mediaRoot: env.OSD_GUEST_ROOT || '/',
  ...(env.OSD_GUEST_DISKS ? { disks: env.OSD_GUEST_DISKS.split(':').filter(Boolean) } : {}),
});
// Exit now: a timer left by the run (an outbox retry, an idle helper session) must not keep init
// waiting. Console writes are synchronous on Linux (files, terminals and pipes), so nothing is lost.
process.exit(code);
