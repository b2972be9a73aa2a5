/**
 * Software Library › Operating Systems › Operating System Images:
 *   /software-library/operating-system-images           the list, Add Operating System Image
 *   /software-library/operating-system-images/PS100003  one image package: its images (index,
 *     name, edition, architecture, version, size), Reload, and its content status
 */
import { useState } from 'react';
import { api, messageOf } from '../../../api/client';
import type { PageProps } from '../../../app/pages';
import { Link, navigate, useTitle } from '../../../app/router';
import { DataTable, type Column } from '../../../components/DataTable';
import { formatBytes, formatDate } from '../../../components/format';
import { Notice } from '../../../components/Notice';
import { Progress } from '../../../components/Progress';
import { Toolbar, ToolbarButton } from '../../../components/Toolbar';
import { PackageProperties, useLoad } from '../content/common';
import { ContentStatus } from '../content/ContentStatus';
import type { ImageInformation, OsImage } from '../content/types';
import { AddImageDialog } from './AddImageDialog';

const COLUMNS: Column<OsImage>[] = [
  { key: 'name', header: 'Name', width: '24%' },
  { key: 'packageId', header: 'Image ID', width: '9em' },
  { key: 'version', header: 'Version', width: '8em' },
  { key: 'architecture', header: 'Architecture', width: '8em', value: (r) => r.properties.architecture },
  { key: 'images', header: 'Images', align: 'right', width: '5em', value: (r) => r.properties.images.length },
  { key: 'contentSize', header: 'Size', align: 'right', width: '8em', render: (r) => (r.contentSize !== null ? formatBytes(r.contentSize) : '') },
  { key: 'sourcePath', header: 'Image Path' },
  { key: 'updatedAt', header: 'Date Modified', width: '13em', render: (r) => formatDate(r.updatedAt) },
];

const IMAGE_COLUMNS: Column<ImageInformation>[] = [
  { key: 'index', header: 'Index', align: 'right', width: '5em' },
  { key: 'name', header: 'Name' },
  { key: 'edition', header: 'Edition', width: '10em' },
  { key: 'architecture', header: 'Architecture', width: '8em' },
  { key: 'version', header: 'OS Version', width: '10em' },
  { key: 'languages', header: 'Languages', width: '8em', value: (r) => r.languages.join(', ') },
  { key: 'sizeBytes', header: 'Size', align: 'right', width: '8em', render: (r) => formatBytes(r.sizeBytes) },
];

export default function OperatingSystemImagesPage({ rest, base }: PageProps) {
  if (rest.length === 0) return <ImageList base={base} />;
  return <ImageDetail base={base} id={rest[0]!} />;
}

function ImageList({ base }: { base: string }) {
  useTitle('Operating System Images');
  const { data, error, reload } = useLoad(() => api.get<OsImage[]>('/os-images'), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const selected = data?.find((r) => r.packageId === selectedId);
  const open = (r: OsImage) => navigate(`${base}/${encodeURIComponent(r.packageId)}`);
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Operating System Images</h1>
      <Toolbar label="Operating System Images commands">
        <ToolbarButton icon="+" label="Add Operating System Image" permission="content.write" onClick={() => setAdding(true)} />
        <ToolbarButton icon="✎" label="Open" disabled={!selected} onClick={() => selected && open(selected)} />
        <ToolbarButton icon="⟳" label="Refresh" onClick={() => void reload()} />
      </Toolbar>
      {notice ? (
        <Notice kind="success" onDismiss={() => setNotice(undefined)}>
          {notice}
        </Notice>
      ) : null}
      {error ? <Notice kind="error">The operating system images could not be read: {error}</Notice> : null}
      <DataTable
        label="Operating System Images"
        columns={COLUMNS}
        rows={data ?? []}
        rowKey={(r) => r.packageId}
        selectedKey={selectedId}
        onSelect={(r) => setSelectedId(r?.packageId ?? null)}
        onOpen={open}
        searchLabel="Search operating system images"
        initialSort={{ key: 'name', direction: 'ascending' }}
        emptyText={data ? 'There are no operating system images. Add one from a .wim file.' : 'Loading…'}
      />
      {selected ? (
        <section className="details" aria-label={`Images in ${selected.name}`}>
          <h2>{selected.name}</h2>
          <DataTable
            label={`Images in ${selected.name}`}
            columns={IMAGE_COLUMNS}
            rows={selected.properties.images}
            rowKey={(i) => String(i.index)}
            searchLabel="Search images"
          />
        </section>
      ) : null}
      <AddImageDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(image) => {
          setAdding(false);
          setSelectedId(image.packageId);
          setNotice(`Added "${image.name}" as ${image.packageId} with ${image.properties.images.length} image(s).`);
          void reload();
        }}
      />
    </section>
  );
}

function ImageDetail({ base, id }: { base: string; id: string }) {
  const { data, error, reload } = useLoad(() => api.get<OsImage>(`/os-images/${encodeURIComponent(id)}`), [id]);
  useTitle(data?.name ?? id);
  const [reloading, setReloading] = useState(false);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const reloadImages = async () => {
    setReloading(true);
    try {
      const pkg = await api.post<OsImage>(`/os-images/${encodeURIComponent(id)}/reload`);
      setNotice({ kind: 'success', text: `Read ${pkg.properties.images.length} image(s) from ${pkg.properties.wimFile} again.` });
      await reload();
    } catch (e) {
      setNotice({ kind: 'error', text: `The images were not read again: ${messageOf(e)}` });
    } finally {
      setReloading(false);
    }
  };
  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Operating System Images</Link> › {data?.name ?? id}
      </p>
      <h1 id="page-title">{data?.name ?? id}</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!data && !error ? <Progress label="Loading the operating system image" /> : null}
      {data ? (
        <>
          <Toolbar label="Operating system image commands">
            <ToolbarButton icon="⟳" label="Reload" permission="content.write" disabled={reloading} onClick={() => void reloadImages()} />
          </Toolbar>
          {reloading ? <Progress label="Reading the images of the WIM again" /> : null}
          {notice ? (
            <Notice kind={notice.kind} onDismiss={() => setNotice(null)}>
              {notice.text}
            </Notice>
          ) : null}
          <PackageProperties pkg={data}>
            <dt>Image file</dt>
            <dd>{data.properties.wimFile}</dd>
            <dt>Architecture</dt>
            <dd>{data.properties.architecture || 'mixed'}</dd>
            <dt>Language</dt>
            <dd>{data.properties.language || 'mixed'}</dd>
          </PackageProperties>
          <h2>Images</h2>
          <DataTable
            label={`Images in ${data.name}`}
            columns={IMAGE_COLUMNS}
            rows={data.properties.images}
            rowKey={(i) => String(i.index)}
            searchLabel="Search images"
          />
          <ContentStatus packageId={data.packageId} objectName={data.name} />
        </>
      ) : null}
    </section>
  );
}
