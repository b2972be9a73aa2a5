/**
 * Software Library › Task Sequences › Create Task Sequence: the Create Task Sequence Wizard,
 * "Install an existing image package" (osd-features §1), at /software-library/task-sequences/new.
 * Page by page as ConfigMgr's console: Next is blocked until the page is valid (its errors shown at
 * their fields), Previous keeps what was typed, Summary lists every choice, Progress creates the task
 * sequence with the site's wizard (the same answers `osd ts new install-image` takes, so the same
 * task sequence), Completion shows it or the site's refusal — which Previous takes back to its field.
 * Keyboard: Enter is Next (outside buttons and text areas), Esc is Cancel (asks first).
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { api, ApiError, messageOf } from '../../../../api/client';
import { Link, navigate, useSearchParams, useTitle } from '../../../../app/router';
import { useCan, useSession } from '../../../../app/session';
import { ConfirmDialog } from '../../../../components/Dialog';
import { Notice } from '../../../../components/Notice';
import { Progress } from '../../../../components/Progress';
import { WizardFrame, type WizardPage } from '../../../../components/WizardFrame';
import { CONSOLE_COMPUTER_NAME, windowsTimeZone } from './console-values';
import { answersOf, canonicalOU, fieldOfPath, initialState, problemsOf, type ConsoleValues, type FieldErrors, type PageId, type WizardState } from './model';
import { builtInPackage, loadSiteContent, type WizardSite } from './site-content';
import './wizard.css';
import { AppsPage, ConfigMgrPage, InfoPage, NetworkPage, StatePage, TypePage, UPDATE_CHOICES, UpdatesPage, type PageContext, WindowsPage } from './WizardPages';

const TITLE = 'Create Task Sequence Wizard';

const PAGES: Array<{ id: PageId; title: string; Content: (c: PageContext) => ReactNode }> = [
  { id: 'type', title: 'Create a New Task Sequence', Content: () => <TypePage /> },
  { id: 'info', title: 'Task Sequence Information', Content: InfoPage },
  { id: 'windows', title: 'Install Windows', Content: WindowsPage },
  { id: 'network', title: 'Configure Network', Content: NetworkPage },
  { id: 'configmgr', title: 'Install Configuration Manager', Content: ConfigMgrPage },
  { id: 'state', title: 'State Migration', Content: StatePage },
  { id: 'updates', title: 'Include Updates', Content: UpdatesPage },
  { id: 'apps', title: 'Install Applications', Content: AppsPage },
];

/** POST /task-sequences/wizard/install-image answers this. */
interface WizardResult {
  taskSequence: { id: string; name: string };
  revision: { revision: number; stepCount: number };
  problems: Array<{ page: string; field: string; rule: string; severity: string }>;
}

interface SiteProblem {
  page: string;
  field: string;
  path: string;
  rule: string;
  severity: 'error' | 'warning';
}

/** The site's refusal as errors at the wizard's fields (its problems list, or the one input it names). */
function refusalErrors(e: unknown): FieldErrors & { page?: PageId } {
  if (!(e instanceof ApiError)) return {};
  const out: FieldErrors & { page?: PageId } = {};
  const problems = (e.body?.problems as SiteProblem[] | undefined) ?? [];
  const listed = problems.filter((p) => p.severity === 'error').map((p) => ({ path: p.path, rule: `${p.rule}` }));
  if (!listed.length && e.field) listed.push({ path: e.field, rule: e.readable });
  for (const p of listed) {
    const at = fieldOfPath(p.path);
    if (!at) continue;
    out.page ??= at.page;
    out[at.field] ??= `The site refused this: ${p.rule}`;
  }
  return out;
}

