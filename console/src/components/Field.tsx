/**
 * A labelled form control with its hint and its error text, tied together for assistive technology
 * (label `for`, `aria-describedby`, `aria-invalid`). The control is a render prop so any input,
 * select or textarea fits:
 *
 *   <Field label="Task sequence name" error={errors.name}>{(p) => <input {...p} value={…} onChange={…} />}</Field>
 */
import { useId, type ReactNode } from 'react';

export interface ControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
  'aria-required'?: true;
}

export interface FieldProps {
  label: string;
  /** The site's (or the page's) rule this value breaks, shown under the control. */
  error?: string;
  hint?: ReactNode;
  required?: boolean;
  children: (props: ControlProps) => ReactNode;
  className?: string;
}

export function Field({ label, error, hint, required, children, className }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {children({
        id,
        'aria-describedby': describedBy,
        ...(error ? { 'aria-invalid': true as const } : {}),
        ...(required ? { 'aria-required': true as const } : {}),
      })}
      {hint ? (
        <div id={hintId} className="hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <div id={errorId} className="error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

/** A checkbox with its label after it (and the same hint/error wiring). */
export function CheckboxField({
  label,
  checked,
  onChange,
  hint,
  error,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  error?: string;
  disabled?: boolean;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field checkbox${error ? ' invalid' : ''}`}>
      <input id={id} type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} aria-describedby={describedBy} />
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <div id={`${id}-hint`} className="hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <div id={`${id}-error`} className="error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}
