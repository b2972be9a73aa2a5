/**
 * Import Software Updates: the updates' metadata (a JSON file: a list of updates, or an object with
 * `updates`), and optionally the folder of their files on the site server, which becomes a software
 * update deployment package. The site's refusal is shown at the field it names (an update in the
 * file: at the file, naming which one).
 */
import { useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { Progress } from '../../../components/Progress';
import { FileInput } from '../content/common';
import type { SoftwareUpdate } from '../content/types';

type FieldName = 'file' | 'sourcePath' | 'packageName';

export function ImportUpdatesDialog({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: (updates: SoftwareUpdate[]) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [path, setPath] = useState('');
  const [packageName, setPackageName] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (open) return;
    setFile(null);
    setPath('');
    setPackageName('');
    setErrors({});
  }, [open]);

  const run = async () => {
    if (!file) return setErrors({ file: 'Choose the file with the updates’ metadata (.json).' });
    let updates: unknown;
    try {
      const parsed = JSON.parse(await file.text()) as unknown;
      updates = Array.isArray(parsed) ? parsed : (parsed as { updates?: unknown }).updates;
    } catch (e) {
      return setErrors({ file: `${file.name} is not JSON: ${(e as Error).message}` });
    }
    if (!Array.isArray(updates) || updates.length === 0)
      return setErrors({ file: `${file.name} holds no updates: it is a list of updates, or an object whose "updates" is one.` });
    const folder = path.trim();
    if (folder && !folder.startsWith('/')) return setErrors({ sourcePath: `"${folder}" is not a full path: it starts at / on the site server.` });
    setErrors({});
    setBusy(true);
    try {
      const r = await api.post<{ updates: SoftwareUpdate[] }>('/software-updates/import', {
        updates,
        ...(folder ? { sourcePath: folder } : {}),
        ...(packageName.trim() ? { packageName: packageName.trim() } : {}),
      });
      onImported(r.updates);
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      const text = messageOf(e);
      if (f === 'sourcePath') setErrors({ sourcePath: text });
      else if (f === 'packageName') setErrors({ packageName: text });
      else if (f?.startsWith('updates')) {
        const m = /^updates[.[](\d+)\]?\.?(.*)$/.exec(f);
        setErrors({ file: m ? `In update ${Number(m[1]) + 1} of ${file.name}${m[2] ? `, ${m[2]}` : ''}: ${text}` : `${file.name}: ${text}` });
      } else setErrors({ file: text });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Import Software Updates"
      open={open}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="primary" onClick={() => void run()} disabled={busy}>
            Import
          </button>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </>
      }
    >
      <Field
        label="Update metadata file"
        required
        error={errors.file}
        hint="A .json file: each update's ID, article, title, classification, products, applicability and files."
      >
        {(p) => <FileInput {...p} accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
      </Field>
      <Field
        label="Update files folder"
        error={errors.sourcePath}
        hint="Optional: the folder on the site server with the updates' files; it becomes a deployment package."
      >
        {(p) => <input {...p} type="text" value={path} onChange={(e) => setPath(e.target.value)} />}
      </Field>
      <Field label="Deployment package name" error={errors.packageName}>
        {(p) => <input {...p} type="text" value={packageName} maxLength={256} onChange={(e) => setPackageName(e.target.value)} />}
      </Field>
      {busy ? <Progress label="Importing software updates" /> : null}
    </Dialog>
  );
}
