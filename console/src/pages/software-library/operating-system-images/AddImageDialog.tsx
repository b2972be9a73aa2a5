/**
 * Add Operating System Image: the WIM as a path the site server reads (a package source share) or
 * a file uploaded from this browser (with its progress), with a name, version and description. The
 * site reads every image of the WIM; its refusal is shown at the field it names.
 */
import { useEffect, useId, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { formatBytes } from '../../../components/format';
import { Progress } from '../../../components/Progress';
import { FileInput, uploadFile } from '../content/common';
import type { OsImage } from '../content/types';

type FieldName = 'source' | 'name' | 'version' | 'description';

export function AddImageDialog({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (image: OsImage) => void }) {
  const [how, setHow] = useState<'path' | 'upload'>('path');
  const [path, setPath] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [progress, setProgress] = useState<{ label: string; value?: number; detail?: string } | null>(null);
  const groupId = useId();

  useEffect(() => {
    if (open) return;
    setPath('');
    setFile(null);
    setName('');
    setVersion('');
    setDescription('');
    setErrors({});
    setProgress(null);
  }, [open]);

  const add = async () => {
    const local: Partial<Record<FieldName, string>> = {};
    if (how === 'path' && !path.trim()) local.source = 'Enter the path of the .wim file (or of a folder holding one) on the site server.';
    else if (how === 'path' && !path.trim().startsWith('/')) local.source = `"${path.trim()}" is not a full path: it starts at / on the site server.`;
    if (how === 'upload' && !file) local.source = 'Choose the .wim file to upload.';
    else if (how === 'upload' && file && !/\.wim$/i.test(file.name)) local.source = `${file.name} is not a Windows image: choose a .wim file.`;
    setErrors(local);
    if (Object.keys(local).length) return;
    const general = {
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(version.trim() ? { version: version.trim() } : {}),
      ...(description.trim() ? { description: description.trim() } : {}),
    };
    try {
      let source: { sourcePath: string } | { contentId: string };
      if (how === 'upload' && file) {
        setProgress({ label: `Uploading ${file.name}`, value: 0, detail: `0 of ${formatBytes(file.size)}` });
        const content = await uploadFile(file, (sent, total) =>
          setProgress({ label: `Uploading ${file.name}`, value: total ? sent / total : undefined, detail: `${formatBytes(sent)} of ${formatBytes(total)}` }),
        );
        source = { contentId: content.id };
      } else {
        source = { sourcePath: path.trim() };
      }
      setProgress({ label: 'Reading the images of the WIM', detail: 'The site reads every image: index, edition, architecture, size.' });
      const image = await api.post<OsImage>('/os-images', { ...source, ...general });
      setProgress(null);
      onAdded(image);
    } catch (e) {
      setProgress(null);
      const field = e instanceof ApiError ? e.field : undefined;
      const text = messageOf(e);
      if (field === 'name' || field === 'version' || field === 'description') setErrors({ [field]: text });
      else setErrors({ source: text });
    }
  };

  return (
    <Dialog
      title="Add Operating System Image"
      open={open}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="primary" onClick={() => void add()} disabled={!!progress}>
            Add
          </button>
          <button type="button" onClick={onClose} disabled={!!progress}>
            Cancel
          </button>
        </>
      }
    >
      <fieldset>
        <legend>Data Source</legend>
        <label className="radio">
          <input type="radio" name={`${groupId}-how`} checked={how === 'path'} onChange={() => setHow('path')} />A path on the site server
        </label>
        <label className="radio">
          <input type="radio" name={`${groupId}-how`} checked={how === 'upload'} onChange={() => setHow('upload')} />
          Upload a file from this computer
        </label>
      </fieldset>
      {how === 'path' ? (
        <Field label="Path" required error={errors.source} hint="The .wim file, or a folder holding one, below one of the site's source folders.">
          {(p) => <input {...p} type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/sources/windows11/install.wim" />}
        </Field>
      ) : (
        <Field label="Image file" required error={errors.source}>
          {(p) => <FileInput {...p} accept=".wim" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
      )}
      <Field label="Name" error={errors.name} hint="Leave empty to use the file's name.">
        {(p) => <input {...p} type="text" value={name} maxLength={256} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Version" error={errors.version}>
        {(p) => <input {...p} type="text" value={version} maxLength={64} onChange={(e) => setVersion(e.target.value)} />}
      </Field>
      <Field label="Comment" error={errors.description}>
        {(p) => <textarea {...p} rows={2} value={description} maxLength={512} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      {progress ? <Progress label={progress.label} value={progress.value} detail={progress.detail} /> : null}
    </Dialog>
  );
}
