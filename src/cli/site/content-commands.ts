/** `osd content …` and `osd distribute …`: the content library and distribution over the API. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { mib, print, printJson } from '../output.js';
import { startProgress } from '../progress.js';
import { AdminClient, withConnection } from './admin-client.js';
import { uploadContent, withServerPath } from './upload.js';

interface ContentRecord {
  id: string;
  size: number;
  fileCount: number;
  files: Array<{ path: string; size: number; sha256: string }>;
}

export function registerContentCommands(program: Command): void {
  const content = program.command('content').description('the content library');
  withServerPath(withConnection(content.command('add <path>')))
    .description('add a file or folder to the content library (uploaded; --server-path lets the server read it)')
    .option('--json', 'print JSON')
    .action(async (path: string, o: { serverPath?: boolean; json?: boolean }) => {
      const client = AdminClient.fromOptions(o);
      const r: ContentRecord = o.serverPath
        ? await client.post<ContentRecord>('/content', { sourcePath: resolve(path) })
        : await uploadContent(client, path, { quiet: o.json });
      if (o.json) return printJson(r);
      print(`content ${r.id}: ${r.fileCount} file(s), ${mib(r.size)}`);
    });
  withConnection(content.command('list'))
    .description('list content in the library')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await AdminClient.fromOptions(o).get<Array<ContentRecord & { usedBy: string[] }>>('/content');
      if (o.json) return printJson(r);
      for (const c of r) print(`${c.id.slice(0, 16)}…\t${c.fileCount} file(s)\t${mib(c.size)}\t${c.usedBy.join(', ') || '(unused)'}`);
    });
  withConnection(content.command('status [packageId]'))
    .description('content status: per package (Success / In Progress / Error / Unknown), or per DP for one package')
    .option('--json', 'print JSON')
    .action(async (packageId: string | undefined, o: { json?: boolean }) => {
      const client = AdminClient.fromOptions(o);
      if (packageId) {
        const r = await client.get<Array<{ dpName: string; state: string; sourceVersion: number; message: string }>>(
          `/packages/${encodeURIComponent(packageId)}/distribution`,
        );
        if (o.json) return printJson(r);
        for (const s of r) print(`${s.dpName}\t${s.state}\tversion ${s.sourceVersion}\t${s.message}`);
        return;
      }
      const r =
        await client.get<Array<{ packageId: string; name: string; success: number; inProgress: number; error: number; unknown: number }>>(
          '/distribution-status',
        );
      if (o.json) return printJson(r);
      for (const s of r) print(`${s.packageId}\t${s.name}\tsuccess ${s.success}, in progress ${s.inProgress}, error ${s.error}, unknown ${s.unknown}`);
    });

  withConnection(program.command('distribute <packageIds...>'))
    .description('distribute packages to distribution points')
    .requiredOption('--dp <names...>', 'distribution point names')
    .option('--wait', 'wait until the copies are done (progress on stderr)')
    .option('--json', 'print JSON')
    .action(async (packageIds: string[], o: { dp: string[]; wait?: boolean; json?: boolean }) => {
      const client = AdminClient.fromOptions(o);
      let r = await client.post<Distribution[]>('/distributions', { packageIds, distributionPoints: o.dp, wait: false });
      if (o.wait) r = await waitForCopies(client, packageIds, o.dp, o.json);
      if (o.json) return printJson(r);
      for (const s of r) print(`${s.packageId} → ${s.dpName}: ${s.state} (${s.message})`);
    });
}

interface Distribution {
  packageId: string;
  dpName: string;
  state: string;
  message: string;
  sourceVersion: number;
  currentSourceVersion: number;
  sizeBytes: number | null;
  copiedBytes: number;
  copyBytes: number | null;
}

const POLL_MS = 500;

const finished = (s: Distribution): boolean => s.state === 'error' || (s.state === 'success' && s.sourceVersion >= s.currentSourceVersion);

/**
 * How much of the copies is done, in bytes of the packages' content: a finished copy counts its
 * whole package (the DP may have had some files already), one in progress the share it has pushed
 * of what it has to push.
 */
function bytesDone(rows: Distribution[]): number {
  return rows.reduce((n, s) => {
    const size = s.sizeBytes ?? 0;
    if (finished(s)) return n + size;
    if (s.state === 'in-progress' && s.copyBytes) return n + Math.min(size, Math.round((s.copiedBytes / s.copyBytes) * size));
    return n;
  }, 0);
}

/**
 * Polls the copies' states until each is done (the current version on the DP) or failed, drawing
 * the bytes done (and the copies). Polling, not one long request: an HTTP answer held for the
 * length of a large copy would outlast clients' and proxies' timeouts.
 */
async function waitForCopies(client: AdminClient, packageIds: string[], dps: string[], quiet?: boolean): Promise<Distribution[]> {
  const wanted = new Set(dps);
  const fetchRows = async () =>
    (await Promise.all([...new Set(packageIds)].map((id) => client.get<Distribution[]>(`/packages/${encodeURIComponent(id)}/distribution`))))
      .flat()
      .filter((s) => wanted.has(s.dpName));
  let rows = await fetchRows();
  const copies = rows.length;
  const total = rows.reduce((n, s) => n + (s.sizeBytes ?? 0), 0);
  const progress = startProgress({ label: `distributing ${copies} cop${copies === 1 ? 'y' : 'ies'}`, total, quiet });
  try {
    for (;;) {
      progress.update(bytesDone(rows));
      if (rows.every(finished)) {
        progress.done();
        return rows;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      rows = await fetchRows();
    }
  } catch (e) {
    progress.fail();
    throw e;
  }
}
