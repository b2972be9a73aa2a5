/**
 * The Devices node: 100,000 devices are never loaded at once. The table asks the site for one page
 * at a time (GET /devices with `limit` and the `cursor` of the page before, in name order), with the
 * search (a part of the name, a MAC, an SMBIOS GUID or a ResourceID) applied by the site and the
 * total counted once per search (the site counts it on the first page only).
 */
import { useCallback, useRef, useState } from 'react';
import { api, messageOf } from '../../../api/client';
import { navigate, useTitle } from '../../../app/router';
import { DataTable, type Column, type PageAnswer, type PageRequest } from '../../../components/DataTable';
import { ConfirmDialog } from '../../../components/Dialog';
import { formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import type { Device, DevicePage } from '../common/types';
import { ImportComputerDialog, type ImportResult } from './ImportComputerDialog';

export const DEVICE_COLUMNS: Column<Device>[] = [
  { key: 'name', header: 'Name', width: '22%', sortable: false },
  { key: 'resourceId', header: 'Resource ID', width: '8em', align: 'right', sortable: false },
  { key: 'macAddresses', header: 'MAC Address', sortable: false, value: (d) => d.macAddresses.join(', ') },
  { key: 'smbiosGuid', header: 'SMBIOS GUID', sortable: false, value: (d) => d.smbiosGuid ?? '' },
  { key: 'client', header: 'Client', width: '5em', sortable: false, value: (d) => (d.client ? 'Yes' : 'No') },
  { key: 'createdAt', header: 'Date Created', width: '13em', sortable: false, render: (d) => formatDate(d.createdAt) },
];

export const PAGE_SIZE = 50;

/** A paged source over GET /devices that keeps each search's total (the site sends it with the first page only). */
export function useDeviceSource(): (request: PageRequest) => Promise<PageAnswer<Device>> {
  const totals = useRef(new Map<string, number>());
  return useCallback(async (r: PageRequest) => {
    const answer = await api.get<DevicePage>('/devices', { search: r.search || undefined, limit: r.limit, cursor: r.cursor }, r.signal);
    if (answer.total !== null) totals.current.set(r.search, answer.total);
    return { rows: answer.devices, total: answer.total ?? totals.current.get(r.search), nextCursor: answer.nextCursor ?? undefined };
  }, []);
}

export function DeviceList({ base }: { base: string }) {
  useTitle('Devices');
  const source = useDeviceSource();
  const [reload, setReload] = useState(0);
  const [selected, setSelected] = useState<Device | null>(null);
  const [dialog, setDialog] = useState<'import' | 'delete' | 'clear' | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'warning'; text: string } | null>(null);

  const open = (d: Device) => navigate(`${base}/${d.resourceId}`);

  const remove = async () => {
    if (!selected) return;
    setBusy(true);
    try {
      await api.delete(`/devices/${selected.resourceId}`);
      setNotice({ kind: 'success', text: `Deleted the device ${selected.name} (${selected.resourceId}).` });
      setSelected(null);
      setReload((n) => n + 1);
    } catch (e) {
      setNotice({ kind: 'error', text: `The device ${selected.name} was not deleted: ${messageOf(e)}` });
    }
    setBusy(false);
    setDialog(null);
  };

  const clearRequired = async () => {
    if (!selected) return;
    setBusy(true);
    try {
      const r = await api.post<{ cleared: unknown[] }>(`/devices/${selected.resourceId}/clear-required`);
      setNotice({
        kind: 'success',
        text: r.cleared.length
          ? `Cleared ${r.cleared.length} Required PXE deployment${r.cleared.length === 1 ? '' : 's'} of ${selected.name}: they run again at its next network boot.`
          : `${selected.name} had no Required PXE deployment to clear.`,
      });
    } catch (e) {
      setNotice({ kind: 'error', text: `Required PXE deployments of ${selected.name} were not cleared: ${messageOf(e)}` });
    }
    setBusy(false);
    setDialog(null);
  };

  const imported = (r: ImportResult) => {
    setDialog(null);
    setReload((n) => n + 1);
    if (r.kind === 'single') {
      const a = r.result.association ? ` and associated with the source computer ${r.result.association.sourceName}` : '';
      setNotice({
        kind: 'success',
        text: `${r.result.overwritten ? 'Overwrote' : 'Imported'} the computer ${r.result.device.name} (${r.result.device.resourceId})${a}.`,
      });
      setSelected(r.result.device);
    } else {
      setNotice({ kind: 'success', text: `Imported ${r.result.imported} computers from the file (${r.result.overwritten} existing records overwritten).` });
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Devices</h1>
      <Toolbar label="Devices commands">
        <ToolbarButton icon="⇪" label="Import Computer Information" permission="device.write" onClick={() => setDialog('import')} />
        <ToolbarButton icon="✎" label="Properties" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="↺" label="Clear Required PXE Deployments" permission="device.write" disabled={!selected} onClick={() => setDialog('clear')} />
        <ToolbarButton icon="✕" label="Delete" permission="device.write" disabled={!selected} onClick={() => setDialog('delete')} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => setReload((n) => n + 1)} />
      </Toolbar>
      {notice ? (
        <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      ) : null}
      <DataTable
        label="Devices"
        columns={DEVICE_COLUMNS}
        source={source}
        reloadKey={reload}
        pageSize={PAGE_SIZE}
        rowKey={(d) => String(d.resourceId)}
        selectedKey={selected ? String(selected.resourceId) : null}
        onSelect={setSelected}
        onOpen={open}
        searchLabel="Search devices by name, MAC address, SMBIOS GUID or resource ID"
        emptyText="There are no devices. Import computer information to add some."
      />
      <ImportComputerDialog open={dialog === 'import'} onClose={() => setDialog(null)} onImported={imported} />
      <ConfirmDialog
        title="Delete Device"
        open={dialog === 'delete' && !!selected}
        message={
          selected ? `Delete the device ${selected.name} (${selected.resourceId}) with its collection memberships, variables and computer associations?` : ''
        }
        confirmLabel="Delete"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setDialog(null)}
      />
      <ConfirmDialog
        title="Clear Required PXE Deployments"
        open={dialog === 'clear' && !!selected}
        message={
          selected
            ? `Clear the Required PXE deployments of ${selected.name}? A Required deployment that already ran is run again at its next network boot.`
            : ''
        }
        confirmLabel="Clear"
        busy={busy}
        onConfirm={() => void clearRequired()}
        onCancel={() => setDialog(null)}
      />
    </section>
  );
}
