/**
 * The Simulate panel: runs the site's simulator (the engine with every step predicted, nothing done)
 * on the sequence as it is in the editor — saved or not — against an example machine or a device
 * of the site, and hands each step's outcome and reason to the tree.
 */
import { useEffect, useState } from 'react';
import { api, messageOf } from '../../../../api/client';
import { Field } from '../../../../components/Field';
import { Notice } from '../../../../components/Notice';
import type { MachineProfile, Simulation } from './api-types';
import type { Json } from './model';

interface DeviceRow {
  resourceId: number;
  name: string;
}

export interface SimulatePanelProps {
  /** The sequence as edited (the JSON document), built when Simulate is pressed. */
  documentNow: () => Promise<Json>;
  onResult: (simulation: Simulation | null) => void;
  onClose: () => void;
}

export function SimulatePanel({ documentNow, onResult, onClose }: SimulatePanelProps) {
  const [profiles, setProfiles] = useState<MachineProfile[]>([]);
  const [source, setSource] = useState<'profile' | 'device'>('profile');
  const [profile, setProfile] = useState('');
  const [search, setSearch] = useState('');
  const [devices, setDevices] = useState<DeviceRow[]>([]);
  const [device, setDevice] = useState('');
  const [mediaType, setMediaType] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<Simulation | null>(null);

  useEffect(() => {
    api
      .get<MachineProfile[]>('/machine-profiles')
      .then((p) => {
        setProfiles(p);
        setProfile((cur) => cur || p[0]?.id || '');
      })
      .catch((e) => setError(messageOf(e)));
  }, []);

  useEffect(() => {
    if (source !== 'device') return;
    const ctl = new AbortController();
    const t = setTimeout(() => {
      api
        .get<{ devices: DeviceRow[] }>('/devices', { search, limit: 25 }, ctl.signal)
        .then((r) => {
          setDevices(r.devices);
          setDevice((cur) => (r.devices.some((d) => String(d.resourceId) === cur) ? cur : String(r.devices[0]?.resourceId ?? '')));
        })
        .catch((e) => {
          if ((e as Error).name !== 'AbortError') setError(messageOf(e));
        });
    }, 250);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [source, search]);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const sequence = await documentNow();
      const machine = source === 'profile' ? { profile } : { resourceId: Number(device) };
      const sim = await api.post<Simulation>('/task-sequences/simulate', { sequence, ...machine, ...(mediaType ? { mediaType } : {}) });
      setResult(sim);
      onResult(sim);
    } catch (e) {
      setError(messageOf(e));
      onResult(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="sim-panel" aria-labelledby="sim-title">
      <h2 id="sim-title">Simulate</h2>
      <fieldset className="sim-source">
        <legend>Run it on</legend>
        <label>
          <input type="radio" name="sim-source" checked={source === 'profile'} onChange={() => setSource('profile')} /> An example machine
        </label>
        <label>
          <input type="radio" name="sim-source" checked={source === 'device'} onChange={() => setSource('device')} /> A device
        </label>
      </fieldset>
      {source === 'profile' ? (
        <Field label="Example machine" hint={profiles.find((p) => p.id === profile)?.description}>
          {(p) => (
            <select {...p} value={profile} onChange={(e) => setProfile(e.target.value)}>
              {profiles.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.firmware.toUpperCase()}, {m.architecture}
                  {m.operatingSystem ? `, ${m.operatingSystem}` : ', bare metal'})
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : (
        <>
          <Field label="Find a device">{(p) => <input {...p} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />}</Field>
          <Field label="Device" error={devices.length === 0 ? 'no device matches' : undefined}>
            {(p) => (
              <select {...p} value={device} onChange={(e) => setDevice(e.target.value)}>
                {devices.map((d) => (
                  <option key={d.resourceId} value={d.resourceId}>
                    {d.name} ({d.resourceId})
                  </option>
                ))}
              </select>
            )}
          </Field>
        </>
      )}
      <Field label="Started from">
        {(p) => (
          <select {...p} value={mediaType} onChange={(e) => setMediaType(e.target.value)}>
            <option value="">As the machine would (PXE for bare metal, Software Center otherwise)</option>
            <option value="PXE">PXE</option>
            <option value="BootMedia">Boot media</option>
            <option value="FullMedia">Stand-alone media</option>
            <option value="OEMMedia">Prestaged media</option>
          </select>
        )}
      </Field>
      <div className="buttons">
        <button type="button" className="primary" onClick={() => void run()} disabled={busy || (source === 'profile' ? !profile : !device)}>
          {busy ? 'Simulating…' : 'Run Simulation'}
        </button>
        <button
          type="button"
          onClick={() => {
            onResult(null);
            onClose();
          }}
        >
          Close Simulation
        </button>
      </div>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {result ? (
        <div className="sim-summary" role="status">
          <p>
            <strong>
              {result.result === 'success'
                ? 'The task sequence would succeed'
                : `The task sequence would fail${result.failedAt ? ` at ${result.failedAt}` : ''}`}
            </strong>{' '}
            on {result.machine.name} ({result.machine.firmware.toUpperCase()}, {result.machine.architecture}), starting in {result.startedIn}.
          </p>
          <p>
            Steps: {result.counts.run} run, {result.counts.skipped} skipped, {result.counts.disabled} disabled, {result.counts.failed} failed,{' '}
            {result.counts['not-reached']} not reached.
            {result.restarts.length ? ` Restarts: ${result.restarts.length}.` : ''}
          </p>
          {result.message ? <p>{result.message}</p> : null}
          {result.machine.notes.length ? (
            <ul>
              {result.machine.notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
