/**
 * Assignment schedule (Required deployments, osd-features §4.1): the list of schedules with New and
 * Delete, as ConfigMgr's Scheduling page. Several are allowed; Windows PE (PXE, media) clients
 * ignore them.
 */
import { useId, useState } from 'react';
import { Field } from '../../../../components/Field';
import { DAYS, describeSchedule, isoOf, type Day, type Schedule } from './deploy-model';

type Kind = 'asap' | 'logon' | 'logoff' | 'at' | 'weekly' | 'monthly' | 'interval';

const KIND_LABELS: Record<Kind, string> = {
  asap: 'As soon as possible',
  logon: 'Log on',
  logoff: 'Log off',
  at: 'Assign to a specific date and time',
  weekly: 'Recur weekly',
  monthly: 'Recur monthly',
  interval: 'Custom interval',
};

export function ScheduleEditor({
  schedules,
  onChange,
  utc,
  error,
}: {
  schedules: Schedule[];
  onChange: (s: Schedule[]) => void;
  utc: boolean;
  error?: string;
}) {
  const [adding, setAdding] = useState(false);
  const [kind, setKind] = useState<Kind>('asap');
  const [time, setTime] = useState('');
  const [every, setEvery] = useState(1);
  const [day, setDay] = useState<Day>('saturday');
  const [dayOfMonth, setDayOfMonth] = useState<string>('1');
  const [unit, setUnit] = useState<'minutes' | 'hours' | 'days'>('days');
  const [formError, setFormError] = useState<string | undefined>();
  const listId = useId();
  const errorId = useId();

  const add = () => {
    let s: Schedule;
    if (kind === 'asap' || kind === 'logon' || kind === 'logoff') s = kind;
    else {
      const start = isoOf(time, utc);
      if (!start) {
        setFormError('Specify the date and time.');
        return;
      }
      if ((kind === 'weekly' || kind === 'monthly' || kind === 'interval') && !(every >= 1)) {
        setFormError('The recurrence is at least 1.');
        return;
      }
      if (kind === 'at') s = { at: start };
      else if (kind === 'weekly') s = { recurring: 'weekly', start, everyWeeks: every, day };
      else if (kind === 'monthly') s = { recurring: 'monthly', start, everyMonths: every, dayOfMonth: dayOfMonth === 'last' ? 'last' : Number(dayOfMonth) };
      else s = { recurring: 'interval', start, every, unit };
    }
    if (schedules.some((x) => JSON.stringify(x) === JSON.stringify(s))) {
      setFormError('This schedule is in the list already.');
      return;
    }
    onChange([...schedules, s]);
    setAdding(false);
    setFormError(undefined);
  };

  return (
    <fieldset className={`schedule-editor${error ? ' invalid' : ''}`}>
      <legend>Assignment schedule</legend>
      <ul id={listId} className="schedule-list" aria-label="Assignment schedules" aria-describedby={error ? errorId : undefined}>
        {schedules.length === 0 ? <li className="empty">No assignment schedule.</li> : null}
        {schedules.map((s, i) => (
          <li key={JSON.stringify(s)}>
            <span>{describeSchedule(s)}</span>
            <button
              type="button"
              className="link"
              onClick={() => onChange(schedules.filter((_, j) => j !== i))}
              aria-label={`Delete schedule: ${describeSchedule(s)}`}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      {error ? (
        <div id={errorId} className="error" role="alert">
          {error}
        </div>
      ) : null}
      {adding ? (
        <div className="schedule-new" role="group" aria-label="New assignment schedule">
          <Field label="Assign">
            {(p) => (
              <select {...p} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
                {(Object.keys(KIND_LABELS) as Kind[]).map((k) => (
                  <option key={k} value={k}>
                    {KIND_LABELS[k]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {kind !== 'asap' && kind !== 'logon' && kind !== 'logoff' ? (
            <Field label={kind === 'at' ? 'Date and time' : 'Effective from'} error={formError}>
              {(p) => <input {...p} type="datetime-local" value={time} onChange={(e) => setTime(e.target.value)} />}
            </Field>
          ) : formError ? (
            <p className="error" role="alert">
              {formError}
            </p>
          ) : null}
          {kind === 'weekly' || kind === 'monthly' || kind === 'interval' ? (
            <Field label={kind === 'weekly' ? 'Recur every (weeks)' : kind === 'monthly' ? 'Recur every (months)' : 'Recur every'}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={1}
                  max={kind === 'weekly' ? 4 : kind === 'monthly' ? 12 : undefined}
                  value={every}
                  onChange={(e) => setEvery(Number(e.target.value))}
                />
              )}
            </Field>
          ) : null}
          {kind === 'weekly' ? (
            <Field label="On">
              {(p) => (
                <select {...p} value={day} onChange={(e) => setDay(e.target.value as Day)}>
                  {DAYS.map((d) => (
                    <option key={d} value={d}>
                      {d[0]!.toUpperCase() + d.slice(1)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
          {kind === 'monthly' ? (
            <Field label="Day of the month">
              {(p) => (
                <select {...p} value={dayOfMonth} onChange={(e) => setDayOfMonth(e.target.value)}>
                  {Array.from({ length: 31 }, (_, i) => String(i + 1)).map((d) => (
                    <option key={d} value={d}>
                      {d}
                    </option>
                  ))}
                  <option value="last">Last day of the month</option>
                </select>
              )}
            </Field>
          ) : null}
          {kind === 'interval' ? (
            <Field label="Unit">
              {(p) => (
                <select {...p} value={unit} onChange={(e) => setUnit(e.target.value as typeof unit)}>
                  <option value="minutes">Minutes</option>
                  <option value="hours">Hours</option>
                  <option value="days">Days</option>
                </select>
              )}
            </Field>
          ) : null}
          <div className="buttons">
            <button type="button" className="primary" onClick={add}>
              Add schedule
            </button>
            <button
              type="button"
              onClick={() => {
                setAdding(false);
                setFormError(undefined);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div className="buttons">
          <button type="button" onClick={() => setAdding(true)}>
            New…
          </button>
        </div>
      )}
    </fieldset>
  );
}
