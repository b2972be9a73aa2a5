/**
 * Import Computer Information Wizard (osd-features §3.2): Source (one computer, or computers from a
 * CSV file), Single Computer (Computer name, MAC address, SMBIOS GUID, Source computer for a
 * computer association) or Choose Mapping (the file, its columns assigned to the computers'
 * fields), Choose Target Collection, Summary, Progress, Completion. The site checks every row
 * before it imports any (all or nothing); its problems come back with their row numbers and are
 * listed at the file, and Previous goes back there.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { CheckboxField, Field } from '../../../components/Field';
import { formatBytes } from '../../../components/format';
import { WizardFrame } from '../../../components/WizardFrame';
import type { Collection, CsvImportResult, ImportedComputer, ImportProblem, UserAccounts } from '../common/types';
import { USER_ACCOUNT_NAMES } from '../common/types';

export type ImportResult = { kind: 'single'; result: ImportedComputer } | { kind: 'csv'; result: CsvImportResult };

type Source = 'single' | 'csv';
type SingleField = 'name' | 'mac' | 'smbiosGuid' | 'sourceComputer' | 'accounts';
type MapField = 'name' | 'mac' | 'smbiosGuid' | 'sourceComputer';

const MAX_CSV_BYTES = 4 * 1024 * 1024;
const MAP_LABELS: Record<MapField, string> = { name: 'Computer name', mac: 'MAC address', smbiosGuid: 'SMBIOS GUID', sourceComputer: 'Source computer' };
const HEADINGS: Record<MapField, string[]> = {
  name: ['name', 'computer', 'computername', 'netbiosname', 'hostname'],
  mac: ['mac', 'macaddress', 'macaddresses'],
  smbiosGuid: ['smbiosguid', 'guid', 'smbios', 'uuid'],
  sourceComputer: ['sourcecomputer', 'source'],
};
const MAC = /^(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{12}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})$/i;
const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/** The header row's cells (enough of RFC 4180 for the first line). */
function headerOf(text: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell.trim());
      cell = '';
    } else if (c === '\n' || c === '\r') break;
    else cell += c;
  }
  cells.push(cell.trim());
  return cells.filter((c, i) => c !== '' || i < cells.length - 1);
}

function problemsOf(e: unknown): ImportProblem[] {
  if (!(e instanceof ApiError)) return [];
  const p = e.body?.problems;
  return Array.isArray(p) ? (p as ImportProblem[]) : [];
}

/** Where a problem of the site belongs: a single computer's field, or the file. */
function singleFieldOf(input: string | undefined): SingleField | undefined {
  if (!input) return undefined;
  const f = input.replace(/^body\./, '');
  if (f === 'name') return 'name';
  if (f === 'mac' || f.startsWith('macAddresses')) return 'mac';
  if (f === 'smbiosGuid') return 'smbiosGuid';
  if (/^(?:sourceComputer: )?(?:accounts|userAccounts)/.test(f)) return 'accounts';
  if (f.startsWith('sourceComputer')) return 'sourceComputer';
  return undefined;
}

