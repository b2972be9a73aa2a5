/**
 * The management point (docs/management-point.md) through the server, on both databases:
 * registration and identity lookup, unknown computers under the three settings, device
 * credentials (own device only, admin tokens refused, revoked → 401), policy (membership
 * re-evaluated, environments, availability window, already ran and cleared, unknown computers,
 * variables and secrets, pinned revision), the boot image, content locations, input limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_UNKNOWN_COMPUTERS } from '../../../src/site/seed.js';
import { importJsonText } from '../../../src/sequence/codec/json.js';
import { storedCollectionQuery } from '../../../src/site/collections/query/index.js';
import { lastRunOf } from '../../../src/site/mp/last-run.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addSiteObjects, expectNoSecret, JOIN_PASSWORD, LOCAL_ADMIN_PASSWORD, type SiteObjects, wizardAnswers } from '../../site/task-sequences/fixtures.js';

const SCRIPT_XML = (pkg: string) =>
  `<sequence version="3.10"><group name="Scripts"><step type="SMS_TaskSequence_InstallSoftwareAction" name="Install Tools"><action>smsswd.exe /pkg:${pkg} /install /labelname:Install</action><defaultVarList><variable name="PackageID" property="PackageID">${pkg}</variable><variable name="_SMSSWDProgramName" property="ProgramName">Install</variable></defaultVarList></step></group></sequence>`;

const GUID1 = '4C4C4544-0031-3010-8000-B1C04F000001';
const GUID2 = '4C4C4544-0031-3010-8000-B1C04F000002';
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

describe.each(DB_KINDS)('management point on %s', (kind) => {
  let api: TestApi;
  let o: SiteObjects;
  let osd: string; // wizard task sequence: boot image x64, secrets
  let x86ts: string; // script with the x86 boot image
  let pcs: string; // collection with PC01 and PC02 (direct rules)
  let pc01: number;
  let pc02: number;

  const register = (body: Record<string, unknown>, headers?: Record<string, string>) => api.call('POST', '/mp/v1/register', { token: null, body, headers });
  const mp = (method: string, path: string, credential: string | null, body?: unknown) => api.call(method, path, { token: credential, body });
  const setUnknown = (v: string) => api.call('PUT', '/api/v1/settings/unknown-computers', { body: { unknownComputers: v } });
  const importPc = async (name: string, mac?: string, smbiosGuid?: string): Promise<number> => {
    const r = await api.call('POST', '/api/v1/devices', { body: { name, mac, smbiosGuid } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.device.resourceId as number;
  };
  const deploy = async (body: Record<string, unknown>): Promise<string> => {
    const r = await api.call('POST', '/api/v1/deployments', { body: { confirmHighRisk: true, ...body } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.deployment.id as string;
  };
  const registerPc = async (mac: string, guid?: string, extra: Record<string, unknown> = {}) => {
    const r = await register({ macAddresses: [mac], smbiosGuid: guid, architecture: 'x64', firmware: 'uefi', environment: 'winpe', ...extra });
    expect([201, 202], JSON.stringify(r.json)).toContain(r.status);
    return r.json as {
      resourceId: number;
      credential: string;
      known: boolean;
      approval: string;
      unknownComputer: string | null;
      name: string;
      notes: string[];
    };
  };

  beforeAll(async () => {
    api = await startTestApi(kind);
    o = await addSiteObjects(api.site);
    osd = (await api.call('POST', '/api/v1/task-sequences/wizard/install-image', { body: wizardAnswers(o) })).json.taskSequence.id;
    const t = await api.call('POST', '/api/v1/task-sequences', {
      body: { name: 'Script x86', format: 'xml', content: SCRIPT_XML(o.toolsX86), bootImageId: o.bootX86 },
    });
    expect(t.status, JSON.stringify(t.json)).toBe(201);
    x86ts = t.json.taskSequence.id;
    pc01 = await importPc('PC01', '00:15:5D:00:00:01', GUID1);
    pc02 = await importPc('PC02', '00:15:5D:00:00:02', GUID2);
    const c = await api.call('POST', '/api/v1/collections', {
      body: {
        name: 'Desktops',
        variablePriority: 3,
        rules: [
          { kind: 'direct', resourceId: pc01 },
          { kind: 'direct', resourceId: pc02 },
        ],
      },
    });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    pcs = c.json.collection.collectionId;
  });
  afterAll(async () => api?.close());

  describe('registration and identity', () => {
    it('finds a known computer by SMBIOS GUID, or by MAC, and answers 201 with a device credential', async () => {
      const byGuid = await registerPc('00:15:5D:99:99:99', GUID1);
      expect(byGuid).toMatchObject({ resourceId: pc01, name: 'PC01', known: true, approval: 'approved', unknownComputer: null });
      expect(byGuid.credential).toMatch(/^osd-dev-[A-Za-z0-9_-]{43}$/);
      // Any spelling of the MAC, no GUID.
      const byMac = await registerPc('00-15-5d-00-00-02');
      expect(byMac).toMatchObject({ resourceId: pc02, known: true });
    });

    it('ignores a GUID or MAC shared by several devices, and placeholders, saying so in notes', async () => {
      const a = await importPc('SHAREA', '00:15:5D:00:0A:01');
      const b = await importPc('SHAREB', '00:15:5D:00:0B:01');
      await api.site.db.query(`INSERT INTO device_macs (mac, resource_id) VALUES ('00:15:5D:DD:DD:DD', $1), ('00:15:5D:DD:DD:DD', $2)`, [a, b]);
      await api.site.db.query(`UPDATE devices SET smbios_guid = $1 WHERE resource_id = ANY($2::bigint[])`, ['4C4C4544-0000-0000-0000-00000000DEAD', [a, b]]);
      // The shared GUID is ignored; the dock MAC is shared; SHAREB's own MAC wins.
      const r = await registerPc('00:15:5D:DD:DD:DD', '4C4C4544-0000-0000-0000-00000000DEAD', { macAddresses: ['00:15:5D:DD:DD:DD', '00:15:5D:00:0B:01'] });
      expect(r.resourceId).toBe(b);
      expect(r.notes.join('\n')).toContain('shared by several devices');
      expect(r.notes.join('\n')).toContain('00:15:5D:DD:DD:DD is shared by 2 devices');
      // MACs that name different devices: none is used; an unknown computer is registered.
      const both = await registerPc('00:15:5D:00:0A:01', undefined, { macAddresses: ['00:15:5D:00:0A:01', '00:15:5D:00:0B:01'] });
      expect(both.known).toBe(false);
      expect(both.notes.join('\n')).toContain('name different devices');
      // A placeholder GUID never matches; with only placeholders the request is refused.
      const none = await register({ macAddresses: ['00:00:00:00:00:00'], smbiosGuid: ZERO_GUID, architecture: 'x64', firmware: 'bios', environment: 'winpe' });
      expect(none.status).toBe(400);
      expect(none.json.input).toBe('body.macAddresses');
    });

    it('registers an unknown computer under auto, manual and refuse', async () => {
      expect((await setUnknown('auto')).status).toBe(200);
      const auto = await register({ macAddresses: ['00:15:5D:AA:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' });
      expect(auto.status).toBe(201);
      expect(auto.json).toMatchObject({ known: false, unknownComputer: 'x64', approval: 'approved' });
      expect(auto.json.name).toMatch(/^MININT-[A-Z0-9]{7}$/);
      // Registering again finds the record it made; the older credential is revoked.
      const again = await register({ macAddresses: ['00:15:5D:AA:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' });
      expect(again.json).toMatchObject({ resourceId: auto.json.resourceId, known: false, unknownComputer: 'x64' });
      const old = await mp('GET', '/mp/v1/registration', auto.json.credential);
      expect(old.status).toBe(401);
      expect(old.json.rule).toContain('credential-revoked');

      expect((await setUnknown('manual')).status).toBe(200);
      const manual = await register({ macAddresses: ['00:15:5D:AA:00:02'], architecture: 'x86', firmware: 'bios', environment: 'winpe', name: 'LAB-PC7' });
      expect(manual.status).toBe(202);
      expect(manual.json).toMatchObject({ name: 'LAB-PC7', approval: 'pending', unknownComputer: 'x86' });
      const state = await mp('GET', '/mp/v1/registration', manual.json.credential);
      expect(state.status).toBe(200);
      expect(state.json).toMatchObject({ approval: 'pending', unknown: true });
      const pendingPolicy = await mp('GET', '/mp/v1/policy?environment=winpe', manual.json.credential);
      expect(pendingPolicy.status).toBe(403);
      expect(pendingPolicy.json.rule).toContain('device-pending');
      const pending = await api.call('GET', '/api/v1/devices/registrations?approval=pending');
      expect(pending.json.map((d: { resourceId: number }) => d.resourceId)).toEqual([manual.json.resourceId]);
      expect((await api.call('GET', '/api/v1/devices/registrations?approval=maybe')).json.input).toBe('query.approval');
      const approved = await api.call('POST', `/api/v1/devices/${manual.json.resourceId}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.json.approval).toBe('approved');
      expect((await mp('GET', '/mp/v1/policy?environment=winpe', manual.json.credential)).status).toBe(200);
      // Refused: credentials revoked, registering again refused.
      const refused = await api.call('POST', `/api/v1/devices/${manual.json.resourceId}/refuse`);
      expect(refused.json.approval).toBe('refused');
      expect((await mp('GET', '/mp/v1/policy?environment=winpe', manual.json.credential)).status).toBe(401);
      const back = await register({ macAddresses: ['00:15:5D:AA:00:02'], architecture: 'x86', firmware: 'bios', environment: 'winpe' });
      expect(back.status).toBe(403);
      expect(back.json.rule).toContain('device-refused');

      expect((await setUnknown('refuse')).status).toBe(200);
      const before = Number((await api.site.db.query<{ n: number }>('SELECT count(*)::int AS n FROM devices')).rows[0]!.n);
      const refuse = await register({ macAddresses: ['00:15:5D:AA:00:03'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' });
      expect(refuse.status).toBe(403);
      expect(refuse.json.rule).toContain('unknown-computers-refused');
      expect(Number((await api.site.db.query<{ n: number }>('SELECT count(*)::int AS n FROM devices')).rows[0]!.n)).toBe(before);
      // A known computer still registers.
      expect((await register({ macAddresses: ['00:15:5D:00:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'os' })).status).toBe(201);
      expect((await setUnknown('auto')).status).toBe(200);
      expect((await api.call('GET', '/api/v1/settings/unknown-computers')).json).toEqual({ unknownComputers: 'auto' });
    });

    it('refuses malformed or oversized registrations naming the field', async () => {
      const base = { macAddresses: ['00:15:5D:00:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, macAddresses: ['not-a-mac'] }, 'body.macAddresses.0'],
        [{ ...base, macAddresses: Array.from({ length: 33 }, (_, i) => `00:15:5D:00:01:${String(i).padStart(2, '0')}`) }, 'body.macAddresses'],
        [{ ...base, macAddresses: ['0'.repeat(65)] }, 'body.macAddresses.0'],
        [{ ...base, smbiosGuid: 'nope' }, 'body.smbiosGuid'],
        [{ ...base, architecture: 'mips' }, 'body.architecture'],
        [{ ...base, firmware: undefined }, 'body.firmware'],
        [{ ...base, environment: 'dos' }, 'body.environment'],
        [{ ...base, name: 'A-NAME-LONGER-THAN-15' }, 'body.name'],
        [{ ...base, extra: 1 }, 'body.extra'],
      ];
      for (const [body, input] of cases) {
        const r = await register(body);
        expect(r.status, `${input}: ${JSON.stringify(r.json)}`).toBe(400);
        expect(r.json.input, JSON.stringify(r.json)).toBe(input);
      }
      const huge = await register({ ...base, name: 'x'.repeat(70_000) });
      expect(huge.status).toBe(413);
      expect(huge.json.input).toBe('request body');
      const notJson = await api.call('POST', '/mp/v1/register', { token: null, payload: '{', headers: { 'content-type': 'application/json' } });
      expect(notJson.status).toBe(400);
    });
  });

  describe('registration password', () => {
    it('registers only with the password once one is set; it is never shown or audited', async () => {
      const body = { macAddresses: ['00:15:5D:00:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' };
      const secret = 'PXE-like-Passw0rd!';
      expect((await api.call('PUT', '/api/v1/settings/registration-password', { body: { password: 'short' } })).json.input).toBe('body.password');
      const set = await api.call('PUT', '/api/v1/settings/registration-password', { body: { password: secret } });
      expect(set.status).toBe(200);
      expect(set.json).toEqual({ registrationPassword: true });
      const none = await register(body);
      expect(none.status).toBe(401);
      expect(none.json.input).toBe('body.password');
      expect(none.json.rule).toContain('registration-password-required');
      const wrong = await register({ ...body, password: 'not-the-password' });
      expect(wrong.status).toBe(401);
      expect(wrong.json.rule).toContain('registration-password-wrong');
      expect((await register({ ...body, password: secret })).status).toBe(201);
      expect((await api.call('GET', '/api/v1/settings/registration-password')).json).toEqual({ registrationPassword: true });
      expectNoSecret(JSON.stringify((await api.call('GET', '/api/v1/audit?limit=1000')).json), 'audit', [secret]);
      const stored = await api.site.db.query<{ value: unknown }>(`SELECT value FROM site_settings WHERE key = 'registration_password'`);
      expectNoSecret(JSON.stringify(stored.rows), 'site_settings', [secret]);
      expect((await api.call('PUT', '/api/v1/settings/registration-password', { body: { password: null } })).json).toEqual({ registrationPassword: false });
      expect((await register(body)).status).toBe(201);
    });
  });

  describe('credentials', () => {
    it('refuses admin tokens on /mp/v1 and device credentials on /api/v1; a revoked credential is 401', async () => {
      const pc = await registerPc('00:15:5D:00:00:01', GUID1);
      const admin = await mp('GET', '/mp/v1/policy?environment=winpe', api.tokens['full-administrator']);
      expect(admin.status).toBe(401);
      expect(admin.json.rule).toContain('device credentials only');
      const none = await mp('GET', '/mp/v1/policy?environment=winpe', null);
      expect(none.status).toBe(401);
      const onAdmin = await api.call('GET', '/api/v1/site', { token: pc.credential });
      expect(onAdmin.status).toBe(401);
      expect(onAdmin.json.rule).toContain('management point only');
      const wrong = await mp('GET', '/mp/v1/policy?environment=winpe', 'osd-dev-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      expect(wrong.status).toBe(401);

      // Rotate: the new credential works, the old one does not.
      const rotated = await mp('POST', '/mp/v1/credential/rotate', pc.credential);
      expect(rotated.status).toBe(200);
      expect((await mp('GET', '/mp/v1/registration', pc.credential)).status).toBe(401);
      expect((await mp('GET', '/mp/v1/registration', rotated.json.credential)).json.resourceId).toBe(pc01);

      const revoke = await api.call('DELETE', `/api/v1/devices/${pc01}/credentials`);
      expect(revoke.status).toBe(200);
      expect(revoke.json).toMatchObject({ resourceId: pc01, revoked: 1 });
      const after = await mp('GET', '/mp/v1/policy?environment=winpe', rotated.json.credential);
      expect(after.status).toBe(401);
      expect(after.json.rule).toContain('credential-revoked');
      // The analyst cannot revoke; the audit names the credential's id, never its value.
      expect((await api.call('DELETE', `/api/v1/devices/${pc01}/credentials`, { token: api.tokens['read-only-analyst'] })).status).toBe(403);
      const auditText = JSON.stringify((await api.call('GET', `/api/v1/audit?objectType=device&objectId=${pc01}`)).json);
      expect(auditText).not.toContain(rotated.json.credential);
      expect(auditText).not.toContain(pc.credential);
      expect(auditText).toContain('revoke-credentials');
    });

    it('keeps the credential hashed, and deletes credentials ended more than a week ago', async () => {
      const pc = await registerPc('00:15:5D:00:00:02');
      const { rows } = await api.site.db.query<{ credential_hash: string }>('SELECT credential_hash FROM device_credentials');
      expect(rows.some((r) => r.credential_hash.includes(pc.credential.slice(8)))).toBe(false);
      await api.site.db.query(`UPDATE device_credentials SET revoked_at = now() - interval '8 days' WHERE resource_id = $1 AND revoked_at IS NOT NULL`, [pc02]);
      const old = Number(
        (await api.site.db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_credentials WHERE resource_id = $1', [pc02])).rows[0]!.n,
      );
      expect(old).toBeGreaterThan(1);
      await registerPc('00:15:5D:00:00:02');
      const { rows: left } = await api.site.db.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM device_credentials WHERE resource_id = $1', [pc02]);
      // The one just revoked and the new one.
      expect(left.length).toBe(2);
    });
  });

  describe('policy, sequence and content', () => {
    let required: string;
    let available: string;
    let future: string;
    let expired: string;
    let queryDep: string;
    let unknownDep: string;
    let cred01: string;
    let cred02: string;

    beforeAll(async () => {
      required = await deploy({ taskSequenceId: osd, revision: 1, collectionId: pcs, purpose: 'required', availability: 'media-pxe', schedules: ['asap'] });
      available = await deploy({ taskSequenceId: x86ts, collectionId: pcs, purpose: 'available', availability: 'clients' });
      future = await deploy({ taskSequenceId: x86ts, collectionId: pcs, availability: 'clients-media-pxe', availableAt: '2099-01-01T00:00:00Z' });
      expired = await deploy({ taskSequenceId: x86ts, collectionId: pcs, availability: 'clients-media-pxe' });
      await api.site.db.query(`UPDATE deployments SET settings = jsonb_set(settings, '{expiresAt}', '"2020-01-01T00:00:00.000Z"') WHERE deployment_id = $1`, [
        expired,
      ]);
      // A query collection made before the device it matches exists.
      const q = await api.call('POST', '/api/v1/collections', {
        body: { name: 'Query PCs', variablePriority: 9, rules: [{ kind: 'query', query: `select * from SMS_R_System where Name like 'QPC%'` }] },
      });
      expect(q.status, JSON.stringify(q.json)).toBe(201);
      queryDep = await deploy({ taskSequenceId: x86ts, collectionId: q.json.collection.collectionId, availability: 'clients-media-pxe' });
      unknownDep = await deploy({ taskSequenceId: x86ts, collectionId: ALL_UNKNOWN_COMPUTERS, availability: 'media-pxe' });
      // Variables: collection (masked secret and plain), the unknown collection's, and a device variable.
      await api.call('PUT', `/api/v1/collections/${pcs}/variables/OSDJoinPassword`, { body: { value: 'Coll3ction-Secret!', masked: true } });
      await api.call('PUT', `/api/v1/collections/${pcs}/variables/OSDSite`, { body: { value: 'collection' } });
      await api.call('PUT', `/api/v1/collections/${ALL_UNKNOWN_COMPUTERS}/variables/OSDUnknown`, { body: { value: 'yes' } });
      await api.call('PUT', `/api/v1/devices/${pc01}/variables/OSDSite`, { body: { value: 'device' } });
      await api.call('PUT', `/api/v1/devices/${pc01}/variables/OSDComputerName`, { body: { value: 'PC01' } });
      cred01 = (await registerPc('00:15:5D:00:00:01', GUID1)).credential;
      cred02 = (await registerPc('00:15:5D:00:00:02', GUID2)).credential;
    });

    const policy = async (cred: string, environment: string) => {
      const r = await mp('GET', `/mp/v1/policy?environment=${environment}`, cred);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json as {
        device: { resourceId: number; unknown: boolean };
        deployments: Array<{ deploymentId: string; offered: boolean; reason: string; revision: number; lastRun: unknown }>;
        variables: Array<{ name: string; value: string; secret: boolean; source: string }>;
        bootImage: { packageId: string; architecture: string; rule: string } | null;
        notes: string[];
      };
    };
    const byId = (p: Awaited<ReturnType<typeof policy>>, id: string) => p.deployments.find((d) => d.deploymentId === id);

    it('offers by environment and availability window (winpe: media and PXE; os: clients)', async () => {
      const pe = await policy(cred01, 'winpe');
      expect(pe.device.resourceId).toBe(pc01);
      expect(byId(pe, required)).toMatchObject({ offered: true, reason: 'Required, available to media and PXE' });
      expect(byId(pe, available)).toMatchObject({ offered: false });
      expect(byId(pe, available)!.reason).toContain('not offered to media and PXE');
      expect(byId(pe, future)!.offered).toBe(false);
      expect(byId(pe, future)!.reason).toContain('not available until 2099');
      expect(byId(pe, expired)!.offered).toBe(false);
      expect(byId(pe, expired)!.reason).toContain('expired');
      expect(byId(pe, unknownDep)).toBeUndefined();
      expect(byId(pe, queryDep)).toBeUndefined();
      const os = await policy(cred01, 'os');
      expect(byId(os, required)!.offered).toBe(false);
      expect(byId(os, available)).toMatchObject({ offered: true });
      const bad = await mp('GET', '/mp/v1/policy?environment=dos', cred01);
      expect(bad.status).toBe(400);
      expect(bad.json.input).toBe('query.environment');
      expect((await mp('GET', '/mp/v1/policy', cred01)).json.input).toBe('query.environment');
    });

    it('re-evaluates membership for the device first: a query rule picks up a new device', async () => {
      const q = await importPc('QPC01', '00:15:5D:00:0C:01');
      const cred = (await registerPc('00:15:5D:00:0C:01')).credential;
      const p = await policy(cred, 'winpe');
      expect(p.device.resourceId).toBe(q);
      expect(byId(p, queryDep)).toMatchObject({ offered: true });
      // Renamed out of the rule: it leaves the collection at its next policy request.
      expect((await api.call('PATCH', `/api/v1/devices/${q}`, { body: { name: 'XPC01' } })).status).toBe(200);
      expect(byId(await policy(cred, 'winpe'), queryDep)).toBeUndefined();
      // A stored rule that no longer compiles does not take the policy down.
      expect(() => storedCollectionQuery('select * from SMS_R_System where Name = ', 'PS100001', 1)).toThrow();
      await api.site.db.query(`UPDATE collection_rules SET query = 'select * from SMS_R_System where Name = ' WHERE kind = 'query'`);
      expect((await mp('GET', '/mp/v1/policy?environment=winpe', cred)).status).toBe(200);
      await api.site.db.query(`UPDATE collection_rules SET query = $1 WHERE kind = 'query'`, [`select * from SMS_R_System where Name like 'QPC%'`]);
    });

    it('gives variables by collection priority then device; secret values only to the device', async () => {
      const p = await policy(cred01, 'winpe');
      const v = Object.fromEntries(p.variables.map((x) => [x.name, x]));
      expect(v.OSDSite).toMatchObject({ value: 'device', source: 'device' });
      expect(v.OSDJoinPassword).toMatchObject({ value: 'Coll3ction-Secret!', secret: true, source: `collection ${pcs} (priority 3)` });
      expect(v.OSDComputerName!.value).toBe('PC01');
      expect(v.OSDUnknown).toBeUndefined();
      // The admin API never shows the masked value; the audit never holds it.
      expectNoSecret(JSON.stringify((await api.call('GET', `/api/v1/collections/${pcs}/variables`)).json), 'admin API', ['Coll3ction-Secret!']);
      expectNoSecret(JSON.stringify((await api.call('GET', '/api/v1/audit?limit=1000')).json), 'audit', [
        'Coll3ction-Secret!',
        LOCAL_ADMIN_PASSWORD,
        JOIN_PASSWORD,
      ]);
    });

    it("serves the pinned revision's sequence with secrets opened, and 404 for another device's deployment", async () => {
      // A new revision after the deployment: the device still gets the pinned one.
      const before = await mp('GET', `/mp/v1/deployments/${required}/sequence`, cred01);
      expect(before.status, JSON.stringify(before.json)).toBe(200);
      expect(before.json).toMatchObject({ deploymentId: required, taskSequenceId: osd, revision: 1 });
      const text = JSON.stringify(before.json.sequence);
      expect(text).toContain(JOIN_PASSWORD);
      expect(text).toContain(LOCAL_ADMIN_PASSWORD);
      expect(before.json.secretVariables).toEqual(['OSDJoinPassword', 'OSDLocalAdminPassword']);
      // The agent reads it back as the model.
      expect(importJsonText(JSON.stringify(before.json.sequence)).items.length).toBeGreaterThan(0);
      const saved = await api.call('PUT', `/api/v1/task-sequences/${osd}`, { body: { baseRevision: 1, format: 'xml', content: SCRIPT_XML(o.toolsX86) } });
      expect(saved.status, JSON.stringify(saved.json)).toBeLessThan(300);
      const after = await mp('GET', `/mp/v1/deployments/${required}/sequence`, cred01);
      expect(after.json.revision).toBe(1);
      expect(JSON.stringify(after.json.sequence)).toContain('Apply Operating System');
      expect(JSON.stringify(after.json.sequence)).not.toContain('Install Tools');
      expect(byId(await policy(cred01, 'winpe'), required)!.revision).toBe(1);
      // Another device's deployment (or one that does not exist) is 404, in the same words.
      const other = await mp('GET', `/mp/v1/deployments/${queryDep}/sequence`, cred01);
      expect(other.status).toBe(404);
      const missing = await mp('GET', '/mp/v1/deployments/PS1FFFFF/sequence', cred01);
      expect(missing.status).toBe(404);
      expect(missing.json.rule).toBe(other.json.rule);
      expect((await mp('GET', `/mp/v1/deployments/${queryDep}/content`, cred01)).status).toBe(404);
      const long = await mp('GET', `/mp/v1/deployments/${'X'.repeat(9)}/sequence`, cred01);
      expect(long.status).toBe(400);
      expect(long.json.input).toBe('params.deploymentId');
    });

    it('lists content files with SHA-256 and the distribution points holding each package', async () => {
      const r = await mp('GET', `/mp/v1/deployments/${required}/content?architecture=x64&firmware=uefi&language=en-US`, cred01);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const boot = r.json.packages.find((p: { packageId: string }) => p.packageId === o.bootX64);
      expect(boot.files.length).toBe(3);
      expect(boot.files[0]).toMatchObject({ path: 'f0.bin', sha256: expect.stringMatching(/^[0-9a-z]{64}$/) });
      expect(boot.locations).toEqual([
        { dp: 'DP01.contoso.com', url: `https://DP01.contoso.com:8451/content/${o.bootX64}/` },
        { dp: 'DP02.contoso.com', url: `https://DP02.contoso.com:8451/content/${o.bootX64}/` },
      ]);
      expect(r.json.bootImage).toMatchObject({ packageId: o.bootX64, pxeCompatible: true });
      expect(boot.architecture).toBe('x64');
      // What the agent checks before writing anything: the OS image's images and their architectures.
      const image = r.json.packages.find((p: { packageId: string }) => p.packageId === o.osImage);
      expect(image).toMatchObject({
        architecture: 'x64',
        images: [
          { index: 1, name: 'Windows 11 Education', architecture: 'x64' },
          { index: 2, name: 'Windows 11 Enterprise', architecture: 'x64' },
        ],
      });
      expect(image.locations.map((l: { dp: string }) => l.dp)).toEqual(['DP01.contoso.com', 'DP02.contoso.com']);
      expect(image.streamAnchor).toBeUndefined(); // a normal WIM: nothing to stream-check against
      const bad = await mp('GET', `/mp/v1/deployments/${required}/content?architecture=mips`, cred01);
      expect(bad.status).toBe(400);
      expect(bad.json.input).toBe('query.architecture');
      const long = await mp('GET', `/mp/v1/deployments/${required}/content?model=${'m'.repeat(300)}`, cred01);
      expect(long.status).toBe(400);
      expect(long.json.input).toBe('query.model');
    });

    it("gives a pipable OS image's stream anchor with the package (what a computer streaming it checks)", async () => {
      const anchor = { bytes: 11186, sha256: 'ab'.repeat(32) };
      await api.site.db.query(`UPDATE packages SET properties = properties || $2::jsonb WHERE package_id = $1`, [
        o.osImage,
        JSON.stringify({ streamAnchor: anchor }),
      ]);
      try {
        const r = await mp('GET', `/mp/v1/deployments/${required}/content?architecture=x64&firmware=uefi`, cred01);
        const image = r.json.packages.find((p: { packageId: string }) => p.packageId === o.osImage);
        expect(image.streamAnchor).toEqual({ file: 'install.wim', ...anchor });
      } finally {
        await api.site.db.query(`UPDATE packages SET properties = properties - 'streamAnchor' WHERE package_id = $1`, [o.osImage]);
      }
    });

    it('does not offer a Required deployment again in WinPE once it ran, until cleared (per device and per collection)', async () => {
      await api.site.db.query(`CREATE TABLE IF NOT EXISTS runs (run_id text PRIMARY KEY, resource_id bigint NOT NULL, deployment_id text NOT NULL,
        started_at timestamptz NOT NULL, ended_at timestamptz, result text NOT NULL DEFAULT 'in-progress')`);
      await api.site.db.query(
        `INSERT INTO runs (run_id, resource_id, deployment_id, started_at, ended_at, result) VALUES ($1, $2, $3, now() - interval '1 hour', now() - interval '30 minutes', 'succeeded')`,
        ['0b7c3a52-1a8f-4a55-9d36-000000000001', pc01, required],
      );
      const ran = await policy(cred01, 'winpe');
      expect(byId(ran, required)!.offered).toBe(false);
      expect(byId(ran, required)!.reason).toMatch(/^already ran \(succeeded .*\); clear required PXE deployments to run it again$/);
      expect(byId(ran, required)!.lastRun).toMatchObject({ result: 'succeeded' });
      expect(await lastRunOf(api.site.db, pc01, required)).toMatchObject({ runId: '0b7c3a52-1a8f-4a55-9d36-000000000001', result: 'succeeded' });
      expect(await lastRunOf(api.site.db, pc02, required)).toBeNull();
      // PC02 has not run it.
      expect(byId(await policy(cred02, 'winpe'), required)!.offered).toBe(true);
      const cleared = await api.call('POST', `/api/v1/devices/${pc01}/clear-required`);
      expect(cleared.status).toBe(200);
      expect(cleared.json.cleared).toEqual([{ resourceId: pc01, deploymentId: required }]);
      expect(byId(await policy(cred01, 'winpe'), required)!.offered).toBe(true);
      // It runs again, then the collection is cleared.
      await api.site.db.query(
        `INSERT INTO runs (run_id, resource_id, deployment_id, started_at, result) VALUES ($1, $2, $3, now() + interval '1 second', 'failed')`,
        ['0b7c3a52-1a8f-4a55-9d36-000000000002', pc01, required],
      );
      expect(byId(await policy(cred01, 'winpe'), required)!.offered).toBe(false);
      await new Promise((r) => setTimeout(r, 1100));
      const col = await api.call('POST', `/api/v1/collections/${pcs}/clear-required`);
      expect(col.status).toBe(200);
      expect(col.json.cleared).toContainEqual({ resourceId: pc01, deploymentId: required });
      expect(col.json.cleared).toContainEqual({ resourceId: pc02, deploymentId: required });
      expect(byId(await policy(cred01, 'winpe'), required)!.offered).toBe(true);
      expect((await api.call('POST', '/api/v1/collections/PS1FFFFF/clear-required')).status).toBe(404);
      expect((await api.call('POST', '/api/v1/devices/99999999999/clear-required')).status).toBe(404);
    });

    it('gives an unknown computer only deployments to unknown computers and collection variables only', async () => {
      const u = await register({ macAddresses: ['00:15:5D:EE:00:01'], architecture: 'x64', firmware: 'bios', environment: 'winpe' });
      expect(u.status).toBe(201);
      // A device variable on the unknown record does not apply (§3.2).
      await api.call('PUT', `/api/v1/devices/${u.json.resourceId}/variables/OSDDevice`, { body: { value: 'nope' } });
      const p = await policy(u.json.credential, 'winpe');
      expect(p.device.unknown).toBe(true);
      expect(p.deployments.map((d) => d.deploymentId)).toEqual([unknownDep]);
      expect(byId(p, unknownDep)!.offered).toBe(true);
      expect(p.variables.map((v) => v.name)).toEqual(['OSDUnknown']);
      // x64 BIOS: no x64 boot image offered, the x86 one is compatible.
      expect(p.bootImage).toMatchObject({ packageId: o.bootX86, architecture: 'x86' });
      expect(p.notes.join('\n')).toContain('x64 Unknown Computer');
      expect((await mp('GET', `/mp/v1/deployments/${required}/sequence`, u.json.credential)).status).toBe(404);
      // Imported over by an administrator: a known computer from then on.
      const imported = await api.call('POST', '/api/v1/devices', { body: { name: 'NOWKNOWN', mac: '00:15:5D:EE:00:01', overwriteExisting: true } });
      expect(imported.json).toMatchObject({ overwritten: true, device: { resourceId: u.json.resourceId } });
      const known = await policy(u.json.credential, 'winpe');
      expect(known.device.unknown).toBe(false);
      expect(byId(known, unknownDep)).toBeUndefined();
      expect(known.variables.map((v) => v.name)).toEqual(['OSDDevice']);
      // An x64 UEFI unknown computer cannot boot the x86 boot image.
      const uefi = await register({ macAddresses: ['00:15:5D:EE:00:02'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' });
      const pu = await policy(uefi.json.credential, 'winpe');
      expect(pu.bootImage).toBeNull();
      expect(pu.notes.join('\n')).toContain('UEFI boots only a boot image of its own architecture');
    });

    it('does not offer a deployment whose task sequence is disabled (§4.6)', async () => {
      const r = await api.call('PATCH', `/api/v1/task-sequences/${x86ts}`, { body: { disabled: true } });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const p = await policy(cred01, 'os');
      expect(byId(p, available)).toMatchObject({ offered: false });
      expect(byId(p, available)!.reason).toContain('disabled');
      expect((await api.call('PATCH', `/api/v1/task-sequences/${x86ts}`, { body: { disabled: false } })).status).toBe(200);
    });

    it('chooses the exact-architecture boot image first', async () => {
      // PC02 (x64 UEFI) is offered the Required x64 deployment in WinPE.
      const p = await policy(cred02, 'winpe');
      expect(p.bootImage).toMatchObject({ packageId: o.bootX64, architecture: 'x64' });
      expect(p.bootImage!.rule).toContain('exact architecture x64');
    });

    it('documents the management point in the OpenAPI document', async () => {
      const doc = (await api.call('GET', '/api/v1/openapi.json')).json;
      expect(doc.paths['/mp/v1/register'].post.tags).toEqual(['management point']);
      expect(doc.paths['/mp/v1/deployments/{deploymentId}/content'].get.security).toEqual([{ deviceCredential: [] }]);
      expect(doc.paths['/api/v1/devices/{resourceId}/approve']).toBeDefined();
      const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) =>
        Object.values(ops).map((op) => op.operationId),
      );
      expect(new Set(ids).size).toBe(ids.length);
      expect(doc.tags.map((t: { name: string }) => t.name)).toContain('management point');
    });
  });
});
