/**
 * Exporting a revision (osd-features §2.10): bare `<sequence>` XML, the `<SmsTaskSequencePackage>`
 * wrapper (so name, description, boot image and run time travel with it), our canonical JSON, or a
 * console-export zip. Always from the stored body, so every password and secret value is empty,
 * as in a ConfigMgr export.
 */
import { exportJsonText } from '../../sequence/codec/json.js';
import { exportXmlText } from '../../sequence/codec/xml-export.js';
import type { TaskSequence } from '../../sequence/model/task-sequence.js';
import { element, text } from '../../sequence/xml/nodes.js';
import { writeFragment } from '../../sequence/xml/writer.js';
import type { Site } from '../site.js';
import { consoleExportZip } from './console-export-zip.js';
import { readTaskSequenceRow, toInfo, type TaskSequenceInfo } from './model.js';
import { loadRevision, revisionReferences } from './revisions.js';

export type ExportFormat = 'xml' | 'wrapper' | 'json' | 'zip';

export interface ExportedFile {
  contentType: string;
  fileName: string;
  bytes: Buffer;
  revision: number;
}

/** SMS_TaskSequencePackage properties of the site's package, as ConfigMgr names them. */
function packageProperties(info: TaskSequenceInfo): Record<string, string> {
  return {
    BootImageID: info.bootImageId ?? '',
    Description: info.description,
    Duration: String(info.properties.maxRunTimeMinutes),
    Name: info.name,
  };
}

function utf8Xml(ts: TaskSequence, options: { layout?: 'as-read' | 'indented' } = {}): string {
  // The reply is UTF-8 whatever the file was read as: the declaration says so.
  return exportXmlText(ts, { layout: options.layout ?? 'as-read' }).replace(/^(<\?xml[^>]*\bencoding\s*=\s*["'])[^"']*(["'])/, '$1utf-8$2');
}

function withWrapper(ts: TaskSequence, props: Record<string, string>): TaskSequence {
  const root = element('SmsTaskSequencePackage', [
    ['xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance'],
    ['xmlns:xsd', 'http://www.w3.org/2001/XMLSchema'],
  ]);
  for (const [k, v] of Object.entries(props)) root.children.push(element(k, [], v ? [text(v)] : []));
  root.children.push(element('SequenceData', [], [element('sequence')]));
  return { ...ts, envelope: { kind: 'package', wrapperXml: writeFragment(root), properties: props } };
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9 ._()-]+/g, '_').trim() || 'task-sequence';
}

export async function exportTaskSequence(site: Site, id: string, format: ExportFormat, revision?: number): Promise<ExportedFile> {
  const row = await readTaskSequenceRow(site.db, id);
  const info = toInfo(row);
  const loaded = await loadRevision(site, row.package_id, revision);
  const ts = loaded.stored;
  const base = `${safeFileName(info.name)} (${info.id} r${loaded.info.revision})`;
  switch (format) {
    case 'json':
      return { contentType: 'application/json', fileName: `${base}.json`, bytes: Buffer.from(exportJsonText(ts), 'utf8'), revision: loaded.info.revision };
    case 'xml':
      return { contentType: 'application/xml', fileName: `${base}.xml`, bytes: Buffer.from(utf8Xml(ts), 'utf8'), revision: loaded.info.revision };
    case 'wrapper':
      return {
        contentType: 'application/xml',
        fileName: `${base}.xml`,
        bytes: Buffer.from(utf8Xml(withWrapper(ts, packageProperties(info)), { layout: 'indented' }), 'utf8'),
        revision: loaded.info.revision,
      };
    case 'zip': {
      const refs = await revisionReferences(site.db, row.package_id, loaded.info.revision);
      const ids = refs.filter((r) => r.refKind === 'package').map((r) => r.refId);
      const { rows } = await site.db.query<{ package_id: string; name: string; package_type: number; version: string; description: string }>(
        'SELECT package_id, name, package_type, version, description FROM packages WHERE package_id = ANY($1::text[]) ORDER BY package_id',
        [ids],
      );
      const props = packageProperties(info);
      const zip = consoleExportZip(
        {
          packageId: info.id,
          properties: {
            BootImageID: { type: 'string', value: props.BootImageID },
            Description: { type: 'string', value: props.Description },
            Duration: { type: 'uint32', value: props.Duration },
            HighImpactTaskSequence: { type: 'boolean', value: String(info.properties.highImpact) },
            Name: { type: 'string', value: props.Name },
            TsEnabled: { type: 'boolean', value: String(!info.properties.disabled) },
            Type: { type: 'uint32', value: String(info.type) },
          },
          sequenceXml: exportXmlText(ts, { bare: true, layout: 'compact' }),
          references: rows.map((p) => ({ packageId: p.package_id, name: p.name, type: p.package_type, version: p.version, description: p.description })),
        },
        `Exported from OpenOSD site ${site.siteCode}, revision ${loaded.info.revision}`,
      );
      return { contentType: 'application/zip', fileName: `${base}.zip`, bytes: Buffer.from(zip), revision: loaded.info.revision };
    }
  }
}
