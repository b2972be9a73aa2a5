/**
 * Create Package and a package's Properties: General (name, version, manufacturer, language,
 * comment), Data Source (create only: the source folder on the site server, or none) and Programs
 * (name, command line, "Allow this program to be installed from the Install Package task sequence
 * without being deployed"). The site's refusal is shown at the field it names, programs by row.
 */
import { useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { CheckboxField, Field } from '../../../components/Field';
import { Progress } from '../../../components/Progress';
import type { PackageInfo, Program } from '../content/types';

type Errors = Record<string, string>;

export function PackageDialog({
  open,
  pkg,
  onClose,
  onSaved,
}: {
  open: boolean;
  /** The package to edit; none: Create Package. */
  pkg?: PackageInfo;
  onClose: () => void;
  onSaved: (pkg: PackageInfo) => void;
}) {
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [manufacturer, setManufacturer] = useState('');
  const [language, setLanguage] = useState('');
  const [description, setDescription] = useState('');
  const [sourcePath, setSourcePath] = useState('');
  const [programs, setPrograms] = useState<Program[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setName(pkg?.name ?? '');
    setVersion(pkg?.version ?? '');
    setManufacturer(pkg?.manufacturer ?? '');
    setLanguage(pkg?.language ?? '');
    setDescription(pkg?.description ?? '');
    setSourcePath('');
    setPrograms(((pkg?.properties.programs as Program[] | undefined) ?? []).map((p) => ({ ...p })));
    setErrors({});
  }, [open, pkg]);

  const setProgram = (i: number, change: Partial<Program>) => setPrograms((ps) => ps.map((p, j) => (j === i ? { ...p, ...change } : p)));

  const save = async () => {
    const local: Errors = {};
    if (!name.trim()) local.name = 'Enter a name for the package.';
    const folder = sourcePath.trim();
    if (!pkg && folder && !folder.startsWith('/')) local.sourcePath = `"${folder}" is not a full path: it starts at / on the site server.`;
    programs.forEach((p, i) => {
      if (!p.name.trim()) local[`programs[${i}].name`] = 'Enter the program’s name.';
      if (!p.commandLine.trim()) local[`programs[${i}].commandLine`] = 'Enter the program’s command line.';
    });
    setErrors(local);
    if (Object.keys(local).length) return;
    const body = {
      name: name.trim(),
      version: version.trim(),
      manufacturer: manufacturer.trim(),
      language: language.trim(),
      description: description.trim(),
      programs: programs.map((p) => ({ name: p.name.trim(), commandLine: p.commandLine.trim(), allowTaskSequenceInstall: p.allowTaskSequenceInstall })),
    };
    setBusy(true);
    try {
      const saved = pkg
        ? await api.patch<PackageInfo>(`/packages/${encodeURIComponent(pkg.packageId)}`, body)
        : await api.post<PackageInfo>('/packages', { ...body, ...(folder ? { sourcePath: folder } : {}) });
      onSaved(saved);
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      setErrors({
        [f && /^(name|version|manufacturer|language|description|sourcePath|programs\[\d+\]\.(name|commandLine))$/.test(f) ? f : 'form']: messageOf(e),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={pkg ? `${pkg.name} Properties` : 'Create Package'}
      open={open}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="primary" onClick={() => void save()} disabled={busy}>
            {pkg ? 'OK' : 'Create'}
          </button>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </>
      }
    >
      <fieldset>
        <legend>General</legend>
        <Field label="Name" required error={errors.name}>
          {(p) => <input {...p} type="text" value={name} maxLength={256} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Version" error={errors.version}>
          {(p) => <input {...p} type="text" value={version} maxLength={64} onChange={(e) => setVersion(e.target.value)} />}
        </Field>
        <Field label="Manufacturer" error={errors.manufacturer}>
          {(p) => <input {...p} type="text" value={manufacturer} maxLength={128} onChange={(e) => setManufacturer(e.target.value)} />}
        </Field>
        <Field label="Language" error={errors.language}>
          {(p) => <input {...p} type="text" value={language} maxLength={64} onChange={(e) => setLanguage(e.target.value)} />}
        </Field>
        <Field label="Comment" error={errors.description}>
          {(p) => <textarea {...p} rows={2} value={description} maxLength={512} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
      </fieldset>
      {pkg ? null : (
        <Field
          label="Source folder"
          error={errors.sourcePath}
          hint="Optional: the folder with the package's files on the site server. Empty: a package without content."
        >
          {(p) => <input {...p} type="text" value={sourcePath} onChange={(e) => setSourcePath(e.target.value)} />}
        </Field>
      )}
      <fieldset>
        <legend>Programs</legend>
        {programs.length === 0 ? <p>This package has no programs.</p> : null}
        {programs.map((prog, i) => (
          <div className="program" key={i} role="group" aria-label={`Program ${i + 1}`}>
            <Field label={`Program ${i + 1} name`} required error={errors[`programs[${i}].name`]}>
              {(p) => <input {...p} type="text" value={prog.name} maxLength={50} onChange={(e) => setProgram(i, { name: e.target.value })} />}
            </Field>
            <Field label={`Program ${i + 1} command line`} required error={errors[`programs[${i}].commandLine`]}>
              {(p) => <input {...p} type="text" value={prog.commandLine} maxLength={1024} onChange={(e) => setProgram(i, { commandLine: e.target.value })} />}
            </Field>
            <CheckboxField
              label={`Allow program ${i + 1} to be installed from the Install Package task sequence without being deployed`}
              checked={prog.allowTaskSequenceInstall}
              onChange={(on) => setProgram(i, { allowTaskSequenceInstall: on })}
            />
            <button type="button" onClick={() => setPrograms((ps) => ps.filter((_p, j) => j !== i))}>
              Remove program {i + 1}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setPrograms((ps) => [...ps, { name: '', commandLine: '', allowTaskSequenceInstall: false }])}>
          Add Program
        </button>
      </fieldset>
      {errors.form ? (
        <div className="notice error" role="alert">
          {errors.form}
        </div>
      ) : null}
      {busy ? <Progress label={pkg ? 'Saving the package' : 'Creating the package'} /> : null}
    </Dialog>
  );
}
