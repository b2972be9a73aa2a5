/**
 * A collection's General properties: Name, Comment, Limiting collection and the collection variable
 * priority (1 lowest … 9 highest, osd-features §3.3), changed with PATCH; the site's refusal (a name
 * in use, a limiting collection that would make a cycle) is shown at its field.
 */
import { useEffect, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { Notice } from '../../../components/Notice';
import type { Collection } from '../common/types';

export function EditCollectionDialog({ collection, onClose }: { collection: Collection; onClose: (saved?: Collection) => void }) {
  const [name, setName] = useState(collection.name);
  const [comment, setComment] = useState(collection.comment);
  const [limiting, setLimiting] = useState(collection.limitingCollectionId ?? '');
  const [priority, setPriority] = useState(collection.variablePriority);
  const [choices, setChoices] = useState<Collection[]>([]);
  const [errors, setErrors] = useState<{ name?: string; comment?: string; limiting?: string; priority?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .get<Collection[]>('/collections')
      .then((all) => setChoices(all.filter((c) => c.collectionId !== collection.collectionId)))
      .catch(() => setChoices([]));
  }, [collection.collectionId]);

  const save = async () => {
    if (!name.trim()) return setErrors({ name: 'Enter the collection name.' });
    setBusy(true);
    setErrors({});
    try {
      const body: Record<string, unknown> = {};
      if (name.trim() !== collection.name) body.name = name.trim();
      if (comment !== collection.comment) body.comment = comment;
      if (limiting && limiting !== collection.limitingCollectionId) body.limitingCollectionId = limiting;
      if (priority !== collection.variablePriority) body.variablePriority = priority;
      onClose(Object.keys(body).length ? await api.patch<Collection>(`/collections/${encodeURIComponent(collection.collectionId)}`, body) : collection);
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      if (f === 'name') setErrors({ name: messageOf(e) });
      else if (f === 'comment') setErrors({ comment: messageOf(e) });
      else if (f === 'limitingCollectionId') setErrors({ limiting: messageOf(e) });
      else if (f === 'variablePriority') setErrors({ priority: messageOf(e) });
      else setErrors({ form: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`${collection.name} General Properties`}
      open
      onClose={() => onClose()}
      footer={
        <>
          <button type="submit" form="edit-collection" className="primary" disabled={busy}>
            OK
          </button>
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
        </>
      }
    >
      <form
        id="edit-collection"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label="Name" required error={errors.name}>
          {(p) => <input {...p} type="text" value={name} maxLength={300} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Comment" error={errors.comment}>
          {(p) => <textarea {...p} rows={2} value={comment} maxLength={4000} onChange={(e) => setComment(e.target.value)} />}
        </Field>
        {collection.builtIn ? null : (
          <Field label="Limiting collection" error={errors.limiting}>
            {(p) => (
              <select {...p} value={limiting} onChange={(e) => setLimiting(e.target.value)}>
                {choices.map((c) => (
                  <option key={c.collectionId} value={c.collectionId}>
                    {c.name} ({c.collectionId})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field
          label="Collection variable priority"
          error={errors.priority}
          hint="1 is the lowest, 9 the highest: among collections, a higher priority's variable wins."
        >
          {(p) => (
            <select {...p} value={priority} onChange={(e) => setPriority(Number(e.target.value))}>
              {[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => (
                <option key={n} value={n}>
                  {n}
                  {n === 1 ? ' (lowest)' : n === 9 ? ' (highest)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      {errors.form ? <Notice kind="error">{errors.form}</Notice> : null}
    </Dialog>
  );
}
