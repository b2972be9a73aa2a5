/**
 * The Properties tab of a group or step: name and description (the editor's limits: 50 and 256
 * characters), then for a step its typed form (step-forms.ts) and the property grid of every
 * property its type defines (the catalog's definitions) and any other variable it carries.
 */
import { CheckboxField, Field } from '../../../../components/Field';
import type { PropertyInfo, StepTypeInfo } from './api-types';
import { variableOf, withVariable, type ItemData } from './model';
import { fieldError, fieldValue, STEP_FORMS, type FormField } from './step-forms';

export const NAME_LIMIT = 50;
export const DESCRIPTION_LIMIT = 256;

export interface PropertiesTabProps {
  data: ItemData;
  stepType: StepTypeInfo | undefined;
  readOnly: boolean;
  onChange: (data: ItemData, propertiesChanged?: boolean) => void;
}

/** The property definition of a variable (array elements by their {i} pattern). */
export function propertySpec(type: StepTypeInfo | undefined, variable: string): PropertyInfo | undefined {
  if (!type) return undefined;
  const lower = variable.toLowerCase();
  const fixed = type.properties.find((p) => p.variable.toLowerCase() === lower);
  if (fixed) return fixed;
  for (const a of type.arrays) {
    for (const e of a.elements) {
      const [before, after = ''] = e.variable.toLowerCase().split('{i}');
      if (lower.startsWith(before!) && lower.endsWith(after) && /^\d+$/.test(lower.slice(before!.length, lower.length - after.length))) return e;
    }
  }
  return undefined;
}

export function nameError(data: ItemData): string | undefined {
  const name = data.name ?? '';
  if (name.trim() === '') return 'Name is required';
  if (name.length > NAME_LIMIT) return `Name is ${name.length} characters; at most ${NAME_LIMIT}`;
  return undefined;
}

export function descriptionError(data: ItemData): string | undefined {
  const d = data.description ?? '';
  return d.length > DESCRIPTION_LIMIT ? `Description is ${d.length} characters; at most ${DESCRIPTION_LIMIT}` : undefined;
}

/** The rules a step's typed form breaks (for the Save check). */
export function formProblems(data: ItemData, type: StepTypeInfo | undefined): string[] {
  const form = data.type ? STEP_FORMS[data.type] : undefined;
  if (!form) return [];
  const out: string[] = [];
  const valueOf = (v: string) => fieldValue(variableOf(data, v)?.value, propertySpec(type, v)?.default);
  for (const f of form) {
    if (f.when && !f.when.values.includes(valueOf(f.when.variable))) continue;
    const e = fieldError(f, valueOf(f.variable));
    if (e) out.push(e);
  }
  return out;
}

export function PropertiesTab({ data, stepType, readOnly, onChange }: PropertiesTabProps) {
  if (data.kind === 'raw') {
    return (
      <p>This part of the file is XML the editor does not know (a comment or an unknown element). It is kept as written when the task sequence is saved.</p>
    );
  }
  const isStep = data.kind === 'step';
  const form = isStep && data.type ? STEP_FORMS[data.type] : undefined;
  const setVar = (variable: string, value: string | undefined) => {
    const spec = propertySpec(stepType, variable);
    onChange(
      withVariable(data, variable, value, spec ? { property: spec.property.replace('{i}', /\d+/.exec(variable)?.[0] ?? ''), hidden: spec.hidden } : undefined),
      true,
    );
  };
  const valueOf = (v: string) => fieldValue(variableOf(data, v)?.value, propertySpec(stepType, v)?.default);
  return (
    <div className="props">
      <p className="props-type">
        {isStep ? `Type: ${stepType?.displayName ?? data.type ?? 'Command line (no type)'}` : 'Group'}
        {isStep && data.type && !stepType ? ' — not in the step catalog; its properties are kept as written' : ''}
      </p>
      <Field label="Name" error={nameError(data)} required>
        {(p) => <input {...p} value={data.name ?? ''} readOnly={readOnly} onChange={(e) => onChange({ ...data, name: e.target.value })} />}
      </Field>
      <Field label="Description" error={descriptionError(data)}>
        {(p) => (
          <textarea {...p} rows={2} value={data.description ?? ''} readOnly={readOnly} onChange={(e) => onChange({ ...data, description: e.target.value })} />
        )}
      </Field>
      {form ? (
        <fieldset className="typed-form">
          <legend>{stepType?.displayName ?? 'Settings'}</legend>
          {form.length === 0 ? <p>This step has no settings.</p> : null}
          {form
            .filter((f) => !f.when || f.when.values.includes(valueOf(f.when.variable)))
            .map((f) => (
              <TypedField key={f.variable} field={f} value={valueOf(f.variable)} readOnly={readOnly} onChange={(v) => setVar(f.variable, v)} />
            ))}
        </fieldset>
      ) : null}
      {isStep ? <PropertyGrid data={data} stepType={stepType} readOnly={readOnly} setVar={setVar} open={!form} /> : null}
    </div>
  );
}

