/**
 * The pages of the Create Task Sequence Wizard ("Install an existing image package", osd-features
 * §1.2), each with its fields as ConfigMgr's console labels them. Values live with the wizard
 * (Previous keeps them); each field shows its page's rule when the page was refused (`err`).
 */
import { useState, type ReactNode } from 'react';
import { CheckboxField, Field } from '../../../../components/Field';
import { Dialog } from '../../../../components/Dialog';
import { formatBytes } from '../../../../components/format';
import { OU_EXAMPLE, type WizardState } from './model';
import { builtInPackage, type WizardSite } from './site-content';

export interface PageContext {
  s: WizardState;
  set: <K extends keyof WizardState>(key: K, value: WizardState[K]) => void;
  site: WizardSite;
  /** The error to show at a field (when the page was refused), or undefined. */
  err: (field: keyof WizardState) => string | undefined;
  /** A warning at a field (shown at once; it does not block Next). */
  warn: (field: keyof WizardState) => string | undefined;
}

function Radio({
  name,
  value,
  checked,
  onChange,
  disabled,
  children,
}: {
  name: string;
  value: string;
  checked: boolean;
  onChange: () => void;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <label className="radio">
      <input type="radio" name={name} value={value} checked={checked} onChange={onChange} disabled={disabled} /> {children}
    </label>
  );
}

// Page 1: Create a New Task Sequence.

const TYPES = [
  { id: 'install-image', label: 'Install an existing image package' },
  { id: 'build-capture', label: 'Build and capture a reference operating system image' },
  { id: 'upgrade', label: 'Upgrade an operating system from an upgrade package' },
  { id: 'autopilot', label: 'Deploy Windows Autopilot for existing devices' },
  { id: 'custom', label: 'Create a new custom task sequence' },
];

export function TypePage() {
  return (
    <fieldset>
      <legend>Select a new task sequence to be created</legend>
      {TYPES.map((t, i) => (
        <Radio key={t.id} name="ts-type" value={t.id} checked={i === 0} onChange={() => {}} disabled={i > 0}>
          {t.label}
        </Radio>
      ))}
      <p className="hint">
        This console creates task sequences that install an existing image package. Import a task sequence to bring in any other kind, and edit it afterwards.
      </p>
    </fieldset>
  );
}

// Page 2: Task Sequence Information.

export function InfoPage({ s, set, site, err }: PageContext) {
  return (
    <>
      <Field label="Task sequence name" required error={err('name')}>
        {(p) => <input {...p} type="text" value={s.name} onChange={(e) => set('name', e.target.value)} autoComplete="off" />}
      </Field>
      <Field label="Description" error={err('description')}>
        {(p) => <textarea {...p} rows={3} value={s.description} onChange={(e) => set('description', e.target.value)} />}
      </Field>
      <Field
        label="Boot image"
        required
        error={err('bootImageId')}
        hint={site.bootImages.length === 0 ? 'The site has no boot images. Add a boot image in Software Library › Boot Images first.' : undefined}
      >
        {(p) => (
          <select {...p} value={s.bootImageId} onChange={(e) => set('bootImageId', e.target.value)}>
            <option value="">(Select a boot image)</option>
            {site.bootImages.map((b) => (
              <option key={b.packageId} value={b.packageId}>
                {b.name} ({b.properties.architecture}) — {b.packageId}
              </option>
            ))}
          </select>
        )}
      </Field>
      <CheckboxField
        label="Run as high performance power plan"
        checked={s.highPerformancePowerPlan}
        onChange={(v) => set('highPerformancePowerPlan', v)}
        hint="The power plan is set to High Performance while the task sequence runs and restored at its end."
      />
    </>
  );
}

// Page 3: Install Windows.

