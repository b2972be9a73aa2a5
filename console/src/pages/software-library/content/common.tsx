/** Parts the Software Library's content pages share: loading a list or an object, a package's general properties, an upload with progress. */
import { useCallback, useEffect, useRef, useState, type InputHTMLAttributes } from 'react';
import { ApiError, messageOf, session } from '../../../api/client';
import { formatBytes, formatDate } from '../../../components/format';
import type { ContentRecord, PackageInfo } from './types';

/** Loads once and again on `reload()`; `error` is the site's refusal in words. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | undefined; reload: () => Promise<void> } {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    try {
      setData(await run());
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

/** The General and Data Source properties every package has. */
export function PackageProperties({ pkg, children }: { pkg: PackageInfo; children?: React.ReactNode }) {
  return (
    <dl className="properties">
      <dt>Package ID</dt>
      <dd>{pkg.packageId}</dd>
      <dt>Name</dt>
      <dd>{pkg.name}</dd>
      <dt>Version</dt>
      <dd>{pkg.version || '—'}</dd>
      <dt>Description</dt>
      <dd>{pkg.description || '—'}</dd>
      {children}
      <dt>Source path</dt>
      <dd>{pkg.sourcePath || '—'}</dd>
      <dt>Source version</dt>
      <dd>{pkg.sourceVersion}</dd>
      <dt>Content size</dt>
      <dd>{pkg.contentSize !== null ? `${formatBytes(pkg.contentSize)} in ${pkg.contentFileCount ?? 0} file(s)` : 'no content'}</dd>
      <dt>Distribution priority</dt>
      <dd>{pkg.priority}</dd>
      <dt>Date Modified</dt>
      <dd>{formatDate(pkg.updatedAt)}</dd>
    </dl>
  );
}

/**
 * Uploads one file into the site's content library with its progress (XMLHttpRequest: fetch
 * cannot report an upload's progress). Answers the content record; a refusal is an ApiError.
 */
export function uploadFile(file: File, onProgress: (sent: number, total: number) => void): Promise<ContentRecord> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/v1/uploads?path=${encodeURIComponent(file.name)}`);
    const token = session.token();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, undefined, 'the site server cannot be reached; check that it is running and try again'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as ContentRecord);
      else reject(new ApiError(xhr.status, body as never, `the site answered ${xhr.status}`));
    };
    xhr.send(file);
  });
}

export function yesNo(b: boolean | undefined): string {
  return b ? 'Yes' : 'No';
}

/**
 * A file input for a dialog. Chromium fires `cancel` at a file input when its chooser closes
 * without a change (the same file chosen again); the event bubbles to the modal <dialog>, which
 * would close. This input stops it there.
 */
export function FileInput(props: Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const input = ref.current;
    if (!input) return;
    const stop = (e: Event) => e.stopPropagation();
    input.addEventListener('cancel', stop);
    return () => input.removeEventListener('cancel', stop);
  }, []);
  return <input ref={ref} type="file" {...props} />;
}
