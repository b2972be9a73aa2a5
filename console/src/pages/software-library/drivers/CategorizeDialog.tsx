/** Categorize: the selected driver's administrative categories (comma-separated; new ones are created), content.write. */
import { useEffect, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import type { Driver } from '../content/types';

export function CategorizeDialog({ driver, open, onClose, onSaved }: { driver: Driver; open: boolean; onClose: () => void; onSaved: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setText(driver.categories.join(', '));
    setError(undefined);
  }, [open, driver]);
  const save = async () => {
    const categories = [
      ...new Set(
        text
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
      ),
    ];
    setBusy(true);
    setError(undefined);
    try {
      await api.patch(`/drivers/${driver.ciId}`, { categories });
      onSaved();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Manage Administrative Categories"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" onClick={() => void save()} disabled={busy}>
            OK
          </button>
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </>
      }
    >
      <p>The categories of "{driver.name}". Empty: no category.</p>
      <Field label="Administrative categories" error={error} hint="Separate categories with commas; new ones are created.">
        {(p) => <input {...p} type="text" value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
    </Dialog>
  );
}
