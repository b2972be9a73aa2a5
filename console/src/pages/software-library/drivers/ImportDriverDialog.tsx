/**
 * Import New Driver: a folder (searched for INF files) or one .inf on the site server, the
 * categories to give the drivers, whether they are enabled, and what to do with duplicates. The
 * site's refusal is shown at the field it names.
 */
import { useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { CheckboxField, Field } from '../../../components/Field';
import { Progress } from '../../../components/Progress';
import type { Driver } from '../content/types';

type FieldName = 'sourcePath' | 'categories' | 'duplicates';

export function ImportDriverDialog({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: (drivers: Driver[]) => void }) {
  const [path, setPath] = useState('');
  const [categories, setCategories] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [duplicates, setDuplicates] = useState('append-categories');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (open) return;
    setPath('');
    setCategories('');
    setEnabled(true);
    setErrors({});
  }, [open]);

  const run = async () => {
    const source = path.trim();
    if (!source) return setErrors({ sourcePath: 'Enter the folder of the drivers (or one .inf file) on the site server.' });
    if (!source.startsWith('/')) return setErrors({ sourcePath: `"${source}" is not a full path: it starts at / on the site server.` });
    setErrors({});
    setBusy(true);
    try {
      const r = await api.post<{ imported: Driver[] }>('/drivers/import', {
        sourcePath: source,
        categories: categories
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
        enabled,
        duplicates,
      });
      onImported(r.imported);
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      const key: FieldName = f?.startsWith('categories') ? 'categories' : f === 'duplicates' ? 'duplicates' : 'sourcePath';
      setErrors({ [key]: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Import New Driver"
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
        label="Source folder"
        required
        error={errors.sourcePath}
        hint="A folder on the site server (its subfolders are searched for .inf files), or one .inf file."
      >
        {(p) => <input {...p} type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/sources/drivers/latitude-7490" />}
      </Field>
      <Field label="Categories" error={errors.categories} hint="Separate categories with commas; new ones are created.">
        {(p) => <input {...p} type="text" value={categories} onChange={(e) => setCategories(e.target.value)} />}
      </Field>
      <Field label="If a driver is already in the catalog" error={errors.duplicates}>
        {(p) => (
          <select {...p} value={duplicates} onChange={(e) => setDuplicates(e.target.value)}>
            <option value="append-categories">Import the driver and append new categories to the existing categories</option>
            <option value="keep-categories">Import the driver and keep the existing categories</option>
            <option value="overwrite-categories">Import the driver and overwrite the categories</option>
            <option value="skip">Do not import the driver</option>
          </select>
        )}
      </Field>
      <CheckboxField label="Enable these drivers and allow computers to install them" checked={enabled} onChange={setEnabled} />
      {busy ? <Progress label="Importing drivers" detail="Reading each INF file and copying the driver files into the content library." /> : null}
    </Dialog>
  );
}
