/**
 * The ribbon of a page: its commands as buttons in an ARIA toolbar (each button is reached with Tab;
 * the arrow keys, Home and End also move between them). A button that changes something names its permission
 * and is not shown to a token whose role lacks it.
 */
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import type { Permission } from '../api/types';
import { useSession } from '../app/session';

export function Toolbar({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const onKeyDown = (e: KeyboardEvent) => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button:not([disabled])') ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0 || buttons.length === 0) return;
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    if (next < 0) return;
    e.preventDefault();
    buttons[next]!.focus();
  };
  return (
    <div className="toolbar" role="toolbar" aria-label={label} ref={ref} onKeyDown={onKeyDown}>
      {children}
    </div>
  );
}

export interface ToolbarButtonProps {
  label: string;
  onClick: () => void;
  /** Hidden when the signed-in role does not allow it. */
  permission?: Permission;
  disabled?: boolean;
  /** A short symbol shown before the label (decorative). */
  icon?: string;
  title?: string;
}

export function ToolbarButton({ label, onClick, permission, disabled, icon, title }: ToolbarButtonProps) {
  const { signed } = useSession();
  if (permission && !signed?.permissions.has(permission)) return null;
  return (
    <button type="button" className="tool" onClick={onClick} disabled={disabled} title={title}>
      {icon ? (
        <span className="tool-icon" aria-hidden="true">
          {icon}
        </span>
      ) : null}
      {label}
    </button>
  );
}

/** Any control that changes something: rendered only when the role allows `permission`. */
export function IfCan({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { signed } = useSession();
  return signed?.permissions.has(permission) ? <>{children}</> : null;
}