export function ImportComputerDialog({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: (r: ImportResult) => void }) {
  const [generation, setGeneration] = useState(0);
  const [source, setSource] = useState<Source>('single');
  const [name, setName] = useState('');
  const [mac, setMac] = useState('');
  const [guid, setGuid] = useState('');
  const [sourceComputer, setSourceComputer] = useState('');
  const [userAccounts, setUserAccounts] = useState<UserAccounts>('capture-restore-specified');
  const [accounts, setAccounts] = useState('');
  const [file, setFile] = useState<{ name: string; size: number; text: string } | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [mapping, setMapping] = useState<Partial<Record<MapField, string>>>({});
  const [target, setTarget] = useState<'all' | 'chosen'>('all');
  const [collectionId, setCollectionId] = useState('');
  const [collections, setCollections] = useState<Collection[]>([]);
  const [overwrite, setOverwrite] = useState(false);
  const [siteErrors, setSiteErrors] = useState<Partial<Record<SingleField | 'file' | 'collection', string>>>({});
  const [rowProblems, setRowProblems] = useState<ImportProblem[]>([]);

  useEffect(() => {
    if (!open) {
      setSource('single');
      setName('');
      setMac('');
      setGuid('');
      setSourceComputer('');
      setAccounts('');
      setFile(null);
      setFileError(undefined);
      setMapping({});
      setTarget('all');
      setCollectionId('');
      setOverwrite(false);
      setSiteErrors({});
      setRowProblems([]);
      setGeneration((g) => g + 1);
    } else {
      api
        .get<Collection[]>('/collections')
        .then((c) => setCollections(c.filter((x) => !x.builtIn)))
        .catch(() => setCollections([]));
    }
  }, [open]);

  const header = useMemo(() => (file ? headerOf(file.text) : []), [file]);
  const rowCount = useMemo(() => (file ? file.text.split(/\r?\n/).filter((l) => l.trim()).length - 1 : 0), [file]);

  const chooseFile = async (f: File | undefined) => {
    setRowProblems([]);
    setSiteErrors((s) => ({ ...s, file: undefined }));
    if (!f) {
      setFile(null);
      return;
    }
    if (f.size > MAX_CSV_BYTES) {
      setFile(null);
      setFileError(`${f.name} is ${formatBytes(f.size)}; a file of computers is at most 4 MB (10,000 computers).`);
      return;
    }
    const text = await f.text();
    setFileError(undefined);
    setFile({ name: f.name, size: f.size, text });
    const cells = headerOf(text);
    const norm = (s: string) => s.replace(/\s+/g, '').toLowerCase();
    const guess: Partial<Record<MapField, string>> = {};
    for (const k of Object.keys(HEADINGS) as MapField[]) {
      const c = cells.find((h) => HEADINGS[k].includes(norm(h)));
      if (c) guess[k] = c;
    }
    setMapping(guess);
  };

  // The wizard's own checks (the site checks again and has the last word).
  const singleErrors: Partial<Record<SingleField, string>> = {};
  const n = name.trim();
  if (!n) singleErrors.name = 'Enter the computer name.';
  else if (n.length > 15) singleErrors.name = 'A computer name (NetBIOS) has at most 15 characters.';
  if (!mac.trim() && !guid.trim()) singleErrors.mac = 'Enter a MAC address or an SMBIOS GUID (or both).';
  else if (mac.trim() && !MAC.test(mac.trim())) singleErrors.mac = 'Enter the MAC address as six pairs of hexadecimal digits, e.g. 00:15:5D:01:02:03.';
  if (guid.trim() && !GUID.test(guid.trim())) singleErrors.smbiosGuid = 'Enter the SMBIOS GUID as 8-4-4-4-12 hexadecimal digits.';
  const accountList = accounts
    .split(/[\n,;]/)
    .map((a) => a.trim())
    .filter(Boolean);
  if (sourceComputer.trim() && userAccounts !== 'capture-restore-all' && !accountList.length)
    singleErrors.accounts = 'Name the user accounts to restore (DOMAIN\\user), or choose to capture and restore all user accounts.';
  const singleValid = Object.keys(singleErrors).length === 0;

  const csvLocal = !file
    ? (fileError ?? 'Choose the file of computers to import (.csv).')
    : !mapping.name
      ? 'Choose the column that holds the computer name.'
      : !mapping.mac && !mapping.smbiosGuid
        ? 'Choose the column of the MAC address or the SMBIOS GUID.'
        : undefined;
  const targetValid = target === 'all' || !!collectionId;

  const run = async (report: (p: { value?: number; detail?: string }) => void): Promise<ImportResult> => {
    setSiteErrors({});
    setRowProblems([]);
    const options = {
      ...(target === 'chosen' ? { collectionId } : {}),
      ...(overwrite ? { overwriteExisting: true } : {}),
    };
    try {
      if (source === 'single') {
        report({ value: 0.2, detail: `Importing ${n}` });
        const result = await api.post<ImportedComputer>('/devices', {
          name: n,
          ...(mac.trim() ? { mac: mac.trim() } : {}),
          ...(guid.trim() ? { smbiosGuid: guid.trim().replace(/^\{|\}$/g, '') } : {}),
          ...(sourceComputer.trim()
            ? { sourceComputer: sourceComputer.trim(), userAccounts, ...(userAccounts !== 'capture-restore-all' ? { accounts: accountList } : {}) }
            : {}),
          ...options,
        });
        report({ value: 1, detail: 'Imported' });
        return { kind: 'single', result };
      }
      report({ value: 0.2, detail: `Checking and importing ${rowCount.toLocaleString()} computers from ${file!.name}` });
      const cleaned: Record<string, string> = {};
      for (const [k, v] of Object.entries(mapping)) if (v) cleaned[k] = v;
      const result = await api.post<CsvImportResult>('/devices/import-csv', { csv: file!.text, mapping: cleaned, ...options });
      report({ value: 1, detail: `Imported ${result.imported.toLocaleString()} computers` });
      return { kind: 'csv', result };
    } catch (e) {
      if (e instanceof ApiError) {
        const problems = problemsOf(e);
        if (source === 'single') {
          const next: Partial<Record<SingleField | 'collection', string>> = {};
          for (const p of problems.length ? problems : [{ input: e.input ?? '', rule: e.readable }]) {
            const f = singleFieldOf(p.input);
            if (f && !next[f]) next[f] = p.rule;
          }
          if (e.field === 'collectionId') next.collection = e.readable;
          setSiteErrors(next);
        } else if (e.field === 'collectionId') setSiteErrors({ collection: e.readable });
        else {
          setRowProblems(problems);
          const rows = new Set(problems.map((p) => p.row)).size;
          setSiteErrors({
            file: problems.length
              ? `${rows === 1 ? 'One row' : `${rows} rows`} of the file ${rows === 1 ? 'has' : 'have'} problems; nothing was imported.`
              : e.readable,
          });
        }
      }
      throw e;
    }
  };

  const pageOfError = (e: unknown): string | undefined => {
    if (!(e instanceof ApiError)) return undefined;
    if (e.field === 'collectionId') return 'collection';
    if (source === 'csv') return 'file';
    const problems = problemsOf(e);
    const input = problems[0]?.input ?? e.input;
    return singleFieldOf(input) ? 'single' : undefined;
  };

  const single = (showErrors: boolean) => {
    const err = (f: SingleField) => siteErrors[f] ?? (showErrors ? singleErrors[f] : undefined);
    return (
      <>
        <Field label="Computer name" required error={err('name')} hint="The NetBIOS name, at most 15 characters.">
          {(p) => (
            <input
              {...p}
              type="text"
              value={name}
              maxLength={64}
              onChange={(e) => (setName(e.target.value), setSiteErrors((s) => ({ ...s, name: undefined })))}
            />
          )}
        </Field>
        <div className="inline-fields">
          <Field label="MAC address" error={err('mac')} hint="e.g. 00:15:5D:01:02:03 (also 00-15-5D-…, 00155D…)">
            {(p) => (
              <input
                {...p}
                type="text"
                value={mac}
                maxLength={64}
                onChange={(e) => (setMac(e.target.value), setSiteErrors((s) => ({ ...s, mac: undefined })))}
              />
            )}
          </Field>
          <Field label="SMBIOS GUID" error={err('smbiosGuid')} hint="8-4-4-4-12 hexadecimal digits">
            {(p) => (
              <input
                {...p}
                type="text"
                value={guid}
                maxLength={64}
                onChange={(e) => (setGuid(e.target.value), setSiteErrors((s) => ({ ...s, smbiosGuid: undefined })))}
              />
            )}
          </Field>
        </div>
        <Field label="Source computer" error={err('sourceComputer')} hint="Optional: the computer whose user state this one receives (a computer association).">
          {(p) => (
            <input
              {...p}
              type="text"
              value={sourceComputer}
              maxLength={64}
              onChange={(e) => (setSourceComputer(e.target.value), setSiteErrors((s) => ({ ...s, sourceComputer: undefined })))}
            />
          )}
        </Field>
        {sourceComputer.trim() ? (
          <Field label="User accounts">
            {(p) => (
              <select {...p} value={userAccounts} onChange={(e) => setUserAccounts(e.target.value as UserAccounts)}>
                {(Object.keys(USER_ACCOUNT_NAMES) as UserAccounts[]).map((k) => (
                  <option key={k} value={k}>
                    {USER_ACCOUNT_NAMES[k]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {sourceComputer.trim() && userAccounts !== 'capture-restore-all' ? (
          <Field label="Accounts to restore" required error={err('accounts')} hint="DOMAIN\user, one per line (or separated by commas).">
            {(p) => (
              <textarea
                {...p}
                rows={2}
                value={accounts}
                onChange={(e) => (setAccounts(e.target.value), setSiteErrors((s) => ({ ...s, accounts: undefined })))}
              />
            )}
          </Field>
        ) : null}
      </>
    );
  };

  const csvPage = (showErrors: boolean) => (
    <>
      <Field
        label="File of computers"
        required
        error={siteErrors.file ?? (showErrors || fileError ? (!file ? (fileError ?? csvLocal) : undefined) : undefined)}
        hint="A CSV file: a header row naming the columns, then one computer per row."
      >
        {(p) => <input {...p} type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void chooseFile(e.target.files?.[0])} />}
      </Field>
      {rowProblems.length ? (
        <div role="group" aria-label="Problems in the file">
          <p>Correct these rows and import the file again:</p>
          <ul className="import-problems">
            {rowProblems.map((p, i) => (
              <li key={i}>
                {p.row !== undefined ? `Row ${p.row}` : p.input}
                {p.row !== undefined ? ` (${p.input.replace(/^body\.csv row \d+ ?/, '') || 'the row'})` : ''}: {p.rule}
                {p.hint ? ` — ${p.hint}` : ''}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {file ? (
        <>
          <p>
            {file.name} ({formatBytes(file.size)}): {rowCount.toLocaleString()} computer{rowCount === 1 ? '' : 's'}, columns {header.join(', ')}.
          </p>
          <div className="inline-fields">
            {(Object.keys(MAP_LABELS) as MapField[]).map((k) => (
              <Field
                key={k}
                label={`${MAP_LABELS[k]} column`}
                error={showErrors && k === 'name' && !mapping.name ? 'Choose the column of the computer name.' : undefined}
              >
                {(p) => (
                  <select {...p} value={mapping[k] ?? ''} onChange={(e) => setMapping((m) => ({ ...m, [k]: e.target.value || undefined }))}>
                    <option value="">(not in the file)</option>
                    {header.map((h) => (
                      <option key={h} value={h}>
                        {h}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            ))}
          </div>
          {showErrors && csvLocal ? (
            <p className="error" role="alert">
              {csvLocal}
            </p>
          ) : null}
        </>
      ) : null}
    </>
  );

  return (
    <Dialog title="Import Computer Information Wizard" open={open} onClose={onClose} wide>
      <WizardFrame<ImportResult>
        key={generation}
        title="Import Computer Information Wizard"
        runLabel="Importing computer information"
        pages={[
          {
            id: 'source',
            title: 'Source',
            valid: true,
            content: () => (
              <fieldset className="radio-group">
                <legend>Select source</legend>
                <label>
                  <input type="radio" name="import-source" checked={source === 'single'} onChange={() => setSource('single')} /> Import single computer
                </label>
                <label>
                  <input type="radio" name="import-source" checked={source === 'csv'} onChange={() => setSource('csv')} /> Import computers using a file
                </label>
              </fieldset>
            ),
          },
          { id: 'single', title: 'Single Computer', valid: singleValid, hidden: source !== 'single', content: ({ showErrors }) => single(showErrors) },
          { id: 'file', title: 'Choose Mapping', valid: !csvLocal, hidden: source !== 'csv', content: ({ showErrors }) => csvPage(showErrors) },
          {
            id: 'collection',
            title: 'Choose Target Collection',
            valid: targetValid,
            content: ({ showErrors }) => (
              <>
                <fieldset className="radio-group">
                  <legend>Add the computers to</legend>
                  <label>
                    <input type="radio" name="import-target" checked={target === 'all'} onChange={() => setTarget('all')} /> the All Systems collection only
                  </label>
                  <label>
                    <input type="radio" name="import-target" checked={target === 'chosen'} onChange={() => setTarget('chosen')} /> the following collection as
                    well
                  </label>
                </fieldset>
                {target === 'chosen' ? (
                  <Field label="Collection" required error={siteErrors.collection ?? (showErrors && !collectionId ? 'Choose the collection.' : undefined)}>
                    {(p) => (
                      <select {...p} value={collectionId} onChange={(e) => setCollectionId(e.target.value)}>
                        <option value="">(choose a collection)</option>
                        {collections.map((c) => (
                          <option key={c.collectionId} value={c.collectionId}>
                            {c.name} ({c.collectionId})
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                ) : null}
                <CheckboxField label="Overwrite existing computer records" checked={overwrite} onChange={setOverwrite} />
              </>
            ),
          },
        ]}
        summary={
          <dl>
            {source === 'single' ? (
              <>
                <dt>Computer name</dt>
                <dd>{n}</dd>
                <dt>MAC address</dt>
                <dd>{mac.trim() || '—'}</dd>
                <dt>SMBIOS GUID</dt>
                <dd>{guid.trim() || '—'}</dd>
                <dt>Source computer</dt>
                <dd>
                  {sourceComputer.trim()
                    ? `${sourceComputer.trim()} (${USER_ACCOUNT_NAMES[userAccounts]}${accountList.length ? `: ${accountList.join(', ')}` : ''})`
                    : '—'}
                </dd>
              </>
            ) : (
              <>
                <dt>File</dt>
                <dd>
                  {file?.name}: {rowCount.toLocaleString()} computers
                </dd>
                <dt>Columns</dt>
                <dd>
                  {(Object.keys(MAP_LABELS) as MapField[])
                    .filter((k) => mapping[k])
                    .map((k) => `${MAP_LABELS[k]}: ${mapping[k]}`)
                    .join('; ')}
                </dd>
              </>
            )}
            <dt>Collection</dt>
            <dd>{target === 'chosen' ? (collections.find((c) => c.collectionId === collectionId)?.name ?? collectionId) : 'All Systems only'}</dd>
            <dt>Existing records</dt>
            <dd>{overwrite ? 'overwritten' : 'kept (an existing computer is refused)'}</dd>
          </dl>
        }
        run={run}
        pageOfError={pageOfError}
        completion={(r) =>
          r.kind === 'single' ? (
            <p>
              {r.result.overwritten ? 'Overwrote' : 'Imported'} {r.result.device.name} (Resource ID {r.result.device.resourceId}).
              {r.result.association ? ` Computer association: ${r.result.association.sourceName} → ${r.result.association.destinationName}.` : ''}
            </p>
          ) : (
            <p>
              Imported {r.result.imported.toLocaleString()} computers; {r.result.overwritten.toLocaleString()} existing records overwritten.
            </p>
          )
        }
        onClose={(result) => (result ? onImported(result) : onClose())}
      />
    </Dialog>
  );
}