function TypedField({ field, value, readOnly, onChange }: { field: FormField; value: string; readOnly: boolean; onChange: (v: string) => void }) {
  if (field.kind === 'checkbox') {
    return (
      <CheckboxField
        label={field.label}
        checked={value.toLowerCase() === 'true'}
        disabled={readOnly}
        hint={field.hint}
        onChange={(c) => onChange(c ? 'true' : 'false')}
      />
    );
  }
  return (
    <Field label={field.label} hint={field.hint} error={fieldError(field, value)} required={field.required}>
      {(p) =>
        field.kind === 'choice' ? (
          <select
            {...p}
            value={field.choices!.find(([v]) => v.toLowerCase() === value.toLowerCase())?.[0] ?? value}
            disabled={readOnly}
            onChange={(e) => onChange(e.target.value)}
          >
            {field.choices!.some(([v]) => v.toLowerCase() === value.toLowerCase()) ? null : <option value={value}>{value || '(not set)'}</option>}
            {field.choices!.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        ) : field.kind === 'textarea' ? (
          <textarea {...p} rows={3} value={value} readOnly={readOnly} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input
            {...p}
            type={field.kind === 'password' ? 'password' : field.kind === 'number' ? 'number' : 'text'}
            autoComplete={field.kind === 'password' ? 'new-password' : 'off'}
            min={field.min}
            max={field.max}
            value={value}
            readOnly={readOnly}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

/** Every property the type defines, and any other variable of the step: one row each. */
function PropertyGrid({
  data,
  stepType,
  readOnly,
  setVar,
  open,
}: {
  data: ItemData;
  stepType: StepTypeInfo | undefined;
  readOnly: boolean;
  setVar: (variable: string, value: string | undefined) => void;
  open: boolean;
}) {
  const rows: Array<{ variable: string; spec?: PropertyInfo; present: boolean; value: string }> = [];
  const seen = new Set<string>();
  for (const p of stepType?.properties ?? []) {
    const v = variableOf(data, p.variable);
    rows.push({ variable: p.variable, spec: p, present: !!v, value: v?.value ?? '' });
    seen.add(p.variable.toLowerCase());
  }
  for (const v of data.variables ?? []) {
    if (seen.has(v.name.toLowerCase())) continue;
    rows.push({ variable: v.name, spec: propertySpec(stepType, v.name), present: true, value: v.value });
  }
  return (
    <details className="prop-grid" open={open}>
      <summary>All properties ({rows.length})</summary>
      {rows.length === 0 ? (
        <p>No properties.</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Variable</th>
              <th scope="col">Value</th>
              <th scope="col">About</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.variable}>
                <th scope="row">
                  <label htmlFor={`prop-${r.variable}`}>{r.variable}</label>
                  {r.spec?.hidden ? <span className="ts-tag"> (not published)</span> : null}
                </th>
                <td>
                  <input
                    id={`prop-${r.variable}`}
                    type={r.spec?.secret ? 'password' : 'text'}
                    autoComplete="off"
                    value={r.value}
                    placeholder={r.present ? undefined : (r.spec?.default ?? '')}
                    readOnly={readOnly}
                    onChange={(e) => setVar(r.variable, e.target.value)}
                  />
                </td>
                <td className="hint">
                  {r.spec?.description ?? 'not defined by the step type (kept as written)'}
                  {!r.present && r.spec?.default ? ` Default: ${r.spec.default}.` : ''}
                  {r.present && !readOnly ? (
                    <>
                      {' '}
                      <button type="button" className="link" aria-label={`Remove ${r.variable}`} onClick={() => setVar(r.variable, undefined)}>
                        Remove
                      </button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
