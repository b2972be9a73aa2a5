/**
 * A boot image's Drivers tab: the drivers added to it, Add Driver (catalog drivers, with the site's
 * warnings about architecture and classes other than network and storage, or only those two) and
 * Remove Driver (content.write).
 */
import { useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { DataTable, type Column } from '../../../components/DataTable';
import { ConfirmDialog, Dialog } from '../../../components/Dialog';
import { CheckboxField } from '../../../components/Field';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { yesNo } from '../content/common';
import type { BootImage, BootImageDriver, Driver } from '../content/types';

const COLUMNS: Column<BootImageDriver>[] = [
  { key: 'name', header: 'Name' },
  { key: 'class', header: 'Class', width: '10em' },
  { key: 'platforms', header: 'Platforms', width: '10em', value: (r) => r.platforms.join(', ') },
  { key: 'enabled', header: 'Enabled', width: '6em', value: (r) => yesNo(r.enabled) },
];

export function BootImageDrivers({ image, onChanged }: { image: BootImage; onChanged: () => Promise<void> }) {
  const drivers = image.drivers ?? [];
  const [selected, setSelected] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'add' | 'remove' | null>(null);
  const [catalog, setCatalog] = useState<Driver[] | undefined>();
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [onlyNetworkAndStorage, setOnlyNetworkAndStorage] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'warning' | 'error'; text: string } | null>(null);
  const row = drivers.find((d) => String(d.ciId) === selected);
  const inImage = new Set(drivers.map((d) => d.ciId));

  const openAdd = async () => {
    setChosen(new Set());
    setError(undefined);
    setDialog('add');
    try {
      setCatalog((await api.get<Driver[]>('/drivers')).filter((d) => !inImage.has(d.ciId)));
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const add = async () => {
    if (chosen.size === 0) return setError('Select at least one driver.');
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post<{ warnings: string[] }>(`/boot-images/${encodeURIComponent(image.packageId)}/drivers`, {
        ciIds: [...chosen],
        onlyNetworkAndStorage,
      });
      setDialog(null);
      setNotice(
        r.warnings.length
          ? { kind: 'warning', text: `Added ${chosen.size} driver(s) to "${image.name}". ${r.warnings.join(' ')}` }
          : { kind: 'success', text: `Added ${chosen.size} driver(s) to "${image.name}".` },
      );
      await onChanged();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!row) return;
    setBusy(true);
    try {
      await api.delete(`/boot-images/${encodeURIComponent(image.packageId)}/drivers/${row.ciId}`);
      setNotice({ kind: 'success', text: `Removed the driver "${row.name}" from "${image.name}".` });
      setSelected(null);
      await onChanged();
    } catch (e) {
      setNotice({ kind: 'error', text: `The driver "${row.name}" was not removed: ${messageOf(e)}` });
    } finally {
      setBusy(false);
      setDialog(null);
    }
  };

  return (
    <section aria-labelledby="boot-image-drivers-title">
      <h2 id="boot-image-drivers-title">Drivers</h2>
      <Toolbar label="Boot image driver commands">
        <ToolbarButton icon="+" label="Add Driver" permission="content.write" onClick={() => void openAdd()} />
        <ToolbarButton icon="✕" label="Remove Driver" permission="content.write" disabled={!row} onClick={() => setDialog('remove')} />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      <DataTable
        label={`Drivers in ${image.name}`}
        columns={COLUMNS}
        rows={drivers}
        rowKey={(d) => String(d.ciId)}
        selectedKey={selected}
        onSelect={(d) => setSelected(d ? String(d.ciId) : null)}
        searchLabel="Search drivers in the boot image"
        emptyText="This boot image has no drivers added."
      />
      <Dialog
        title="Add Driver to Boot Image"
        open={dialog === 'add'}
        onClose={() => setDialog(null)}
        wide
        footer={
          <>
            <button type="button" className="primary" onClick={() => void add()} disabled={busy}>
              Add
            </button>
            <button type="button" onClick={() => setDialog(null)} disabled={busy}>
              Cancel
            </button>
          </>
        }
      >
        <p>
          Add drivers from the catalog to "{image.name}" ({image.properties.architecture}).
        </p>
        <CheckboxField label="Only network and storage drivers (refuse the others)" checked={onlyNetworkAndStorage} onChange={setOnlyNetworkAndStorage} />
        <fieldset>
          <legend>Drivers</legend>
          {catalog === undefined && !error ? <p>Loading…</p> : null}
          {catalog?.length === 0 ? <p>Every driver of the catalog is in this boot image already.</p> : null}
          {catalog?.map((d) => (
            <CheckboxField
              key={d.ciId}
              label={`${d.name} (${d.class}, ${d.platforms.join(', ')}, ${d.infFile})`}
              checked={chosen.has(d.ciId)}
              onChange={(on) =>
                setChosen((c) => {
                  const n = new Set(c);
                  if (on) n.add(d.ciId);
                  else n.delete(d.ciId);
                  return n;
                })
              }
            />
          ))}
        </fieldset>
        {error ? (
          <div className="notice error" role="alert">
            {error}
          </div>
        ) : null}
      </Dialog>
      <ConfirmDialog
        title="Remove Driver"
        open={dialog === 'remove' && !!row}
        message={row ? `Remove the driver "${row.name}" from "${image.name}"?` : ''}
        confirmLabel="Remove"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
    </section>
  );
}