export function WindowsPage({ s, set, site, err }: PageContext) {
  const pkg = site.osImages.find((p) => p.packageId === s.imagePackageId);
  const choosePackage = (id: string) => {
    set('imagePackageId', id);
    // The first image of the package is preselected (§1.2).
    const first = site.osImages.find((p) => p.packageId === id)?.properties.images[0];
    set('imageIndex', first?.index ?? 1);
  };
  return (
    <>
      <Field
        label="Image package"
        required
        error={err('imagePackageId')}
        hint={site.osImages.length === 0 ? 'The site has no operating system images. Add one in Software Library › Operating System Images first.' : undefined}
      >
        {(p) => (
          <select {...p} value={s.imagePackageId} onChange={(e) => choosePackage(e.target.value)}>
            <option value="">(Select an image package)</option>
            {site.osImages.map((o) => (
              <option key={o.packageId} value={o.packageId}>
                {o.name} — {o.packageId}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Image index" error={err('imageIndex')}>
        {(p) => (
          <select {...p} value={pkg ? String(s.imageIndex) : ''} disabled={!pkg} onChange={(e) => set('imageIndex', Number(e.target.value))}>
            {pkg ? (
              pkg.properties.images.map((i) => (
                <option key={i.index} value={String(i.index)}>
                  {i.index} - {i.name}
                  {i.architecture ? ` (${i.architecture}, ${formatBytes(i.sizeBytes)})` : ''}
                </option>
              ))
            ) : (
              <option value="">(Select an image package first)</option>
            )}
          </select>
        )}
      </Field>
      <CheckboxField
        label="Partition and format the target computer before installing the operating system"
        checked={s.partitionAndFormat}
        onChange={(v) => set('partitionAndFormat', v)}
      />
      <CheckboxField label="Configure task sequence for use with BitLocker" checked={s.configureBitLocker} onChange={(v) => set('configureBitLocker', v)} />
      <Field label="Product key" error={err('productKey')} hint="Optional. A product key (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX) or an encoded volume license key.">
        {(p) => <input {...p} type="text" value={s.productKey} onChange={(e) => set('productKey', e.target.value)} autoComplete="off" spellCheck={false} />}
      </Field>
      <fieldset>
        <legend>Local administrator account</legend>
        <Radio name="admin" value="randomAndDisabled" checked={s.adminMode === 'randomAndDisabled'} onChange={() => set('adminMode', 'randomAndDisabled')}>
          Randomly generate the local administrator password and disable the account on all supported platforms (recommended)
        </Radio>
        <Radio name="admin" value="enabled" checked={s.adminMode === 'enabled'} onChange={() => set('adminMode', 'enabled')}>
          Enable the account and specify the local administrator password
        </Radio>
        {s.adminMode === 'enabled' ? (
          <div className="indent">
            <Field label="Password" required error={err('adminPassword')}>
              {(p) => (
                <input {...p} type="password" value={s.adminPassword} onChange={(e) => set('adminPassword', e.target.value)} autoComplete="new-password" />
              )}
            </Field>
            <Field label="Confirm password" required error={err('adminConfirm')}>
              {(p) => <input {...p} type="password" value={s.adminConfirm} onChange={(e) => set('adminConfirm', e.target.value)} autoComplete="new-password" />}
            </Field>
          </div>
        ) : null}
      </fieldset>
    </>
  );
}

// Page 4: Configure Network.

export function NetworkPage({ s, set, err, warn }: PageContext) {
  return (
    <fieldset>
      <legend>Specify the network settings for this computer</legend>
      <Radio name="join" value="workgroup" checked={s.join === 'workgroup'} onChange={() => set('join', 'workgroup')}>
        Join a workgroup
      </Radio>
      {s.join === 'workgroup' ? (
        <div className="indent">
          <Field label="Workgroup" required error={err('workgroup')}>
            {(p) => <input {...p} type="text" value={s.workgroup} onChange={(e) => set('workgroup', e.target.value)} autoComplete="off" />}
          </Field>
        </div>
      ) : null}
      <Radio name="join" value="domain" checked={s.join === 'domain'} onChange={() => set('join', 'domain')}>
        Join a domain
      </Radio>
      {s.join === 'domain' ? (
        <div className="indent">
          <Field label="Domain" required error={err('domain')}>
            {(p) => <input {...p} type="text" value={s.domain} onChange={(e) => set('domain', e.target.value)} autoComplete="off" spellCheck={false} />}
          </Field>
          <Field label="Domain OU" error={err('domainOU')} hint={warn('domainOU') ?? `Optional. The full path, e.g. ${OU_EXAMPLE}`}>
            {(p) => <input {...p} type="text" value={s.domainOU} onChange={(e) => set('domainOU', e.target.value)} autoComplete="off" spellCheck={false} />}
          </Field>
          <fieldset>
            <legend>Account</legend>
            <Field label="User name" required error={err('account')} hint="DOMAIN\user name, or a task sequence variable such as %JoinAccount%">
              {(p) => <input {...p} type="text" value={s.account} onChange={(e) => set('account', e.target.value)} autoComplete="off" spellCheck={false} />}
            </Field>
            <Field label="Password" required error={err('accountPassword')}>
              {(p) => (
                <input {...p} type="password" value={s.accountPassword} onChange={(e) => set('accountPassword', e.target.value)} autoComplete="new-password" />
              )}
            </Field>
            <Field label="Confirm password" required error={err('accountConfirm')}>
              {(p) => (
                <input {...p} type="password" value={s.accountConfirm} onChange={(e) => set('accountConfirm', e.target.value)} autoComplete="new-password" />
              )}
            </Field>
          </fieldset>
        </div>
      ) : null}
    </fieldset>
  );
}

// Page 5: Install Configuration Manager.

export function ConfigMgrPage({ s, set, site, err }: PageContext) {
  const builtIn = builtInPackage(site.clientPackages, 'client');
  const options = site.clientPackages.filter((p) => p.properties.builtIn !== 'usmt');
  return (
    <>
      <Field
        label="Package"
        required
        error={err('clientPackageId')}
        hint={builtIn ? undefined : 'The site has no Configuration Manager Client Package. Select the package that holds the client.'}
      >
        {(p) => (
          <select {...p} value={s.clientPackageId} onChange={(e) => set('clientPackageId', e.target.value)}>
            <option value="">(Select a package)</option>
            {options.map((o) => (
              <option key={o.packageId} value={o.packageId}>
                {o.name} — {o.packageId}
              </option>
            ))}
          </select>
        )}
      </Field>
      <CheckboxField
        label="Use pre-production client package when available"
        checked={s.usePreProductionClient}
        onChange={(v) => set('usePreProductionClient', v)}
      />
      {s.usePreProductionClient ? (
        <div className="indent">
          <Field label="Pre-production client package" required error={err('preProductionClientPackageId')}>
            {(p) => (
              <select {...p} value={s.preProductionClientPackageId} onChange={(e) => set('preProductionClientPackageId', e.target.value)}>
                <option value="">(Select a package)</option>
                {options.map((o) => (
                  <option key={o.packageId} value={o.packageId}>
                    {o.name} — {o.packageId}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      ) : null}
      <Field
        label="Installation properties"
        error={err('installationProperties')}
        hint='Optional. Client installation properties separated by spaces; put a value with spaces in quotation marks, e.g. SMSCACHESIZE=10240 FSP="fsp01".'
      >
        {(p) => (
          <input
            {...p}
            type="text"
            value={s.installationProperties}
            onChange={(e) => set('installationProperties', e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </Field>
    </>
  );
}

// Page 6: State Migration.

export function StatePage({ s, set, site, err }: PageContext) {
  const options = site.usmtPackages.filter((p) => p.properties.builtIn !== 'client');
  return (
    <>
      <CheckboxField label="Capture user settings and files" checked={s.captureUserSettings} onChange={(v) => set('captureUserSettings', v)} />
      {s.captureUserSettings ? (
        <div className="indent">
          <Field label="User State Migration Tool package" required error={err('usmtPackageId')}>
            {(p) => (
              <select {...p} value={s.usmtPackageId} onChange={(e) => set('usmtPackageId', e.target.value)}>
                <option value="">(Select a package)</option>
                {options.map((o) => (
                  <option key={o.packageId} value={o.packageId}>
                    {o.name} — {o.packageId}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <fieldset>
            <legend>Where to save user settings and files</legend>
            <Radio
              name="save-to"
              value="stateMigrationPoint"
              checked={s.saveTo === 'stateMigrationPoint'}
              onChange={() => set('saveTo', 'stateMigrationPoint')}
            >
              Save user settings and files on the state migration point
            </Radio>
            <Radio name="save-to" value="local" checked={s.saveTo === 'local'} onChange={() => set('saveTo', 'local')}>
              Save user settings and files locally
            </Radio>
            <div className="indent">
              <CheckboxField
                label="Capture locally by using links instead of by copying files"
                checked={s.saveTo === 'local' && s.useHardLinks}
                disabled={s.saveTo !== 'local'}
                onChange={(v) => set('useHardLinks', v)}
              />
            </div>
          </fieldset>
        </div>
      ) : null}
      <CheckboxField label="Capture network settings" checked={s.captureNetworkSettings} onChange={(v) => set('captureNetworkSettings', v)} />
      <CheckboxField label="Capture Microsoft Windows settings" checked={s.captureWindowsSettings} onChange={(v) => set('captureWindowsSettings', v)} />
    </>
  );
}

// Page 7: Include Updates.

export const UPDATE_CHOICES = [
  { id: 'mandatory', label: 'Required for installation – Mandatory software updates only' },
  { id: 'all', label: 'Available for installation – All software updates' },
  { id: 'none', label: 'Do not install any software updates' },
] as const;

export function UpdatesPage({ s, set, site }: PageContext) {
  return (
    <fieldset>
      <legend>Specify which software updates to install</legend>
      {UPDATE_CHOICES.map((c) => (
        <Radio key={c.id} name="updates" value={c.id} checked={s.updates === c.id} onChange={() => set('updates', c.id)}>
          {c.label}
        </Radio>
      ))}
      <p className="hint">
        Only software updates deployed to a collection the computer belongs to are installed. The site has {site.updateCount} software update
        {site.updateCount === 1 ? '' : 's'}.
      </p>
    </fieldset>
  );
}

// Page 8: Install Applications.

export function AppsPage({ s, set, site, err }: PageContext) {
  const [selected, setSelected] = useState<string>('');
  const [adding, setAdding] = useState(false);
  const byModel = new Map(site.applications.map((a) => [a.modelName, a]));
  const at = s.applications.indexOf(selected);
  const move = (by: number) => {
    const list = [...s.applications];
    const [item] = list.splice(at, 1);
    list.splice(at + by, 0, item!);
    set('applications', list);
  };
  const remove = () => {
    const list = s.applications.filter((m) => m !== selected);
    set('applications', list);
    setSelected(list[Math.min(at, list.length - 1)] ?? '');
  };
  return (
    <>
      <Field
        label="Applications to install, in order"
        error={err('applications')}
        hint={s.applications.length === 0 ? 'No applications: the task sequence installs none.' : undefined}
      >
        {(p) => (
          <select
            {...p}
            size={Math.max(4, Math.min(10, s.applications.length + 1))}
            value={selected}
            onChange={(e) => setSelected(e.target.value)}
            className="wide"
          >
            {s.applications.map((m) => (
              <option key={m} value={m}>
                {byModel.get(m)?.name ?? m}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="buttons start" role="group" aria-label="Application list commands">
        <button type="button" onClick={() => setAdding(true)}>
          Add…
        </button>
        <button type="button" onClick={remove} disabled={at < 0}>
          Remove
        </button>
        <button type="button" onClick={() => move(-1)} disabled={at <= 0}>
          Move Up
        </button>
        <button type="button" onClick={() => move(1)} disabled={at < 0 || at >= s.applications.length - 1}>
          Move Down
        </button>
      </div>
      <CheckboxField
        label="If an application installation fails, continue installing other applications in the list"
        checked={s.applications.length > 0 && s.continueOnFailure}
        disabled={s.applications.length === 0}
        onChange={(v) => set('continueOnFailure', v)}
      />
      <AddApplicationsDialog
        open={adding}
        site={site}
        listed={s.applications}
        onClose={() => setAdding(false)}
        onAdd={(models) => {
          set('applications', [...s.applications, ...models]);
          if (models[0]) setSelected(models[0]);
          setAdding(false);
        }}
      />
    </>
  );
}

/**
 * The Select the applications to install dialog: only applications a task sequence can install are
 * offered (§1.2: "Allow this application to be installed from the Install Application task sequence
 * action without being deployed"), without those already in the list.
 */
function AddApplicationsDialog({
  open,
  site,
  listed,
  onClose,
  onAdd,
}: {
  open: boolean;
  site: WizardSite;
  listed: string[];
  onClose: () => void;
  onAdd: (models: string[]) => void;
}) {
  const [chosen, setChosen] = useState<string[]>([]);
  const eligible = site.applications.filter((a) => a.allowTaskSequenceInstall && !listed.includes(a.modelName));
  const hidden = site.applications.filter((a) => !a.allowTaskSequenceInstall).length;
  const close = () => {
    setChosen([]);
    onClose();
  };
  return (
    <Dialog
      title="Select the applications to install"
      open={open}
      onClose={close}
      footer={
        <>
          <button
            type="button"
            className="primary"
            disabled={chosen.length === 0}
            onClick={() => {
              onAdd(eligible.filter((a) => chosen.includes(a.modelName)).map((a) => a.modelName));
              setChosen([]);
            }}
          >
            OK
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
        </>
      }
    >
      {eligible.length === 0 ? <p>There are no more applications that a task sequence can install.</p> : null}
      {eligible.map((a) => (
        <CheckboxField
          key={a.modelName}
          label={`${a.name}${a.softwareVersion ? ` ${a.softwareVersion}` : ''}${a.publisher ? ` (${a.publisher})` : ''}`}
          checked={chosen.includes(a.modelName)}
          onChange={(v) => setChosen((c) => (v ? [...c, a.modelName] : c.filter((m) => m !== a.modelName)))}
        />
      ))}
      {hidden ? (
        <p className="hint">
          {hidden} application{hidden === 1 ? ' is' : 's are'} not shown: a task sequence can install an application only when its properties allow it to be
          installed from the Install Application task sequence action without being deployed.
        </p>
      ) : null}
    </Dialog>
  );
}
