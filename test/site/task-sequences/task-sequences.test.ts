import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRevision } from '../../../src/site/task-sequences/revisions.js';
import { DB_KINDS, startTestApi, type TestApi } from '../helpers/site.js';
import { addSiteObjects, expectNoSecret, JOIN_PASSWORD, LOCAL_ADMIN_PASSWORD, type SiteObjects, wizardAnswers } from './fixtures.js';

type Doc = { format: string; sequence: { items: Item[]; references?: Array<{ package?: string }> } };
type Item = { kind: string; name: string; type?: string; items?: Item[]; variables?: Array<{ name: string; value: string }>; disable?: boolean };

function findStep(items: Item[], pred: (i: Item) => boolean): Item | undefined {
  for (const i of items) {
    if (pred(i)) return i;
    if (i.items) {
      const f = findStep(i.items, pred);
      if (f) return f;
    }
  }
  return undefined;
}

const APPLY_OS = 'SMS_TaskSequence_ApplyOperatingSystemAction';
const WINDOWS_SETTINGS = 'SMS_TaskSequence_ApplyWindowsSettingsAction';

function bigXml(bytes: number): string {
  const step = (i: number) =>
    `<step type="SMS_TaskSequence_RunCommandLineAction" name="Step ${i}" successCodeList="0 3010"><action>cmd.exe /c echo ${'x'.repeat(900)}</action></step>`;
  const n = Math.ceil(bytes / 1000);
  return `<sequence version="3.10"><group name="Big">${Array.from({ length: n }, (_, i) => step(i)).join('')}</group></sequence>`;
}

