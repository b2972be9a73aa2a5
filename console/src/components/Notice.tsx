/** A message on a page: an error (announced at once), a warning, or a result. */
import type { ReactNode } from 'react';

export function Notice({ kind, children, onDismiss }: { kind: 'error' | 'warning' | 'success' | 'info'; children: ReactNode; onDismiss?: () => void }) {
  return (
    <div className={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <div className="notice-text">{children}</div>
      {onDismiss ? (
        <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss message">
          ×
        </button>
      ) : null}
    </div>
  );
}
