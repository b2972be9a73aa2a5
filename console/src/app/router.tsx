/**
 * History routing without a library: the path is the page (`/software-library/task-sequences`),
 * `navigate` pushes a new entry, Back/Forward work, and `Link` is a real anchor (open in a new tab
 * works) that navigates in place on a plain click.
 */
import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();
function notify(): void {
  for (const l of listeners) l();
}
window.addEventListener('popstate', notify);

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The current path (no query, no trailing slash except `/`). */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => normalize(window.location.pathname));
}

/** The current query string's parameters. */
export function useSearchParams(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  return new URLSearchParams(search);
}

export function normalize(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
}

export function Link({ to, onClick, ...rest }: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}

/** Sets the document title while a page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} - OpenOSD`;
  }, [title]);
}
