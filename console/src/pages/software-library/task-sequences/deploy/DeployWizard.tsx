/**
 * Deploy Software Wizard (osd-features §4.1): Software Library › Task Sequences › select › Deploy,
 * at /software-library/task-sequences/<PackageID>/deploy. Pages General, Deployment Settings,
 * Scheduling, User Experience and Distribution Points, then Summary, Progress and Completion.
 * Options that do not apply are not shown, as ConfigMgr hides them: "Make available to" only
 * clients for a task sequence without a boot image; the assignment schedule, rerun behaviour and
 * maintenance-window options only for Required; the deployment options of §4.3. A Required
 * operating system deployment is high risk (§4.5): the site says why, and the deployment is
 * created only once the administrator acknowledges it. The site's refusals come back to the
 * page and field they name.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, messageOf } from '../../../../api/client';
import type { TaskSequenceDetail } from '../../../../api/types';
import { Link, navigate, useTitle } from '../../../../app/router';
import { useCan } from '../../../../app/session';
import { Dialog } from '../../../../components/Dialog';
import { CheckboxField, Field } from '../../../../components/Field';
import { Notice } from '../../../../components/Notice';
import { Progress } from '../../../../components/Progress';
import { WizardFrame, type WizardPage } from '../../../../components/WizardFrame';
import {
  AVAILABILITY_LABELS,
  availabilityChoices,
  CONTENT_OPTION_LABELS,
  contentOptionChoices,
  describeSchedule,
  fieldPage,
  initialAnswers,
  isHighRisk,
  listedCollections,
  pageErrors,
  requestOf,
  RERUN_LABELS,
  type Availability,
  type CollectionInfo,
  type ContentOption,
  type DeployAnswers,
  type DeployContext,
  type DeploymentInfo,
  type DeploymentVerification,
  type PackageInfo,
  type Rerun,
} from './deploy-model';
import { ScheduleEditor } from './ScheduleEditor';
import './deploy.css';

/** The site's rule as a sentence at the field ("the deployment would expire…" → "The deployment would expire….") */
function sentence(rule: string): string {
  const t = rule.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}

/** Answers that are not request fields, with the field whose page they are on. */
const pageField: Partial<Record<keyof DeployAnswers, string>> = {
  showLarge: 'collectionId',
  availableOn: 'availableAt',
  expiresOn: 'expiresAt',
  utc: 'availableAt',
};

interface Created {
  deployment: DeploymentInfo;
  warnings: string[];
}

interface Loaded {
  ts: TaskSequenceDetail;
  collections: CollectionInfo[];
  verification?: DeploymentVerification;
  packages: PackageInfo[];
}

export function DeployWizard({ base, id }: { base: string; id: string }) {
  useTitle('Deploy Software Wizard');
  const canDeploy = useCan('deployment.write');
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    Promise.all([
      api.get<TaskSequenceDetail>(`/task-sequences/${encodeURIComponent(id)}`),
      api.get<CollectionInfo[]>('/collections'),
      api.get<DeploymentVerification>('/settings/deployment-verification').catch(() => undefined),
      api.get<PackageInfo[]>('/packages'),
    ])
      .then(([ts, collections, verification, packages]) => live && setLoaded({ ts, collections, verification, packages }))
      .catch((e: unknown) => live && setLoadError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [id]);

  return (
    <section className="page" aria-labelledby="page-title">
      <p className="breadcrumb">
        <Link to={base}>Task Sequences</Link> › <Link to={`${base}/${encodeURIComponent(id)}`}>{loaded?.ts.name ?? id}</Link> › Deploy
      </p>
      <h1 id="page-title">Deploy Software Wizard</h1>
      {loadError ? <Notice kind="error">The task sequence could not be read: {loadError}</Notice> : null}
      {!loaded && !loadError ? <Progress label="Reading the task sequence and the collections" /> : null}
      {!canDeploy ? <Notice kind="warning">Your security role does not allow deploying task sequences.</Notice> : null}
      {loaded && canDeploy ? <DeployPages base={base} loaded={loaded} /> : null}
    </section>
  );
}

