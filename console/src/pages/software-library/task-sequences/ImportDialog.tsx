/**
 * Import Task Sequence: a file (XML — a bare <sequence> or the SmsTaskSequencePackage wrapper —, a
 * console-export zip, or OpenOSD's JSON), an optional name and a revision comment. The site's
 * refusal is shown at the field it names (the name, or the file for anything wrong inside it).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import type { SaveResult } from '../../../api/types';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { formatBytes } from '../../../components/format';
import { Progress } from '../../../components/Progress';
import { contentOfFile, formatOfFile } from './files';

type Errors = Partial<Record<'file' | 'name' | 'description' | 'message' | 'form', string>>;

/** The site names a field of the body; the dialog has a control for each. */
function errorsOf(e: unknown): Errors {
  if (e instanceof ApiError) {
    const field = e.field;
    if (field === 'name' || field === 'content Name') return { name: e.readable };
    if (field === 'description') return { description: e.readable };
    if (field === 'message') return { message: e.readable };
    if (field === 'content' || field?.startsWith('content') || field === 'request body')
      return { file: e.input && e.input !== 'body.content' ? `${e.input}: ${e.readable}` : e.readable };
    return { form: messageOf(e) };
  }
  return { form: messageOf(e) };
}

export function ImportDialog({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: (r: SaveResult) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    if (!open) {
      setFile(null);
      setName('');
      setDescription('');
      setMessage('');
      setErrors({});
      setBusy(null);
    }
  }, [open]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) {
      setErrors({ file: 'Choose the task sequence file to import (.xml, .zip or .json).' });
      return;
    }
    const format = formatOfFile(file.name);
    if (!format) {
      setErrors({
        file: `${file.name} is not a task sequence file: choose an .xml (a task sequence or its SmsTaskSequencePackage), a console export .zip or a .json file.`,
      });
      return;
    }
    setErrors({});
    try {
      setBusy(`Reading ${file.name}`);
      const { content, encoding } = await contentOfFile(file, format);
      setBusy(`Importing ${file.name} (${formatBytes(file.size)})`);
      const result = await api.post<SaveResult>('/task-sequences', {
        format,
        content,
        encoding,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(message.trim() ? { message: message.trim() } : {}),
      });
      onImported(result);
    } catch (err) {
      setErrors(errorsOf(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Dialog
      title="Import Task Sequence"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="submit" form="import-ts" className="primary" disabled={busy !== null}>
            Import
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <form id="import-ts" onSubmit={submit} noValidate>
        <Field
          label="Task sequence file"
          error={errors.file}
          hint="A task sequence XML, its SmsTaskSequencePackage, a console export (.zip) or an OpenOSD JSON file."
        >
          {(p) => (
            <input
              {...p}
              type="file"
              accept=".xml,.zip,.json,application/xml,text/xml,application/zip,application/json"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          )}
        </Field>
        <Field label="Name" error={errors.name} hint="Leave empty to use the name in the file.">
          {(p) => <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={512} />}
        </Field>
        <Field label="Description" error={errors.description}>
          {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field label="Revision comment" error={errors.message} hint="Kept with revision 1 in the history.">
          {(p) => <input {...p} type="text" value={message} onChange={(e) => setMessage(e.target.value)} maxLength={1000} />}
        </Field>
        {errors.form ? (
          <div className="notice error" role="alert">
            {errors.form}
          </div>
        ) : null}
        {busy ? <Progress label={busy} /> : null}
      </form>
    </Dialog>
  );
}
