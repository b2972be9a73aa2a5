/** Export: the selected task sequence's current revision as a file, in one of the site's formats (secrets are exported empty). */
import { useId, useState } from 'react';
import { messageOf } from '../../../api/client';
import type { TaskSequenceInfo } from '../../../api/types';
import { Dialog } from '../../../components/Dialog';

const FORMATS = [
  { value: 'xml', label: 'Task sequence XML (<sequence>)' },
  { value: 'wrapper', label: 'SmsTaskSequencePackage XML (with the properties)' },
  { value: 'zip', label: 'Console export (.zip)' },
  { value: 'json', label: 'OpenOSD JSON' },
] as const;

export function ExportDialog({
  open,
  taskSequence,
  onClose,
  onExport,
}: {
  open: boolean;
  taskSequence: TaskSequenceInfo;
  onClose: () => void;
  onExport: (format: string) => Promise<void>;
}) {
  const [format, setFormat] = useState<string>('xml');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const groupId = useId();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onExport(format);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Export Task Sequence"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" onClick={() => void run()} disabled={busy}>
            Export
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p>
        Export revision {taskSequence.currentRevision} of "{taskSequence.name}" ({taskSequence.id}). Secret values (passwords, product keys) are exported empty.
      </p>
      <fieldset aria-describedby={error ? `${groupId}-error` : undefined}>
        <legend>File format</legend>
        {FORMATS.map((f) => (
          <label key={f.value} className="radio">
            <input type="radio" name={`${groupId}-format`} value={f.value} checked={format === f.value} onChange={() => setFormat(f.value)} />
            {f.label}
          </label>
        ))}
      </fieldset>
      {error ? (
        <div id={`${groupId}-error`} className="notice error" role="alert">
          {error}
        </div>
      ) : null}
    </Dialog>
  );
}
