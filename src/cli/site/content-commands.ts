/** `osd content …` and `osd distribute …`: the content library and distribution over the API. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { mib, print, printJson } from '../output.js';
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
      const r: ContentRecord = o.serverPath ? await client.post<ContentRecord>('/content', { sourcePath: resolve(path) }) : await uploadContent(client, path);
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
    .option('--wait', 'wait until the copies are done')
    .option('--json', 'print JSON')
    .action(async (packageIds: string[], o: { dp: string[]; wait?: boolean; json?: boolean }) => {
      const r = await AdminClient.fromOptions(o).post<Array<{ packageId: string; dpName: string; state: string; message: string }>>('/distributions', {
        packageIds,
        distributionPoints: o.dp,
        wait: o.wait ?? false,
      });
      if (o.json) return printJson(r);
      for (const s of r) print(`${s.packageId} → ${s.dpName}: ${s.state} (${s.message})`);
    });
}
