/**
 * A modal dialog on the native <dialog> element: the page behind is inert (focus stays inside),
 * Esc closes it, and focus returns to what opened it; it starts on the control marked
 * `data-autofocus`, else the first. `ConfirmDialog` asks before something that cannot be undone
 * (delete), starting on Cancel.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export interface DialogProps {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  /** The buttons at the bottom. */
  footer?: ReactNode;
  wide?: boolean;
}

export function Dialog({ title, open, onClose, children, footer, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
      // showModal() focuses the first focusable control, after React's autoFocus ran on a dialog not
      // yet open: the control to start on says so with data-autofocus (a confirmation's Cancel).
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const restore = () => {
      const o = opener.current;
      if (o instanceof HTMLElement && o.isConnected) o.focus();
    };
    d.addEventListener('close', restore);
    return () => d.removeEventListener('close', restore);
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <>
          <h2 id={titleId}>{title}</h2>
          <div className="dialog-body">{children}</div>
          {footer ? <div className="buttons">{footer}</div> : null}
        </>
      ) : null}
    </dialog>
  );
}

export function ConfirmDialog({
  title,
  open,
  message,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
  children,
}: {
  title: string;
  open: boolean;
  message: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ReactNode;
}) {
  return (
    <Dialog
      title={title}
      open={open}
      onClose={onCancel}
      footer={
        <>
          <button type="button" className="primary danger" onClick={onConfirm} disabled={busy}>
            {confirmLabel}
          </button>
          <button type="button" onClick={onCancel} data-autofocus>
            Cancel
          </button>
        </>
      }
    >
      <p>{message}</p>
      {children}
    </Dialog>
  );
}
