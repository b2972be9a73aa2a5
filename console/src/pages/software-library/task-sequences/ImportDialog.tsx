/**
 * Import Task Sequence Wizard: General (the file — a task sequence XML, its SmsTaskSequencePackage
 * wrapper, a console-export zip or OpenOSD's JSON), File Content (name, description, revision
 * comment), Summary, Progress, Completion. The site's refusal shows at the field it names: Previous
 * from Completion goes back to that field's page.
 */
import { useEffect, useState } from 'react';
import { api, ApiError } from '../../../api/client';
import type { SaveResult } from '../../../api/types';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { formatBytes } from '../../../components/format';
import { WizardFrame } from '../../../components/WizardFrame';
import { contentOfFile, formatOfFile } from './files';

type FieldName = 'file' | 'name' | 'description' | 'message';
type Errors = Partial<Record<FieldName, string>>;

const PAGE_OF: Record<FieldName, string> = { file: 'general', name: 'content', description: 'content', message: 'content' };

/** The site names a field of the body; the wizard has a control for each. */
function fieldOfError(e: unknown): FieldName | undefined {
  if (!(e instanceof ApiError)) return undefined;
  const field = e.field;
  if (field === 'name' || field === 'content Name') return 'name';
  if (field === 'description') return 'description';
  if (field === 'message') return 'message';
  if (field === 'content' || field?.startsWith('content') || field === 'request body' || field === 'format' || field === 'encoding') return 'file';
  return undefined;
}

export function ImportDialog({
  open,
  folder = '',
  onClose,
  onImported,
}: {
  open: boolean;
  /** The folder selected in the node: the task sequence lands there. */
  folder?: string;
  onClose: () => void;
  onImported: (r: SaveResult) => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [message, setMessage] = useState('');
  const [siteErrors, setSiteErrors] = useState<Errors>({});
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!open) {
      setFile(null);
      setName('');
      setDescription('');
      setMessage('');
      setSiteErrors({});
      setGeneration((g) => g + 1);
    }
  }, [open]);

  const format = file ? formatOfFile(file.name) : undefined;
  const fileError = !file
    ? 'Choose the task sequence file to import (.xml, .zip or .json).'
    : !format
      ? `${file.name} is not a task sequence file: choose an .xml (a task sequence or its SmsTaskSequencePackage), a console export .zip or a .json file.`
      : siteErrors.file;
  const localFileProblem = !file || !format;

  const run = async (report: (p: { value?: number; detail?: string }) => void): Promise<SaveResult> => {
    setSiteErrors({});
    report({ value: 0, detail: `Reading ${file!.name}` });
    const { content, encoding } = await contentOfFile(file!, format!);
    report({ value: 0.3, detail: `Importing ${file!.name} (${formatBytes(file!.size)})` });
    try {
      const result = await api.post<SaveResult>('/task-sequences', {
        format,
        content,
        encoding,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(message.trim() ? { message: message.trim() } : {}),
        ...(folder ? { folder } : {}),
      });
      report({ value: 1, detail: 'Imported' });
      return result;
    } catch (e) {
      const field = fieldOfError(e);
      if (field && e instanceof ApiError) setSiteErrors({ [field]: e.readable });
      throw e;
    }
  };

  return (
    <Dialog title="Import Task Sequence Wizard" open={open} onClose={onClose} wide>
      <WizardFrame<SaveResult>
        key={generation}
        title="Import Task Sequence Wizard"
        runLabel="Importing the task sequence"
        pages={[
          {
            id: 'general',
            title: 'General',
            valid: !localFileProblem,
            content: ({ showErrors }) => (
              <Field
                label="Task sequence file"
                required
                error={showErrors || siteErrors.file ? fileError : undefined}
                hint="A task sequence XML, its SmsTaskSequencePackage, a console export (.zip) or an OpenOSD JSON file."
              >
                {(p) => (
                  <input
                    {...p}
                    type="file"
                    accept=".xml,.zip,.json,application/xml,text/xml,application/zip,application/json"
                    onChange={(e) => {
                      setFile(e.target.files?.[0] ?? null);
                      setSiteErrors((s) => ({ ...s, file: undefined }));
                    }}
                  />
                )}
              </Field>
            ),
          },
          {
            id: 'content',
            title: 'File Content',
            valid: true,
            content: () => (
              <>
                <p>{file ? `${file.name} (${formatBytes(file.size)})` : ''}</p>
                <Field label="Name" error={siteErrors.name} hint="Leave empty to use the name in the file.">
                  {(p) => (
                    <input
                      {...p}
                      type="text"
                      value={name}
                      maxLength={512}
                      onChange={(e) => {
                        setName(e.target.value);
                        setSiteErrors((s) => ({ ...s, name: undefined }));
                      }}
                    />
                  )}
                </Field>
                <Field label="Description" error={siteErrors.description}>
                  {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
                </Field>
                <Field label="Revision comment" error={siteErrors.message} hint="Kept with revision 1 in the history.">
                  {(p) => <input {...p} type="text" value={message} maxLength={1000} onChange={(e) => setMessage(e.target.value)} />}
                </Field>
              </>
            ),
          },
        ]}
        summary={
          <dl>
            <dt>File</dt>
            <dd>{file?.name}</dd>
            <dt>Name</dt>
            <dd>{name.trim() || 'the name in the file'}</dd>
            <dt>Description</dt>
            <dd>{description.trim() || '—'}</dd>
            <dt>Revision comment</dt>
            <dd>{message.trim() || '—'}</dd>
            <dt>Folder</dt>
            <dd>{folder || 'Task Sequences (the top)'}</dd>
          </dl>
        }
        run={run}
        pageOfError={(e) => {
          const field = fieldOfError(e);
          return field ? PAGE_OF[field] : undefined;
        }}
        completion={(r) => (
          <>
            <p>
              Imported "{r.taskSequence.name}" as {r.taskSequence.id}: revision {r.revision.revision}, {r.revision.stepCount} steps.
            </p>
            {r.warnings.length ? (
              <div className="notice warning" role="status">
                <ul>
                  {r.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              </div>
            ) : null}
          </>
        )}
        onClose={(result) => (result ? onImported(result) : onClose())}
      />
    </Dialog>
  );
}