function DeployPages({ base, loaded }: { base: string; loaded: Loaded }) {
  const { ts, collections, verification } = loaded;
  const [a, setA] = useState<DeployAnswers>(initialAnswers);
  /** The site's refusals by field, until that field changes. */
  const [siteErrors, setSiteErrors] = useState<Record<string, string>>({});
  const [confirm, setConfirm] = useState<{ reasons: string[]; rule: string } | null>(null);
  const confirmAnswer = useRef<((yes: boolean) => void) | null>(null);

  const ctx: DeployContext = useMemo(() => {
    const ids = new Set([...ts.references.filter((r) => r.refKind === 'package').map((r) => r.refId), ...(ts.bootImageId ? [ts.bootImageId] : [])]);
    return { hasBootImage: !!ts.bootImageId, packages: loaded.packages.filter((p) => ids.has(p.packageId)) };
  }, [ts, loaded.packages]);

  const set = <K extends keyof DeployAnswers>(key: K, value: DeployAnswers[K]) => {
    setA((x) => {
      const next = { ...x, [key]: value };
      // A deployment option that is no longer offered falls back to the one always offered.
      if (!contentOptionChoices(ctx, next.availability).includes(next.contentOption)) next.contentOption = 'download-when-needed';
      return next;
    });
    // A refusal of the site is about the page's answers together (an expiry before the available
    // time): any change on that page takes the page's refusals away.
    const page = fieldPage(pageField[key] ?? key);
    setSiteErrors((e) => {
      const rest = Object.fromEntries(Object.entries(e).filter(([f]) => f !== key && fieldPage(f) !== page));
      return Object.keys(rest).length === Object.keys(e).length ? e : rest;
    });
  };

  const errors = pageErrors(a, ctx, collections);
  const err = (page: string, field: string, show: boolean): string | undefined => siteErrors[field] ?? (show ? errors[page]?.[field] : undefined);
  const valid = (page: string) => Object.keys(errors[page] ?? {}).length === 0;

  const listed = listedCollections(collections, a, verification);
  const hiddenLarge = verification && verification.defaultSize !== 0 ? collections.filter((c) => c.memberCount > verification.defaultSize).length : 0;
  const collection = collections.find((c) => c.collectionId === a.collectionId);
  const required = a.purpose === 'required';
  const availabilities = availabilityChoices(ctx);
  const contentOptions = contentOptionChoices(ctx, a.availability);

  const pages: WizardPage[] = [
    {
      id: 'general',
      title: 'General',
      valid: valid('general') && !siteErrors.collectionId && !siteErrors.comments,
      content: ({ showErrors }) => (
        <>
          <p>Specify the task sequence and the collection to deploy it to.</p>
          <dl className="properties">
            <dt>Software</dt>
            <dd>
              {ts.name} ({ts.id}, revision {ts.currentRevision})
            </dd>
          </dl>
          <Field
            label="Collection"
            required
            error={err('general', 'collectionId', showErrors)}
            hint={
              collection
                ? `${collection.memberCount} member${collection.memberCount === 1 ? '' : 's'}${collection.comment ? ` — ${collection.comment}` : ''}`
                : undefined
            }
          >
            {(p) => (
              <select {...p} value={a.collectionId} onChange={(e) => set('collectionId', e.target.value)}>
                <option value="">(select a collection)</option>
                {listed.map((c) => (
                  <option key={c.collectionId} value={c.collectionId}>
                    {c.name} ({c.collectionId}, {c.memberCount} member{c.memberCount === 1 ? '' : 's'})
                  </option>
                ))}
              </select>
            )}
          </Field>
          {hiddenLarge ? (
            <CheckboxField
              label={`Show collections with more than ${verification!.defaultSize} members (${hiddenLarge} hidden)`}
              checked={a.showLarge}
              onChange={(v) => set('showLarge', v)}
              hint="Deployment Verification hides collections larger than the default size."
            />
          ) : null}
          <CheckboxField
            label="Pre-download content for this task sequence"
            checked={a.preDownload}
            onChange={(v) => set('preDownload', v)}
            hint="Available deployments only: clients download the content at the available time, before the user starts it."
            error={siteErrors.preDownload}
          />
          <Field label="Comments (optional)" error={err('general', 'comments', showErrors)}>
            {(p) => <textarea {...p} rows={3} maxLength={600} value={a.comments} onChange={(e) => set('comments', e.target.value)} />}
          </Field>
        </>
      ),
    },
    {
      id: 'settings',
      title: 'Deployment Settings',
      valid: valid('settings') && !siteErrors.purpose && !siteErrors.availability,
      content: ({ showErrors }) => (
        <>
          <p>Specify settings to control how this software is deployed.</p>
          <Field label="Purpose" error={err('settings', 'purpose', showErrors)}>
            {(p) => (
              <select {...p} value={a.purpose} onChange={(e) => set('purpose', e.target.value as DeployAnswers['purpose'])}>
                <option value="available">Available</option>
                <option value="required">Required</option>
              </select>
            )}
          </Field>
          <Field
            label="Make available to the following"
            error={err('settings', 'availability', showErrors)}
            hint={availabilities.length === 1 ? 'This task sequence has no boot image: only Configuration Manager clients can run it.' : undefined}
          >
            {(p) => (
              <select {...p} value={a.availability} onChange={(e) => set('availability', e.target.value as Availability)}>
                {availabilities.map((v) => (
                  <option key={v} value={v}>
                    {AVAILABILITY_LABELS[v]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {isHighRisk(a, ctx) ? (
            <Notice kind="warning">
              A Required deployment of an operating system deployment task sequence is high risk: it starts on its own and can wipe the computers of the
              collection. The site checks the collection when the deployment is created.
            </Notice>
          ) : null}
        </>
      ),
    },
    {
      id: 'scheduling',
      title: 'Scheduling',
      valid: valid('scheduling') && !Object.keys(siteErrors).some((f) => fieldPage(f) === 'scheduling'),
      content: ({ showErrors }) => (
        <>
          <p>Specify the schedule for this deployment.</p>
          <CheckboxField label="Schedule when this deployment will become available" checked={a.availableOn} onChange={(v) => set('availableOn', v)} />
          {a.availableOn ? (
            <Field label="Available from" error={err('scheduling', 'availableAt', showErrors)}>
              {(p) => <input {...p} type="datetime-local" value={a.availableAt} onChange={(e) => set('availableAt', e.target.value)} />}
            </Field>
          ) : null}
          <CheckboxField label="Schedule when this deployment will expire" checked={a.expiresOn} onChange={(v) => set('expiresOn', v)} />
          {a.expiresOn ? (
            <Field label="Expires on" error={err('scheduling', 'expiresAt', showErrors)}>
              {(p) => <input {...p} type="datetime-local" value={a.expiresAt} onChange={(e) => set('expiresAt', e.target.value)} />}
            </Field>
          ) : null}
          {a.availableOn || a.expiresOn || required ? (
            <CheckboxField label="UTC" checked={a.utc} onChange={(v) => set('utc', v)} hint="Otherwise the times are this computer's local time." />
          ) : null}
          {required ? (
            <>
              <ScheduleEditor
                schedules={a.schedules}
                onChange={(s) => set('schedules', s)}
                utc={a.utc}
                error={siteErrors.schedules ?? (showErrors ? errors.scheduling?.schedules : undefined)}
              />
              {a.availability !== 'clients' ? (
                <p className="hint">
                  Computers that start from PXE or media (Windows PE) ignore every schedule: a Required deployment runs there as soon as they start.
                </p>
              ) : null}
              <Field label="Rerun behavior" error={siteErrors.rerun}>
                {(p) => (
                  <select {...p} value={a.rerun} onChange={(e) => set('rerun', e.target.value as Rerun)}>
                    {(Object.keys(RERUN_LABELS) as Rerun[]).map((r) => (
                      <option key={r} value={r}>
                        {RERUN_LABELS[r]}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </>
          ) : null}
        </>
      ),
    },
    {
      id: 'user-experience',
      title: 'User Experience',
      valid: true,
      content: () => (
        <>
          <p>Specify the user experience for the installation of this software on the selected devices.</p>
          <CheckboxField label="Show Task Sequence progress" checked={a.showProgress} onChange={(v) => set('showProgress', v)} />
          {required ? (
            <fieldset>
              <legend>When the installation deadline is reached, allow the following activities to be performed outside the maintenance window</legend>
              <CheckboxField
                label="Software installation"
                checked={a.softwareInstallOutsideMaintenanceWindow}
                onChange={(v) => set('softwareInstallOutsideMaintenanceWindow', v)}
              />
              <CheckboxField
                label="System restart (if required to complete the installation)"
                checked={a.restartOutsideMaintenanceWindow}
                onChange={(v) => set('restartOutsideMaintenanceWindow', v)}
              />
            </fieldset>
          ) : null}
        </>
      ),
    },
    {
      id: 'distribution-points',
      title: 'Distribution Points',
      valid: valid('distribution-points') && !siteErrors.contentOption,
      content: ({ showErrors }) => (
        <>
          <p>Specify how to run the content for this deployment.</p>
          <Field
            label="Deployment options"
            error={err('distribution-points', 'contentOption', showErrors)}
            hint={
              a.availability !== 'clients'
                ? 'A deployment made available to media and PXE downloads content when the task sequence needs it.'
                : ctx.packages.some((p) => !p.copyToShare)
                  ? 'Accessing content directly from a distribution point needs every package copied to a package share.'
                  : undefined
            }
          >
            {(p) => (
              <select {...p} value={a.contentOption} onChange={(e) => set('contentOption', e.target.value as ContentOption)}>
                {contentOptions.map((o) => (
                  <option key={o} value={o}>
                    {CONTENT_OPTION_LABELS[o]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <CheckboxField
            label="When no local distribution point is available, use a remote distribution point"
            checked={a.useRemoteDp}
            onChange={(v) => set('useRemoteDp', v)}
          />
          <CheckboxField
            label="Allow clients to use distribution points from the default site boundary group"
            checked={a.useDefaultBoundaryGroup}
            onChange={(v) => set('useDefaultBoundaryGroup', v)}
          />
        </>
      ),
    },
  ];

  const yesNo = (b: boolean) => (b ? 'Yes' : 'No');
  const summary = (
    <dl className="properties summary-list">
      <dt>Software</dt>
      <dd>
        {ts.name} ({ts.id})
      </dd>
      <dt>Collection</dt>
      <dd>{collection ? `${collection.name} (${collection.collectionId})` : a.collectionId}</dd>
      <dt>Purpose</dt>
      <dd>{required ? 'Required' : 'Available'}</dd>
      <dt>Make available to</dt>
      <dd>{AVAILABILITY_LABELS[a.availability]}</dd>
      <dt>Pre-download content</dt>
      <dd>{yesNo(a.preDownload)}</dd>
      <dt>Available</dt>
      <dd>{a.availableOn ? `${a.availableAt}${a.utc ? ' UTC' : ''}` : 'As soon as possible'}</dd>
      <dt>Expires</dt>
      <dd>{a.expiresOn ? `${a.expiresAt}${a.utc ? ' UTC' : ''}` : 'Never'}</dd>
      {required ? (
        <>
          <dt>Assignment schedule</dt>
          <dd>{a.schedules.map(describeSchedule).join('; ')}</dd>
          <dt>Rerun behavior</dt>
          <dd>{RERUN_LABELS[a.rerun]}</dd>
          <dt>Outside the maintenance window</dt>
          <dd>
            Software installation: {yesNo(a.softwareInstallOutsideMaintenanceWindow)}; system restart: {yesNo(a.restartOutsideMaintenanceWindow)}
          </dd>
        </>
      ) : null}
      <dt>Show Task Sequence progress</dt>
      <dd>{yesNo(a.showProgress)}</dd>
      <dt>Deployment options</dt>
      <dd>{CONTENT_OPTION_LABELS[a.contentOption]}</dd>
      <dt>Use a remote distribution point</dt>
      <dd>{yesNo(a.useRemoteDp)}</dd>
      <dt>Use the default site boundary group</dt>
      <dd>{yesNo(a.useDefaultBoundaryGroup)}</dd>
      {a.comments ? (
        <>
          <dt>Comments</dt>
          <dd>{a.comments}</dd>
        </>
      ) : null}
    </dl>
  );

  const askHighRisk = (reasons: string[], rule: string) =>
    new Promise<boolean>((resolve) => {
      confirmAnswer.current = resolve;
      setConfirm({ reasons, rule });
    });
  const answerHighRisk = (yes: boolean) => {
    confirmAnswer.current?.(yes);
    confirmAnswer.current = null;
    setConfirm(null);
  };

  const run = async (report: (p: { value?: number; detail?: string }) => void): Promise<Created> => {
    setSiteErrors({});
    report({ detail: `Creating the deployment of "${ts.name}" to ${collection?.name ?? a.collectionId}` });
    try {
      return await api.post<Created>('/deployments', requestOf(ts.id, a, false));
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'high-risk-confirmation-required') {
        const reasons = Array.isArray(e.body?.reasons) ? (e.body.reasons as string[]) : [];
        report({ detail: 'Waiting for the high-risk deployment to be acknowledged' });
        if (!(await askHighRisk(reasons, e.rule))) throw new Error('the high-risk deployment was not acknowledged, so nothing was deployed', { cause: e });
        report({ detail: 'Creating the deployment (high risk acknowledged)' });
        try {
          return await api.post<Created>('/deployments', requestOf(ts.id, a, true));
        } catch (e2) {
          throw keep(e2);
        }
      }
      throw keep(e);
    }
  };
  /** A refusal naming a field is shown there when the admin goes back. */
  const keep = (e: unknown): unknown => {
    if (e instanceof ApiError && e.field && fieldPage(e.field)) {
      const field = e.field.replace(/[[.].*$/, '');
      setSiteErrors((s) => ({ ...s, [field]: sentence(e.readable) }));
    }
    return e;
  };

  return (
    <>
      <WizardFrame<Created>
        title="Deploy Software Wizard"
        pages={pages}
        summary={summary}
        runLabel="Creating the deployment"
        run={run}
        pageOfError={(e) => (e instanceof ApiError ? fieldPage(e.field) : undefined)}
        completion={(r) => (
          <div>
            <p>
              The task sequence <strong>{ts.name}</strong> was deployed to <strong>{r.deployment.collectionName}</strong> as deployment{' '}
              <strong>{r.deployment.id}</strong> ({r.deployment.purpose === 'required' ? 'Required' : 'Available'}).
            </p>
            {r.deployment.highRisk && r.deployment.settings.highRiskReasons.length ? (
              <p>High risk acknowledged: {r.deployment.settings.highRiskReasons.join('; ')}.</p>
            ) : null}
            {r.warnings.length ? (
              <Notice kind="warning">
                <ul>
                  {r.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              </Notice>
            ) : null}
            <p>
              <Link to={`/monitoring/deployments/${encodeURIComponent(r.deployment.id)}`}>View the status of deployment {r.deployment.id} in Monitoring</Link>
            </p>
          </div>
        )}
        onClose={(r) => navigate(r ? `/monitoring/deployments/${encodeURIComponent(r.deployment.id)}` : `${base}/${encodeURIComponent(ts.id)}`)}
      />
      <Dialog
        title="Deployment Verification"
        open={!!confirm}
        onClose={() => answerHighRisk(false)}
        footer={
          <>
            <button type="button" className="primary danger" onClick={() => answerHighRisk(true)}>
              Deploy
            </button>
            <button type="button" onClick={() => answerHighRisk(false)} data-autofocus>
              Cancel
            </button>
          </>
        }
      >
        <p>
          <strong>This is a high-risk deployment.</strong> It is Required and deploys an operating system: the computers of{' '}
          {collection ? `"${collection.name}"` : 'the collection'} can be wiped without anyone starting it.
        </p>
        {confirm?.reasons.length ? (
          <ul>
            {confirm.reasons.map((r) => (
              <li key={r}>{r[0]!.toUpperCase() + r.slice(1)}.</li>
            ))}
          </ul>
        ) : (
          <p>{confirm?.rule}</p>
        )}
        <p>Verify the collection before you continue. The site records that you acknowledged this.</p>
      </Dialog>
    </>
  );
}