describe.each(DB_KINDS)('task sequences under revision history on %s', (kind) => {
  let api: TestApi;
  let o: SiteObjects;
  let id: string;
  const base = '/api/v1/task-sequences';

  beforeAll(async () => {
    api = await startTestApi(kind);
    o = await addSiteObjects(api.site);
  });
  afterAll(async () => api?.close());

  it('refuses wizard answers with every problem listed (page, field), creating nothing', async () => {
    const answers = wizardAnswers(o, 'Bad one') as { installWindows: Record<string, unknown>; taskSequence: Record<string, unknown> };
    answers.installWindows.imageIndex = 9;
    answers.taskSequence.bootImageId = o.osImage; // not a boot image
    const r = await api.call('POST', `${base}/wizard/install-image`, { body: answers });
    expect(r.status).toBe(400);
    const problems = r.json.problems as Array<{ page: string; field: string; path: string; value: string }>;
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['installWindows.imageIndex', 'taskSequence.bootImageId']));
    expect(problems.find((p) => p.path === 'installWindows.imageIndex')!.page).toBe('Install Windows');
    expectNoSecret(r.body, 'wizard 400');
    expect((await api.call('GET', base)).json).toEqual([]);
    const shape = await api.call('POST', `${base}/wizard/install-image`, { body: { ...answers, nonsense: 1 } });
    expect(shape.status).toBe(400);
    // An unknown key does not stop the other checks: it is listed with the rules' problems, and a
    // misspelled key with the key it stands for.
    const typo = { ...answers, includeUpdate: 'all', taskSequence: { ...answers.taskSequence, bootImageId: undefined, bootImageID: o.bootX64 } };
    const all = await api.call('POST', `${base}/wizard/install-image`, { body: typo });
    expect(all.status).toBe(400);
    const listed = all.json.problems as Array<{ path: string; rule: string; page: string }>;
    expect(listed.map((p) => p.path)).toEqual(['taskSequence.bootImageID', 'includeUpdate', 'installWindows.imageIndex']);
    expect(listed[0]).toMatchObject({ page: 'Task Sequence Information', rule: 'unknown key: did you mean "bootImageId" (Boot image)?' });
    expect(listed[1]!.rule).toBe('unknown key: did you mean "includeUpdates" (Include updates)?');
    expect(all.json).toMatchObject({
      input: 'body.taskSequence.bootImageID',
      rule: expect.stringMatching(/^3 answers are not valid, nothing was created; first: Task Sequence Information › bootImageID: unknown key/),
    });
    expect((await api.call('GET', base)).json).toEqual([]);
  });

  it("creates revision 1 with the wizard from the site's boot image, image and client package", async () => {
    const r = await api.call('POST', `${base}/wizard/install-image`, { body: wizardAnswers(o), token: api.tokens['osd-manager'] });
    expect(r.status).toBe(201);
    id = r.json.taskSequence.id;
    expect(r.json.taskSequence).toMatchObject({
      name: 'Windows 11 Enterprise - contoso.com',
      bootImageId: o.bootX64,
      type: 2,
      currentRevision: 1,
      properties: { maxRunTimeMinutes: 120, highImpact: false, disabled: false },
    });
    expect(r.json.revision).toMatchObject({ revision: 1, author: 'test osd-manager' });
    expect(r.json.revision.stepCount).toBeGreaterThan(5);
    const refs = r.json.references.map((x: { refId: string }) => x.refId);
    expect(refs).toEqual(expect.arrayContaining([o.bootX64, o.osImage, o.client]));
    expectNoSecret(r.body, 'wizard 201');
    const stored = await api.site.db.query<{ ref_id: string }>(
      'SELECT ref_id FROM task_sequence_references WHERE package_id = $1 AND revision = 1 ORDER BY 1',
      [id],
    );
    expect(stored.rows.map((x) => x.ref_id).sort()).toEqual([...refs].sort());
  });

  it('shows the model with secrets masked; loadRevision withSecrets puts them back', async () => {
    const r = await api.call('GET', `${base}/${id}`);
    expect(r.status).toBe(200);
    expectNoSecret(r.body, 'GET task sequence');
    const doc = r.json.sequence as Doc;
    const settings = findStep(doc.sequence.items, (i) => i.type === WINDOWS_SETTINGS)!;
    expect(settings.variables!.find((v) => v.name === 'OSDLocalAdminPassword')!.value).toBe('********');
    const full = await loadRevision(api.site, id, 1, { withSecrets: true });
    const fullSettings = findStep(full.sequence.items as Item[], (i) => i.type === WINDOWS_SETTINGS)!;
    expect(fullSettings.variables!.find((v) => v.name === 'OSDLocalAdminPassword')!.value).toBe(LOCAL_ADMIN_PASSWORD);
    expect(JSON.stringify(full.sequence)).toContain(JOIN_PASSWORD);
    const without = await loadRevision(api.site, id, 1);
    expectNoSecret(JSON.stringify(without.sequence), 'loadRevision without secrets');
  });

  it('saves two edits, compares 1 with 3, reverts to 1 as revision 4', async () => {
    const r1 = (await api.call('GET', `${base}/${id}`)).json;
    const doc = structuredClone(r1.sequence) as Doc;
    const apply = findStep(doc.sequence.items, (i) => i.type === APPLY_OS)!;
    apply.name = 'Apply Windows 11 Enterprise';
    const e1 = await api.call('PUT', `${base}/${id}`, { body: { baseRevision: 1, message: 'Rename the image step', sequence: doc } });
    expect(e1.status).toBe(200);
    expect(e1.json.revision).toMatchObject({ revision: 2, message: 'Rename the image step', author: 'test full-administrator' });

    const doc2 = structuredClone((await api.call('GET', `${base}/${id}`)).json.sequence) as Doc;
    const group = doc2.sequence.items.find((i) => i.kind === 'group')!;
    group.items!.push({ kind: 'step', type: 'SMS_TaskSequence_RunCommandLineAction', name: 'Say hello', action: 'cmd.exe /c echo hello' } as Item);
    const e2 = await api.call('PUT', `${base}/${id}`, { body: { baseRevision: 2, message: 'Add a step', sequence: doc2 } });
    expect(e2.status).toBe(200);
    expect(e2.json.revision.revision).toBe(3);

    const diff = await api.call('GET', `${base}/${id}/diff?from=1&to=3`);
    expect(diff.status).toBe(200);
    const kinds = diff.json.changes.map((c: { kind: string }) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(['renamed', 'added']));
    expect(diff.json.text).toContain('Say hello');
    expect(diff.json.text).toContain('Apply Windows 11 Enterprise');
    expect(diff.json.secretChanges).toEqual([]);
    expectNoSecret(diff.body, 'diff');

    const rev = await api.call('POST', `${base}/${id}/revert`, { body: { revision: 1 } });
    expect(rev.status).toBe(201);
    expect(rev.json.revision).toMatchObject({ revision: 4, message: 'Revert to revision 1' });
    const four = await api.call('GET', `${base}/${id}/revisions/4`);
    const one = await api.call('GET', `${base}/${id}/revisions/1`);
    expect(four.json.sequence).toEqual(one.json.sequence);
    expect((await api.call('GET', `${base}/${id}/diff?from=1&to=4`)).json.changes).toEqual([]);
    const bodies = await api.site.db.query<{ revision: number; body: unknown }>(
      'SELECT revision, body FROM task_sequence_revisions WHERE package_id = $1 AND revision IN (1, 4) ORDER BY revision',
      [id],
    );
    expect(bodies.rows[1]!.body).toEqual(bodies.rows[0]!.body);
    // The secrets carried through both edits and the revert.
    for (const n of [2, 3, 4]) {
      const full = JSON.stringify((await loadRevision(api.site, id, n, { withSecrets: true })).sequence);
      expect(full).toContain(LOCAL_ADMIN_PASSWORD);
      expect(full).toContain(JOIN_PASSWORD);
    }
    const history = await api.call('GET', `${base}/${id}/revisions`);
    expect(history.json.map((h: { revision: number }) => h.revision)).toEqual([4, 3, 2, 1]);
  });

  it('refuses a save on an old base revision with 409 naming the current revision, its author and time', async () => {
    const doc = (await api.call('GET', `${base}/${id}/revisions/2`)).json.sequence;
    const r = await api.call('PUT', `${base}/${id}`, { body: { baseRevision: 2, message: 'late', sequence: doc } });
    expect(r.status).toBe(409);
    expect(r.json.input).toBe('body.baseRevision');
    expect(r.json.message).toContain('revision 4');
    expect(r.json.message).toContain('test full-administrator');
    expect(r.json.currentRevision).toBe(4);
    expect(Date.parse(r.json.currentSavedAt)).not.toBeNaN();
    expect((await api.call('GET', `${base}/${id}`)).json.currentRevision).toBe(4);
  });

  it('changes a password: the diff says so without the value; clearSecrets removes one', async () => {
    const doc = structuredClone((await api.call('GET', `${base}/${id}`)).json.sequence) as Doc;
    const settings = findStep(doc.sequence.items, (i) => i.type === WINDOWS_SETTINGS)!;
    settings.variables!.find((v) => v.name === 'OSDLocalAdminPassword')!.value = 'N3w-Adm1n-Secret!';
    const r = await api.call('PUT', `${base}/${id}`, { body: { baseRevision: 4, message: 'New admin password', sequence: doc } });
    expect(r.status).toBe(200);
    expectNoSecret(r.body, 'save', ['N3w-Adm1n-Secret!']);
    const diff = await api.call('GET', `${base}/${id}/diff?from=4&to=5`);
    expect(diff.json.secretChanges).toEqual([expect.objectContaining({ change: 'changed', address: expect.stringContaining('OSDLocalAdminPassword') })]);
    expect(diff.json.text).toContain('secret value changed');
    expectNoSecret(diff.body, 'diff 4..5', [LOCAL_ADMIN_PASSWORD, 'N3w-Adm1n-Secret!', JOIN_PASSWORD]);
    const five = JSON.stringify((await loadRevision(api.site, id, 5, { withSecrets: true })).sequence);
    expect(five).toContain('N3w-Adm1n-Secret!');
    expect(five).toContain(JOIN_PASSWORD);

    // Revert restores the old password too (the sealed secrets are the revision's).
    await api.call('POST', `${base}/${id}/revert`, { body: { revision: 4, message: 'Back to the old password' } });
    const six = JSON.stringify((await loadRevision(api.site, id, 6, { withSecrets: true })).sequence);
    expect(six).toContain(LOCAL_ADMIN_PASSWORD);
    expect(six).not.toContain('N3w-Adm1n-Secret!');
  });

  it('never puts a secret in responses, exports, lint, the audit log or the body column', async () => {
    const texts: Array<[string, string]> = [];
    for (const p of ['', '/revisions', '/revisions/1', '/revisions/6', '/diff?from=1&to=6', '/lint', '/lint?revision=1']) {
      const r = await api.call('GET', `${base}/${id}${p}`);
      expect(r.status, p).toBe(200);
      texts.push([p || 'GET', r.body]);
    }
    for (const format of ['xml', 'wrapper', 'json']) {
      const r = await api.call('GET', `${base}/${id}/export?format=${format}`);
      expect(r.status).toBe(200);
      texts.push([`export ${format}`, r.body]);
    }
    const xml = (await api.call('GET', `${base}/${id}/export?format=xml&revision=1`)).body;
    expect(xml).toMatch(/<variable name="OSDLocalAdminPassword"[^>]*><\/variable>|<variable name="OSDLocalAdminPassword"[^>]*\/>/);
    const zip = await api.app.inject({
      method: 'GET',
      url: `${base}/${id}/export?format=zip`,
      headers: { authorization: `Bearer ${api.tokens['read-only-analyst']}` },
    });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const files = unzipSync(new Uint8Array(zip.rawPayload));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['Manifest.xml', `SMS_TaskSequencePackage/${id}/object.xml`, `SMS_TaskSequencePackage/${id}/ReferencesInfo.xml`]),
    );
    for (const [name, data] of Object.entries(files)) texts.push([`zip ${name}`, strFromU8(data)]);
    expect(strFromU8(files[`SMS_TaskSequencePackage/${id}/ReferencesInfo.xml`]!)).toContain(o.osImage);

    texts.push(['audit API', (await api.call('GET', '/api/v1/audit?limit=1000')).body]);
    const auditRows = await api.site.db.query<{ details: unknown }>('SELECT details FROM audit_log');
    texts.push(['audit_log', JSON.stringify(auditRows.rows)]);
    const stored = await api.site.db.query<{ body: unknown; secrets: string | null }>('SELECT body, secrets FROM task_sequence_revisions');
    texts.push(['body column', JSON.stringify(stored.rows.map((r) => r.body))]);
    texts.push(['secrets column', JSON.stringify(stored.rows.map((r) => r.secrets))]);
    expect(stored.rows.every((r) => r.secrets?.startsWith('v1:'))).toBe(true);
    for (const [where, text] of texts) expectNoSecret(text, where, [LOCAL_ADMIN_PASSWORD, JOIN_PASSWORD, 'N3w-Adm1n-Secret!']);

    const lint = (await api.call('GET', `${base}/${id}/lint`)).json;
    // The passwords are set: no missing-secret warning, and the site has every referenced package.
    expect(lint.findings.map((f: { rule: string }) => f.rule)).not.toContain('missing-secret');
    expect(lint.findings.map((f: { rule: string }) => f.rule)).not.toContain('unknown-content');
  });

  it('round-trips its own console export zip and imports XML, the wrapper and JSON', async () => {
    const zip = await api.app.inject({
      method: 'GET',
      url: `${base}/${id}/export?format=zip`,
      headers: { authorization: `Bearer ${api.tokens['full-administrator']}` },
    });
    const imported = await api.call('POST', `${base}?name=${encodeURIComponent('From zip')}`, {
      payload: zip.rawPayload,
      headers: { 'content-type': 'application/zip' },
    });
    expect(imported.status).toBe(201);
    expect(imported.json.taskSequence).toMatchObject({ name: 'From zip', bootImageId: o.bootX64 });
    const diff = await api.call('GET', `${base}/${imported.json.taskSequence.id}/revisions/1`);
    const original = await api.call('GET', `${base}/${id}/export?format=json`);
    const reExported = await api.call('GET', `${base}/${imported.json.taskSequence.id}/export?format=json`);
    expect(diff.status).toBe(200);
    expect(JSON.parse(reExported.body).sequence.items).toEqual(JSON.parse(original.body).sequence.items);

    const wrapper = (await api.call('GET', `${base}/${id}/export?format=wrapper`)).body.replace('Windows 11 Enterprise - contoso.com', 'From wrapper');
    const w = await api.call('POST', base, { payload: wrapper, headers: { 'content-type': 'application/xml' } });
    expect(w.status).toBe(201);
    expect(w.json.taskSequence).toMatchObject({ name: 'From wrapper', bootImageId: o.bootX64, properties: { maxRunTimeMinutes: 120 } });

    const json = (await api.call('GET', `${base}/${id}/export?format=json`)).body;
    const j = await api.call('POST', base, { body: { name: 'From JSON', format: 'json', content: json, message: 'Imported from git' } });
    expect(j.status).toBe(201);
    expect(j.json.revision.message).toBe('Imported from git');
    expect(j.json.taskSequence.bootImageId).toBeNull();

    const dup = await api.call('POST', base, { body: { name: 'from json', format: 'json', content: json } });
    expect(dup.status).toBe(409);
    expect(dup.json.message).toContain(j.json.taskSequence.id);

    const withPassword = `<sequence version="3.10"><group name="G"><step type="SMS_TaskSequence_ApplyNetworkSettingsAction" name="Join" runIn="WinPEandFullOS"><defaultVarList><variable name="OSDJoinPassword" property="DomainPassword">${JOIN_PASSWORD}</variable></defaultVarList><action>osdnetsettings.exe configure</action></step></group></sequence>`;
    const p = await api.call('POST', base, { body: { name: 'XML with a password', format: 'xml', content: withPassword } });
    expect(p.status).toBe(201);
    expectNoSecret(p.body, 'import');
    const pid = p.json.taskSequence.id;
    const row = await api.site.db.query<{ body: unknown }>('SELECT body FROM task_sequence_revisions WHERE package_id = $1', [pid]);
    expectNoSecret(JSON.stringify(row.rows[0]!.body), 'imported body');
    expect(JSON.stringify((await loadRevision(api.site, pid, 1, { withSecrets: true })).sequence)).toContain(JOIN_PASSWORD);

    const bad = await api.call('POST', base, { body: { name: 'Broken', format: 'xml', content: '<sequence version="3.10"><group name="x">' } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toBe('body.content');
  });

  it('refuses a task sequence over 2 MB on import and on save, writing nothing', async () => {
    const before = await api.site.db.query<{ n: number }>('SELECT count(*)::int AS n FROM task_sequence_revisions');
    const r = await api.call('POST', base, { body: { name: 'Too big', format: 'xml', content: bigXml(2_200_000) } });
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('too-large');
    expect(r.json.rule).toContain('2 MB');
    const ok = await api.call('POST', base, { body: { name: 'Just fits', format: 'xml', content: bigXml(1_500_000) } });
    expect(ok.status).toBe(201);
    const save = await api.call('PUT', `${base}/${ok.json.taskSequence.id}`, { body: { baseRevision: 1, format: 'xml', content: bigXml(2_200_000) } });
    expect(save.status).toBe(413);
    const after = await api.site.db.query<{ n: number }>('SELECT count(*)::int AS n FROM task_sequence_revisions');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n + 1);
    expect((await api.call('GET', `${base}/${ok.json.taskSequence.id}`)).json.currentRevision).toBe(1);
    await api.call('DELETE', `${base}/${ok.json.taskSequence.id}`);
  });

  it('changes properties: boot image, run time, high impact with custom text (all four ≤ 255)', async () => {
    const bad = await api.call('PATCH', `${base}/${id}`, { body: { bootImageId: o.osImage } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toBe('body.bootImageId');
    const missing = await api.call('PATCH', `${base}/${id}`, {
      body: { highImpact: true, customText: { headline: 'Reimage', message1: 'a', message2: '', message3: 'c' } },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.input).toBe('body.customText.message2');
    const long = await api.call('PATCH', `${base}/${id}`, {
      body: { highImpact: true, customText: { headline: 'x'.repeat(256), message1: 'a', message2: 'b', message3: 'c' } },
    });
    expect(long.status).toBe(400);
    const noImpact = await api.call('PATCH', `${base}/${id}`, { body: { customText: { headline: 'h', message1: 'a', message2: 'b', message3: 'c' } } });
    expect(noImpact.status).toBe(400);
    const ok = await api.call('PATCH', `${base}/${id}`, {
      body: {
        highImpact: true,
        customText: { headline: 'Your PC will be reimaged', message1: 'Save your work.', message2: 'It takes an hour.', message3: 'Call the help desk.' },
        maxRunTimeMinutes: 180,
        bootImageId: o.bootX86,
        description: 'Changed',
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      bootImageId: o.bootX86,
      description: 'Changed',
      currentRevision: 6,
      properties: { maxRunTimeMinutes: 180, highImpact: true, customText: { headline: 'Your PC will be reimaged' } },
    });
    const back = await api.call('PATCH', `${base}/${id}`, { body: { bootImageId: o.bootX64, highImpact: false, customText: null } });
    expect(back.json).toMatchObject({ bootImageId: o.bootX64, properties: { highImpact: false, customText: null } });
    const auditLog = await api.call('GET', `/api/v1/audit?objectType=task-sequence&objectId=${id}`);
    expect(auditLog.json.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['create-with-wizard', 'save-revision', 'revert', 'update-properties']),
    );
  });

  it("lints against the site's real content: an unknown package is an error", async () => {
    const xml = `<sequence version="3.10"><group name="G"><step type="SMS_TaskSequence_InstallSoftwareAction" name="Install Tools"><defaultVarList><variable name="PackageID" property="PackageID">PS1FFFFF</variable><variable name="_SMSSWDProgramName" property="ProgramName">Install</variable></defaultVarList><action>smsswd.exe /pkg:PS1FFFFF /install /labelname:Install</action></step></group></sequence>`;
    const r = await api.call('POST', base, { body: { name: 'Unknown content', format: 'xml', content: xml } });
    expect(r.status).toBe(201);
    expect(r.json.references).toEqual([{ refId: 'PS1FFFFF', refKind: 'package' }]);
    const lint = await api.call('GET', `${base}/${r.json.taskSequence.id}/lint`);
    expect(lint.json.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'unknown-content', severity: 'error', path: 'G / Install Tools' })]),
    );
    expect(lint.json.counts.error).toBeGreaterThan(0);
  });

  it('keeps the read-only analyst to reading', async () => {
    const t = api.tokens['read-only-analyst'];
    expect((await api.call('GET', `${base}/${id}`, { token: t })).status).toBe(200);
    expect((await api.call('GET', base, { token: t })).status).toBe(200);
    expect((await api.call('POST', base, { token: t, body: { name: 'x', format: 'xml', content: '<sequence version="3.10"/>' } })).status).toBe(403);
    expect((await api.call('POST', `${base}/wizard/install-image`, { token: t, body: wizardAnswers(o, 'x') })).status).toBe(403);
    expect((await api.call('PUT', `${base}/${id}`, { token: t, body: { baseRevision: 6, sequence: {} } })).status).toBe(403);
    expect((await api.call('PATCH', `${base}/${id}`, { token: t, body: { disabled: true } })).status).toBe(403);
    expect((await api.call('POST', `${base}/${id}/revert`, { token: t, body: { revision: 1 } })).status).toBe(403);
    expect((await api.call('DELETE', `${base}/${id}`, { token: t })).status).toBe(403);
    expect((await api.call('GET', `${base}/NOPE`)).status).toBe(400);
    expect((await api.call('GET', `${base}/PS1FFFF0`)).status).toBe(404);
  });
});
