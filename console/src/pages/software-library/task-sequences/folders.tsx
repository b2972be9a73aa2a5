/**
 * The folders of the Task Sequences node (osd-features §1.3): the tree beside the list, and Move.
 * A folder exists at the site while a task sequence is in it or below it (GET /task-sequence-folders);
 * moving a task sequence to a new path makes the folder.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError, messageOf } from '../../../api/client';
import type { TaskSequenceInfo } from '../../../api/types';
import { Dialog } from '../../../components/Dialog';
import { Field } from '../../../components/Field';
import { TreeView, type TreeItem } from '../../../components/TreeView';

export interface TaskSequenceFolder {
  path: string;
  name: string;
  parent: string;
  taskSequenceCount: number;
  totalCount: number;
}

/** The site's folders, and a reload after a move or an import. */
export function useFolders(): { folders: TaskSequenceFolder[]; error?: string; reload: () => Promise<void> } {
  const [folders, setFolders] = useState<TaskSequenceFolder[]>([]);
  const [error, setError] = useState<string | undefined>();
  const reload = useCallback(async () => {
    try {
      setFolders(await api.get<TaskSequenceFolder[]>('/task-sequence-folders'));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { folders, error, reload };
}

/** The root ('' — the node itself) and its folders as tree items; ids are the folder paths. */
export function folderTree(folders: TaskSequenceFolder[]): TreeItem[] {
  const children = (parent: string): TreeItem[] =>
    folders
      .filter((f) => f.parent === parent)
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }))
      .map((f) => ({ id: `/${f.path}`, label: `${f.name} (${f.totalCount})`, icon: '▣', children: children(f.path) }));
  return [{ id: '/', label: 'Task Sequences', icon: '▣', children: children('') }];
}

/** The folder tree: selecting a folder shows its task sequences. `folder` is '' for the top. */
export function FolderTree({ folders, folder, onFolder }: { folders: TaskSequenceFolder[]; folder: string; onFolder: (folder: string) => void }) {
  const items = useMemo(() => folderTree(folders), [folders]);
  return (
    <div className="ts-folders">
      <TreeView label="Task sequence folders" items={items} selectedId={`/${folder}`} onSelect={(id) => onFolder(id.slice(1))} />
      {folders.length === 0 ? <p className="hint">No folders yet: move a task sequence to a new folder to make one.</p> : null}
    </div>
  );
}

/** Move the selected task sequence to a folder: an existing one, or a new path (names joined by /). */
export function MoveDialog({
  open,
  taskSequence,
  folders,
  onClose,
  onMoved,
}: {
  open: boolean;
  taskSequence: TaskSequenceInfo & { folder?: string };
  folders: TaskSequenceFolder[];
  onClose: () => void;
  onMoved: (folder: string) => void;
}) {
  const [target, setTarget] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setTarget(taskSequence.folder ?? '');
      setError(undefined);
    }
  }, [open, taskSequence.folder]);

  const move = async () => {
    const folder = target
      .split('/')
      .map((n) => n.trim())
      .filter(Boolean)
      .join('/');
    setBusy(true);
    setError(undefined);
    try {
      await api.patch(`/task-sequences/${encodeURIComponent(taskSequence.id)}`, { folder });
      onMoved(folder);
    } catch (e) {
      setError(e instanceof ApiError ? e.readable : messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Move Selected Items"
      open={open}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="primary" onClick={() => void move()} disabled={busy}>
            OK
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p>
        Move "{taskSequence.name}" ({taskSequence.id}) to:
      </p>
      <Field label="Folder" error={error} hint="Choose a folder, or type a new one: folder names joined by /. Empty: the top of Task Sequences.">
        {(p) => (
          <>
            <input {...p} type="text" list="ts-folder-paths" value={target} onChange={(e) => setTarget(e.target.value)} maxLength={1100} />
            <datalist id="ts-folder-paths">
              {folders.map((f) => (
                <option key={f.path} value={f.path} />
              ))}
            </datalist>
          </>
        )}
      </Field>
    </Dialog>
  );
}