export function CreateTaskSequenceWizard({ base }: { base: string }) {
  useTitle(TITLE);
  const canWrite = useCan('task-sequence.write');
  const { signed } = useSession();
  const [site, setSite] = useState<WizardSite>();
  const [loadError, setLoadError] = useState<string>();
  const [s, setS] = useState<WizardState>(initialState);
  const [refused, setRefused] = useState<FieldErrors>({});
  const [confirmCancel, setConfirmCancel] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  // The folder selected in the Task Sequences node: the task sequence lands there (§1.3), and the wizard returns to it.
  const folder = useSearchParams().get('folder') ?? '';
  const back = folder ? `${base}?folder=${encodeURIComponent(folder)}` : base;

  useEffect(() => {
    const abort = new AbortController();
    loadSiteContent(abort.signal)
      .then((content) => {
        setSite(content);
        // The pickers' defaults: the built-in client and USMT packages (§1.2).
        setS((prev) => ({
          ...prev,
          clientPackageId: prev.clientPackageId || builtInPackage(content.clientPackages, 'client')?.packageId || '',
          usmtPackageId: prev.usmtPackageId || builtInPackage(content.usmtPackages, 'usmt')?.packageId || '',
        }));
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setLoadError(messageOf(e));
      });
    return () => abort.abort();
  }, []);

  const consoleValues: ConsoleValues = useMemo(
    () => ({ userName: signed?.actor || 'administrator', computerName: CONSOLE_COMPUTER_NAME, timeZone: windowsTimeZone(), inputLocale: 'en-US' }),
    [signed?.actor],
  );

  const set = <K extends keyof WizardState>(key: K, value: WizardState[K]) => {
    setS((prev) => ({ ...prev, [key]: value }));
    // A value changed: the site's refusal of the old one no longer applies.
    setRefused((r) => {
      if (!(key in r)) return r;
      const next = { ...r };
      delete next[key];
      return next;
    });
  };

  const problems = useMemo(
    () => Object.fromEntries(PAGES.map((p) => [p.id, problemsOf(p.id, s, site)])) as Record<PageId, ReturnType<typeof problemsOf>>,
    [s, site],
  );

  const stageTitle = () => root.current?.querySelector('.wizard-page h2')?.textContent ?? '';
  const close = (result?: WizardResult) => {
    if (result) return navigate(back);
    // Cancel asks first (what was typed would be lost); Close after a refusal does not.
    if (stageTitle() === 'Completion') return navigate(back);
    setConfirmCancel(true);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    if (confirmCancel || target.closest('dialog') || e.defaultPrevented) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      if (stageTitle() === 'Progress') return;
      close();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      if (['BUTTON', 'TEXTAREA', 'A'].includes(target.tagName)) return;
      const next = [...(root.current?.querySelectorAll<HTMLButtonElement>('.wizard-buttons button') ?? [])].find((b) => b.textContent?.trim() === 'Next >');
      if (!next || next.disabled) return;
      e.preventDefault();
      next.click();
    }
  };

  if (!canWrite) {
    return (
      <section className="page" aria-labelledby="page-title">
        <h1 id="page-title">{TITLE}</h1>
        <Notice kind="warning">Your security role can't create task sequences.</Notice>
        <Link to={back}>Back to Task Sequences</Link>
      </section>
    );
  }

  const wizardPages: WizardPage[] = PAGES.map(({ id, title, Content }) => {
    const errors = { ...problems[id].errors, ...Object.fromEntries(Object.entries(refused).filter(([f]) => pageOfField(f as keyof WizardState) === id)) };
    return {
      id,
      title,
      valid: !!site && Object.keys(errors).length === 0,
      content: ({ showErrors }) =>
        site ? (
          <Content
            s={s}
            set={set}
            site={site}
            err={(f) => (showErrors || f in refused ? errors[f] : undefined)}
            warn={(f) => (problems[id].warnings[f] ? `Warning: ${problems[id].warnings[f]}` : undefined)}
          />
        ) : null,
    };
  });

  const run = async (report: (p: { value?: number; detail?: string }) => void): Promise<WizardResult> => {
    report({ detail: `Creating the task sequence "${s.name.trim()}"` });
    try {
      return await api.post<WizardResult>('/task-sequences/wizard/install-image', answersOf(s, consoleValues), folder ? { folder } : undefined);
    } catch (e) {
      const errors = refusalErrors(e);
      delete errors.page;
      setRefused(errors);
      throw e;
    }
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">{TITLE}</h1>
      {loadError ? <Notice kind="error">The site's content could not be read: {loadError}</Notice> : null}
      {!site && !loadError ? <Progress label="Reading the site's boot images, images and packages" /> : null}
      {site ? (
        <div ref={root} className="ts-wizard" onKeyDown={onKeyDown}>
          <WizardFrame<WizardResult>
            title={TITLE}
            pages={wizardPages}
            summary={<Summary s={s} site={site} consoleValues={consoleValues} folder={folder} />}
            run={run}
            runLabel="Creating the task sequence"
            completion={(r) => <Completion result={r} base={base} />}
            onClose={close}
            pageOfError={(e) => refusalErrors(e).page}
          />
        </div>
      ) : null}
      <ConfirmDialog
        title="Cancel the wizard"
        open={confirmCancel}
        message="Are you sure you want to exit the Create Task Sequence Wizard? The task sequence is not created, and what you entered is lost."
        confirmLabel="Exit the wizard"
        onConfirm={() => {
          setConfirmCancel(false);
          navigate(back);
        }}
        onCancel={() => setConfirmCancel(false)}
      />
    </section>
  );
}

function pageOfField(field: keyof WizardState): PageId | undefined {
  const pages: Record<PageId, Array<keyof WizardState>> = {
    type: [],
    info: ['name', 'description', 'bootImageId', 'highPerformancePowerPlan'],
    windows: ['imagePackageId', 'imageIndex', 'partitionAndFormat', 'configureBitLocker', 'productKey', 'adminMode', 'adminPassword', 'adminConfirm'],
    network: ['join', 'workgroup', 'domain', 'domainOU', 'account', 'accountPassword', 'accountConfirm'],
    configmgr: ['clientPackageId', 'usePreProductionClient', 'preProductionClientPackageId', 'installationProperties'],
    state: ['captureUserSettings', 'saveTo', 'useHardLinks', 'usmtPackageId', 'captureNetworkSettings', 'captureWindowsSettings'],
    updates: ['updates'],
    apps: ['applications', 'continueOnFailure'],
  };
  return (Object.keys(pages) as PageId[]).find((p) => pages[p].includes(field));
}

