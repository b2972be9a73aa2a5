/**
 * Software Library › Operating Systems › Boot Images:
 *   /software-library/boot-images           the list
 *   /software-library/boot-images/PS100004  one boot image: architecture, OS and WinPE version,
 *     "Deploy this boot image from the PXE-enabled distribution point" (content.write), the drivers
 *     in the boot image, and its content status
 */
import { useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { Link, navigate, useTitle } from '../../../app/router';
import { useCan } from '../../../app/session';
import { DataTable, type Column } from '../../../components/DataTable';
import { CheckboxField } from '../../../components/Field';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { PackageProperties, useLoad, yesNo } from '../content/common';
import { ContentStatus } from '../content/ContentStatus';
import { BootImageDrivers } from './BootImageDrivers';
import type { BootImage } from '../content/types';

const COLUMNS: Column<BootImage>[] = [
  { key: 'name', header: 'Name', width: '26%' },
  { key: 'packageId', header: 'Image ID', width: '9em' },
  { key: 'architecture', header: 'Architecture', width: '8em', value: (r) => r.properties.architecture },
  { key: 'osVersion', header: 'OS Version', width: '10em', value: (r) => r.properties.osVersion ?? '' },
  { key: 'version', header: 'Version', width: '8em' },
  { key: 'pxe', header: 'Deploy from PXE', width: '9em', value: (r) => yesNo(r.properties.pxeEnabled) },
  { key: 'contentSize', header: 'Size', align: 'right', width: '8em', render: (r) => (r.contentSize !== null ? formatBytes(r.contentSize) : '') },
  { key: 'updatedAt', header: 'Date Modified', width: '13em', render: (r) => formatDate(r.updatedAt) },
];

export default function BootImagesPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <BootImageList base={base} />;
  return <BootImageDetail base={base} id={rest[0]!} />;
}

function BootImageList({ base }: { base: string }) {
  useTitle('Boot Images');
  const { data, error, reload } = useLoad(() => api.get<BootImage[]>('/boot-images'), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = data?.find((r) => r.packageId === selectedId);
  const open = (r: BootImage) => navigate(`${base}/${encodeURIComponent(r.packageId)}`);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Boot Images</h1>
      <Toolbar label="Boot Images commands">
        <ToolbarButton icon="✎" label="Open" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
      </Toolbar>
      {error ? <Notice kind="error">The boot images could not be read: {error}</Notice> : null}
      <DataTable
        label="Boot Images"
        columns={COLUMNS}
        rows={data ?? []}
        rowKey={(r) => r.packageId}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r?.packageId ?? null)}
        onOpen={open}
        searchLabel="Search boot images"
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={data ? 'There are no boot images.' : 'Loading…'}
      />
    </section>
  );
}

function BootImageDetail({ base, id }: { base: string; id: string }) {
  const { data, error, reload } = useLoad(() => api.get<BootImage>(`/boot-images/${encodeURIComponent(id)}`), [id]);
  useTitle(data?.name ?? id);
  const canChange = useCan('content.write');
  const [saving, setSaving] = useState(false);
  /** The option as just clicked, until the site's answer is read again. */
  const [pxeShown, setPxeShown] = useState<boolean | undefined>();
  const [pxeError, setPxeError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const setPxe = async (on: boolean) => {
    setSaving(true);
    setPxeShown(on);
    setPxeError(undefined);
    try {
      await api.patch(`/boot-images/${encodeURIComponent(id)}`, { pxeEnabled: on });
      setNotice(
        on
          ? 'Computers that start from the network can boot this image from PXE-enabled distribution points.'
          : 'This boot image is no longer offered to computers that start from the network.',
      );
      await reload();
    } catch (e) {
      setPxeError(messageOf(e));
    } finally {
      setPxeShown(undefined);
      setSaving(false);
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Boot Images</Link> › {data?.name ?? id}
      </p>
      <h1 id="page-title">{data?.name ?? id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!data && !error ? <Progress label="Loading the boot image" /> : null}
      {data ? (
        <>
          <Toolbar label="Boot image commands">
            <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
          </Toolbar>
          {notice ? (
            <Notice kind="success" onDismiss={() => setNotice(undefined)}>
              {notice}
            </Notice>
          ) : null}
          <PackageProperties pkg={data}>
            <dt>Architecture</dt>
            <dd>{data.properties.architecture}</dd>
            <dt>OS version</dt>
            <dd>{data.properties.osVersion || '—'}</dd>
            <dt>Windows PE version</dt>
            <dd>{data.properties.winPeVersion || '—'}</dd>
            <dt>Image file and index</dt>
            <dd>
              {data.properties.wimFile ?? '—'}
              {data.properties.imageIndex ? `, index ${data.properties.imageIndex}` : ''}
            </dd>
            <dt>Scratch space</dt>
            <dd>{data.properties.scratchSpaceMb ? `${data.properties.scratchSpaceMb} MB` : '—'}</dd>
            <dt>Command support (testing only)</dt>
            <dd>{yesNo(data.properties.commandSupport)}</dd>
            <dt>Deploy from PXE</dt>
            <dd>{yesNo(data.properties.pxeEnabled)}</dd>
          </PackageProperties>
          {canChange ? (
            <CheckboxField
              label="Deploy this boot image from the PXE-enabled distribution point"
              checked={pxeShown ?? data.properties.pxeEnabled}
              disabled={saving}
              error={pxeError}
              onChange={(on) => void setPxe(on)}
            />
          ) : null}
          <BootImageDrivers image={data} onChanged={reload} />
          <ContentStatus packageId={data.packageId} objectName={data.name} />
        </>
      ) : null}
    </section>
  );
}
