/**
 * Issue 6 acceptance, end to end through the admin API on PGlite and on PostgreSQL: a real
 * multi-image WIM and a WinPE WIM added and read from the files; a driver catalog imported from
 * real INF files; collections with rules and variables; the wizard's task sequence created from
 * the site's own objects, edited twice, diffed and reverted; content distributed to a real
 * distribution point; a deployment and its content manifest for a UEFI x64 unknown computer.
 * Every answer of the whole run is kept and searched for the secrets at the end.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDrivers } from '../../src/lab/test-content/drivers.js';
import { startDistributionPoint, type RunningDistributionPoint } from '../../src/server/distribution-point/server.js';
import { makeWim, WINPE_PROPERTIES, wimXml, xmlField } from './objects/fixtures.js';
import { DB_KINDS, startTestApi, type ApiResponse, type TestApi } from './helpers/site.js';

const JOIN_PASSWORD = 'Acceptance-J0in-Secret';
const ADMIN_PASSWORD = 'Acceptance-Adm1n-Secret';
const MASKED_VALUE = 'Acceptance-Masked-Value';
const PUSH_TOKEN = 'acceptance-push-token-0123456789';

const edition = (index: number, name: string, editionId: string, languages: string[]) => ({
  name,
  description: `${name} (test)`,
  payload: `${name} `.repeat(100 * index),
  properties: {
    'WINDOWS/ARCH': 9,
    'WINDOWS/EDITIONID': editionId,
    'WINDOWS/PRODUCTNAME': 'Microsoft® Windows® Operating System',
    'WINDOWS/PRODUCTTYPE': 'WinNT',
    'WINDOWS/INSTALLATIONTYPE': 'Client',
    'WINDOWS/VERSION/MAJOR': 10,
    'WINDOWS/VERSION/MINOR': 0,
    'WINDOWS/VERSION/BUILD': 22631,
    'WINDOWS/VERSION/SPBUILD': 2428,
    'WINDOWS/LANGUAGES/LANGUAGE': languages[0]!,
    'WINDOWS/LANGUAGES/DEFAULT': languages[0]!,
    DISPLAYNAME: name,
  },
});

/** Finds the first object in a JSON tree for which `match` holds. */
function findNode(node: unknown, match: (o: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  if (Array.isArray(node)) {
    for (const x of node) {
      const f = findNode(x, match);
      if (f) return f;
    }
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (match(o)) return o;
    for (const v of Object.values(o)) {
      const f = findNode(v, match);
      if (f) return f;
    }
  }
  return undefined;
}

describe.each(DB_KINDS)('issue 6 acceptance on %s', (kind) => {
  let api: TestApi;
  let dp: RunningDistributionPoint;
  let work: string;
  const answers: ApiResponse[] = [];
  const call = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const r = await api.call(method, path, body === undefined ? {} : { body });
    answers.push(r);
    return r;
  };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    api = await startTestApi(kind);
    work = mkdtempSync(join(tmpdir(), `openosd-acceptance-${kind}-`));
    dp = await startDistributionPoint({ root: join(work, 'dp'), pushToken: PUSH_TOKEN });
  });
  afterAll(async () => {
    await dp?.close();
    await api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('adds a real multi-image WIM and reads every image from the file', async () => {
    const wim = await makeWim(join(work, 'os'), 'install.wim', [
      edition(1, 'Windows 11 Education', 'Education', ['en-US']),
      edition(2, 'Windows 11 Enterprise', 'Enterprise', ['en-US']),
      edition(3, 'Windows 11 Pro', 'Professional', ['en-US']),
    ]);
    const r = await call('POST', '/api/v1/os-images', { sourcePath: wim, version: '23H2' });
    expect(r.status, r.body).toBe(201);
    ids.osImage = r.json.packageId;
    expect(r.json.packageType).toBe(257);
    const xml = await wimXml(wim);
    const images = r.json.properties.images as Array<Record<string, unknown>>;
    expect(images.map((i) => i.index)).toEqual([1, 2, 3]);
    for (const img of images) {
      const n = img.index as number;
      expect(img.name).toBe(xmlField(xml, n, ['NAME']));
      expect(img.description).toBe(xmlField(xml, n, ['DESCRIPTION']));
      expect(img.edition).toBe(xmlField(xml, n, ['WINDOWS', 'EDITIONID']));
      expect(img.sizeBytes).toBe(Number(xmlField(xml, n, ['TOTALBYTES'])));
      expect(img.architecture).toBe('x64');
      expect(img.version).toBe('10.0.22631.2428');
      expect(img.languages).toEqual(['en-US']);
    }
    expect(r.json.properties.architecture).toBe('x64');

    const boot = await makeWim(join(work, 'boot'), 'boot.wim', [
      { name: 'Microsoft Windows PE (x64)', description: 'WinPE', payload: 'pe', properties: WINPE_PROPERTIES(9, [10, 0, 22621]) },
    ]);
    const b = await call('POST', '/api/v1/boot-images', { sourcePath: boot, pxeEnabled: true });
    expect(b.status, b.body).toBe(201);
    ids.boot = b.json.packageId;
    expect(b.json.properties).toMatchObject({ architecture: 'x64', winPeVersion: '10', pxeEnabled: true });

    // The built-in client and USMT packages get their files.
    const pkgs = (await call('GET', '/api/v1/packages')).json as Array<{ packageId: string; name: string }>;
    for (const [name, key] of [
      ['Configuration Manager Client Package', 'client'],
      ['User State Migration Tool for Windows', 'usmt'],
    ] as const) {
      const id = pkgs.find((p) => p.name === name)!.packageId;
      const dir = join(work, key);
      mkdirSync(join(dir, 'x64'), { recursive: true });
      writeFileSync(join(dir, 'x64', `${key}.exe`), `${key} files`);
      const s = await call('PUT', `/api/v1/packages/${id}/content`, { sourcePath: dir });
      expect(s.status, s.body).toBe(200);
      ids[key] = id;
    }
  });

  it('imports a driver catalog from real INF files into a driver package', async () => {
    const drivers = dirname(await writeDrivers(join(work, 'drivers')));
    const pkg = await call('POST', '/api/v1/driver-packages', { name: 'Surface Laptop drivers', manufacturer: 'Microsoft', model: 'Surface Laptop' });
    expect(pkg.status, pkg.body).toBe(201);
    ids.driverPackage = pkg.json.packageId;
    const r = await call('POST', '/api/v1/drivers/import', { sourcePath: drivers, categories: ['Laptops'], driverPackageIds: [ids.driverPackage] });
    expect(r.status, r.body).toBe(201);
    expect(r.json.imported.length).toBeGreaterThanOrEqual(3);
    const again = await call('POST', '/api/v1/drivers/import', { sourcePath: drivers, duplicates: 'skip' });
    expect(again.json.imported).toEqual([]);
    const list = await call('GET', '/api/v1/drivers?category=Laptops');
    expect(list.json.length).toBe(r.json.imported.length);
    const p = await call('GET', `/api/v1/driver-packages/${ids.driverPackage}`);
    expect(p.json.drivers.length).toBeGreaterThan(0);
  });

  it('makes collections with rules and variables', async () => {
    for (const [name, mac] of [
      ['WS-0001', '00-15-5D-00-00-01'],
      ['WS-0002', '00155D000002'],
      ['SRV-0001', '00:15:5D:00:00:03'],
    ] as const) {
      const d = await call('POST', '/api/v1/devices', { name, mac, properties: { Model: name.startsWith('WS') ? 'Surface Laptop 5' : 'PowerEdge' } });
      expect(d.status, d.body).toBe(201);
    }
    const c = await call('POST', '/api/v1/collections', {
      name: 'Workstations',
      variablePriority: 5,
      rules: [{ kind: 'query', query: "select * from SMS_R_System where SMS_R_System.Name like 'WS-%'" }],
    });
    expect(c.status, c.body).toBe(201);
    ids.collection = c.json.collection.collectionId;
    const members = await call('GET', `/api/v1/collections/${ids.collection}/members`);
    expect(JSON.stringify(members.json)).toContain('WS-0001');
    expect(JSON.stringify(members.json)).not.toContain('SRV-0001');
    const v1 = await call('PUT', `/api/v1/collections/${ids.collection}/variables/OSDTimeZone`, { value: 'W. Europe Standard Time' });
    expect(v1.status, v1.body).toBe(200);
    const v2 = await call('PUT', '/api/v1/collections/SMS000US/variables/OSDJoinSecret', { value: MASKED_VALUE, masked: true });
    expect(v2.json).toEqual({ name: 'OSDJoinSecret', value: null, masked: true });
  });

  it("creates the wizard's task sequence from site objects, edits it twice, diffs and reverts", async () => {
    const w = await call('POST', '/api/v1/task-sequences/wizard/install-image', {
      taskSequence: { name: 'Windows 11 Enterprise', description: 'acceptance', bootImageId: ids.boot },
      installWindows: {
        imagePackageId: ids.osImage,
        imageIndex: 2,
        configureBitLocker: false,
        localAdministrator: { mode: 'enabled', password: ADMIN_PASSWORD, confirmPassword: ADMIN_PASSWORD },
      },
      configureNetwork: { join: 'domain', domain: 'contoso.com', account: 'CONTOSO\\svc-join', password: JOIN_PASSWORD, confirmPassword: JOIN_PASSWORD },
      stateMigration: { captureUserSettings: false, captureNetworkSettings: false, captureWindowsSettings: false },
    });
    expect(w.status, w.body).toBe(201);
    ids.ts = w.json.taskSequence.id;
    expect(w.json.revision.revision).toBe(1);
    expect(w.json.references.map((r: { refId: string }) => r.refId)).toEqual(expect.arrayContaining([ids.boot, ids.osImage, ids.client]));
    expect((await call('GET', `/api/v1/task-sequences/${ids.ts}/lint`)).json.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);

    // Edit 1: rename the Apply Operating System step. Edit 2: continue on error on it.
    const r1 = await call('GET', `/api/v1/task-sequences/${ids.ts}`);
    const seq = r1.json.sequence;
    const apply = findNode(seq, (o) => o.kind === 'step' && o.type === 'SMS_TaskSequence_ApplyOperatingSystemAction')!;
    apply.name = 'Apply Windows 11 Enterprise';
    const e1 = await call('PUT', `/api/v1/task-sequences/${ids.ts}`, { baseRevision: 1, message: 'rename apply step', sequence: seq });
    expect(e1.status, e1.body).toBe(200);
    apply.continueOnError = true;
    const e2 = await call('PUT', `/api/v1/task-sequences/${ids.ts}`, { baseRevision: 2, message: 'continue on error', sequence: seq });
    expect(e2.json.revision.revision).toBe(3);
    const stale = await call('PUT', `/api/v1/task-sequences/${ids.ts}`, { baseRevision: 2, message: 'stale', sequence: seq });
    expect(stale.status).toBe(409);

    const history = await call('GET', `/api/v1/task-sequences/${ids.ts}/revisions`);
    expect(history.json.map((h: { revision: number; message: string }) => [h.revision, h.message])).toEqual(
      expect.arrayContaining([
        [1, expect.any(String)],
        [2, 'rename apply step'],
        [3, 'continue on error'],
      ]),
    );
    const diff = await call('GET', `/api/v1/task-sequences/${ids.ts}/diff?from=1&to=3`);
    const kinds = diff.json.changes.map((c: { kind: string }) => c.kind);
    expect(kinds).toEqual(expect.arrayContaining(['renamed', 'option-changed']));

    const rev = await call('POST', `/api/v1/task-sequences/${ids.ts}/revert`, { revision: 1 });
    expect(rev.json.revision.revision).toBe(4);
    expect((await call('GET', `/api/v1/task-sequences/${ids.ts}/diff?from=1&to=4`)).json.changes).toEqual([]);
    // The passwords survived the edits and the revert (sealed, not lost), yet no answer shows them.
    const { loadRevision } = await import('../../src/site/task-sequences/revisions.js');
    const withSecrets = JSON.stringify(await loadRevision(api.site, ids.ts, 4, { withSecrets: true }));
    expect(withSecrets).toContain(JOIN_PASSWORD);
    expect(withSecrets).toContain(ADMIN_PASSWORD);
  });

  it('distributes the content and deploys it; the manifest tells a UEFI x64 unknown computer what it will download', async () => {
    await call('POST', '/api/v1/distribution-points', { name: 'DP01', url: dp.url, pushToken: PUSH_TOKEN, pxeEnabled: true, unknownComputerSupport: true });
    const d = await call('POST', '/api/v1/distributions', {
      packageIds: [ids.boot, ids.osImage, ids.client, ids.usmt],
      distributionPoints: ['DP01'],
      wait: true,
    });
    expect(d.json.map((s: { state: string }) => s.state)).toEqual(['success', 'success', 'success', 'success']);

    const dep = await call('POST', '/api/v1/deployments', {
      taskSequenceId: ids.ts,
      collectionId: 'SMS000US',
      purpose: 'available',
      availability: 'clients-media-pxe',
    });
    expect(dep.status, dep.body).toBe(201);
    const m = await call('GET', `/api/v1/deployments/${dep.json.deployment.id}/content-manifest?architecture=x64&firmware=uefi&language=en-US`);
    expect(m.status, m.body).toBe(200);
    const pkgs = m.json.packages as Array<{ packageId: string; sizeBytes: number; distributionPoints: string[] }>;
    expect(pkgs.map((p) => p.packageId)).toEqual(expect.arrayContaining([ids.boot, ids.osImage, ids.client]));
    for (const p of pkgs) {
      expect(p.sizeBytes).toBeGreaterThan(0);
      expect(p.distributionPoints).toEqual(['DP01']);
    }
    expect(m.json.totals.totalBytes).toBe(pkgs.reduce((n, p) => n + p.sizeBytes, 0));
    expect(m.json.bootImage).toMatchObject({ packageId: ids.boot, pxeCompatible: true });

    // A Required deployment of this OS deployment to All Systems is refused (high risk, §4.5).
    const risky = await call('POST', '/api/v1/deployments', {
      taskSequenceId: ids.ts,
      collectionId: 'SMS00001',
      purpose: 'required',
      availability: 'clients-media-pxe',
      schedules: ['asap'],
    });
    expect(risky.status, risky.body).toBe(422);
    expect(risky.json.rule).toMatch(/All Systems/);
  });

  it('never shows a secret: not in any answer of this run, an export, or the audit log', async () => {
    for (const format of ['xml', 'wrapper', 'json', 'zip']) {
      const r = await call('GET', `/api/v1/task-sequences/${ids.ts}/export?format=${format}`);
      expect(r.status, `${format}: ${r.body.slice(0, 200)}`).toBe(200);
    }
    await call('GET', '/api/v1/audit?limit=1000');
    await call('GET', '/api/v1/collections/SMS000US/variables');
    await call('GET', '/api/v1/distribution-points');
    for (const r of answers) {
      for (const secret of [JOIN_PASSWORD, ADMIN_PASSWORD, MASKED_VALUE, PUSH_TOKEN]) expect(r.body.includes(secret), `${secret} in an answer`).toBe(false);
    }
    // Nor in the database in clear (the zip is compressed: checked through the stored rows instead).
    const dump = await api.site.db.query<{ t: string }>(
      `SELECT string_agg(t, ' ') AS t FROM (
         SELECT body::text AS t FROM task_sequence_revisions UNION ALL SELECT coalesce(secrets, '') FROM task_sequence_revisions
         UNION ALL SELECT value FROM collection_variables UNION ALL SELECT push_token FROM distribution_points UNION ALL SELECT details::text FROM audit_log) x`,
    );
    for (const secret of [JOIN_PASSWORD, ADMIN_PASSWORD, MASKED_VALUE, PUSH_TOKEN]) expect(dump.rows[0]!.t.includes(secret), secret).toBe(false);
  });
});