const MASKED = '********';
const yesNo = (v: boolean) => (v ? 'Yes' : 'No');

/** Every choice, page by page (§1.3: Summary lists every choice; secrets masked). */
function Summary({ s, site, consoleValues, folder }: { s: WizardState; site: WizardSite; consoleValues: ConsoleValues; folder: string }) {
  const name = (list: Array<{ packageId: string; name: string }>, id: string) => {
    const p = list.find((x) => x.packageId === id);
    return p ? `${p.name} (${p.packageId})` : id || '(none)';
  };
  const pkg = site.osImages.find((p) => p.packageId === s.imagePackageId);
  const image = pkg?.properties.images.find((i) => i.index === s.imageIndex);
  const apps = s.applications.map((m) => site.applications.find((a) => a.modelName === m)?.name ?? m);
  const sections: Array<[string, Array<[string, string]>]> = [
    [
      'Task sequence',
      [
        ['Type', 'Install an existing image package'],
        ['Folder', folder ? `Task Sequences / ${folder}` : 'Task Sequences'],
      ],
    ],
    [
      'Task Sequence Information',
      [
        ['Task sequence name', s.name.trim()],
        ['Description', s.description || '(none)'],
        ['Boot image', name(site.bootImages, s.bootImageId)],
        ['Run as high performance power plan', yesNo(s.highPerformancePowerPlan)],
      ],
    ],
    [
      'Install Windows',
      [
        ['Image package', name(site.osImages, s.imagePackageId)],
        ['Image', image ? `${image.index} - ${image.name}` : String(s.imageIndex)],
        ['Partition and format the target computer', yesNo(s.partitionAndFormat)],
        ['Configure task sequence for use with BitLocker', yesNo(s.configureBitLocker)],
        [
          'Product key',
          s.productKey.trim()
            ? s.productKey
                .trim()
                .toUpperCase()
                .replace(/[^-](?=.{5})/g, '*')
            : '(none)',
        ],
        ['Local administrator account', s.adminMode === 'enabled' ? `Enabled, password ${MASKED}` : 'Randomly generate the password and disable the account'],
      ],
    ],
    [
      'Configure Network',
      s.join === 'workgroup'
        ? [['Join a workgroup', s.workgroup]]
        : [
            ['Join a domain', s.domain],
            ['Domain OU', canonicalOU(s.domainOU) || '(none)'],
            ['Account', s.account],
            ['Password', MASKED],
          ],
    ],
    [
      'Install Configuration Manager',
      [
        ['Package', name(site.clientPackages, s.clientPackageId)],
        ['Pre-production client package', s.usePreProductionClient ? name(site.clientPackages, s.preProductionClientPackageId) : '(not used)'],
        ['Installation properties', s.installationProperties || '(none)'],
      ],
    ],
    [
      'State Migration',
      [
        [
          'Capture user settings and files',
          s.captureUserSettings
            ? `Yes, ${s.saveTo === 'local' ? `locally${s.useHardLinks ? ' by using links' : ''}` : 'on the state migration point'}, with ${name(site.usmtPackages, s.usmtPackageId)}`
            : 'No',
        ],
        ['Capture network settings', yesNo(s.captureNetworkSettings)],
        ['Capture Microsoft Windows settings', yesNo(s.captureWindowsSettings)],
      ],
    ],
    ['Include Updates', [['Software updates', UPDATE_CHOICES.find((c) => c.id === s.updates)!.label]]],
    [
      'Install Applications',
      [
        ['Applications', apps.length ? apps.map((a, i) => `${i + 1}. ${a}`).join(', ') : '(none)'],
        ['Continue installing other applications if one fails', yesNo(apps.length > 0 && s.continueOnFailure)],
      ],
    ],
    [
      'Set by the wizard',
      [
        ['Registered user', consoleValues.userName],
        ['Registered organization', consoleValues.computerName],
        ['Time zone', consoleValues.timeZone],
      ],
    ],
  ];
  return (
    <div className="wizard-summary-list">
      {sections.map(([title, rows]) => (
        <section key={title} aria-label={title}>
          <h3>{title}</h3>
          <dl className="properties">
            {rows.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </div>
  );
}

function Completion({ result, base }: { result: WizardResult; base: string }) {
  const ts = result.taskSequence;
  const warnings = result.problems.filter((p) => p.severity === 'warning');
  return (
    <>
      <p>
        Created the task sequence "{ts.name}" ({ts.id}), revision {result.revision.revision} with {result.revision.stepCount} steps.
      </p>
      {warnings.length ? (
        <Notice kind="warning">
          {warnings.map((w) => (
            <div key={`${w.page}/${w.field}`}>
              {w.page} › {w.field}: {w.rule}
            </div>
          ))}
        </Notice>
      ) : null}
      <p>
        <Link to={`${base}/${encodeURIComponent(ts.id)}`}>Open the task sequence {ts.id}</Link>
      </p>
    </>
  );
}
