/**
 * Network boot's site side through the server (docs/network-boot.md), on both databases: a boot
 * environment registered as a boot image (bootimage.json checked against the files), the per-computer
 * iPXE script of GET /boot/v1/pxe.ipxe by osd-features §5.1 — Required boots, Available prompts with
 * the site's time-out, nothing to do / already run boots the disk (BIOS `exit`, UEFI localboot.efi),
 * a boot image not suited to the firmware refused before download, not PXE-enabled, unknown
 * computers refused by the setting — every decision audited, the query checked, and the boot files
 * served with Range only while their SHA-256 matches (409 otherwise). The DP client URL (C4).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_UNKNOWN_COMPUTERS } from '../../src/site/seed.js';
import { createAdminApi } from '../../src/server/api/app.js';
import { DB_KINDS, startTestApi, type TestApi } from './helpers/site.js';
import { fakeBootEnv, type FakeBootEnv } from './boot-fixtures.js';

const SET_VARIABLE_XML = `<sequence version="3.10"><group name="Deploy"><step type="SMS_TaskSequence_SetVariableAction" name="Set Marker"><action>tsenv.exe "OSDMarker=1"</action><defaultVarList><variable name="VariableName" property="VariableName">OSDMarker</variable><variable name="VariableValue" property="VariableValue">1</variable></defaultVarList></step></group></sequence>`;

const HOST = '10.0.2.2:8450';

describe.each(DB_KINDS)('network boot on %s', (kind) => {
  let api: TestApi;
  let env: FakeBootEnv;
  let bootEnv: string; // x64 boot environment, PXE-enabled
  let notPxe: string; // x64 boot environment, not PXE-enabled

  const script = async (query: string, host = HOST) => {
    const r = await api.call('GET', `/boot/v1/pxe.ipxe?${query}`, { token: null, headers: { host } });
    return r;
  };
  const efi = (mac: string, extra = '') => `mac=${mac}&uuid=&platform=efi&buildarch=x86_64${extra}`;
  const bios = (mac: string, arch = 'x64') => `mac=${mac}&uuid=&platform=pcbios&buildarch=i386&arch=${arch}`;
  const ts = async (name: string, bootImageId: string): Promise<string> => {
    const t = await api.call('POST', '/api/v1/task-sequences', { body: { name, format: 'xml', content: SET_VARIABLE_XML, bootImageId } });
    expect(t.status, JSON.stringify(t.json)).toBe(201);
    return t.json.taskSequence.id;
  };
  const deploy = async (body: Record<string, unknown>): Promise<string> => {
    const r = await api.call('POST', '/api/v1/deployments', { body: { confirmHighRisk: true, ...body } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.deployment.id as string;
  };
  const importPc = async (name: string, mac: string): Promise<number> => {
    const r = await api.call('POST', '/api/v1/devices', { body: { name, mac } });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.device.resourceId as number;
  };
  const collectionOf = async (name: string, resourceId: number): Promise<string> => {
    const c = await api.call('POST', '/api/v1/collections', { body: { name, rules: [{ kind: 'direct', resourceId }] } });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    return c.json.collection.collectionId;
  };

  beforeAll(async () => {
    api = await startTestApi(kind);
    env = fakeBootEnv();
    const added = await api.call('POST', '/api/v1/boot-images/boot-environment', { body: { sourcePath: env.dir, pxeEnabled: true } });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    bootEnv = added.json.packageId;
    const other = await api.call('POST', '/api/v1/boot-images/boot-environment', { body: { sourcePath: fakeBootEnv().dir, name: 'Not for PXE' } });
    expect(other.status, JSON.stringify(other.json)).toBe(201);
    notPxe = other.json.packageId;
  });
  afterAll(async () => api?.close());

  describe('boot environments as boot images', () => {
    it('records architecture, version, kernel release, hashes and the PXE flag from bootimage.json', async () => {
      const r = await api.call('GET', `/api/v1/boot-images/${bootEnv}`);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        name: 'OpenOSD boot environment (x64)',
        version: env.manifest.version,
        contentFileCount: 3,
        properties: {
          kind: 'boot-environment',
          architecture: 'x64',
          osVersion: '6.1.0-50-amd64',
          pxeEnabled: true,
          bootEnvironment: { kernel: { file: 'vmlinuz', sha256: env.manifest.kernel.sha256 }, initrd: { sha256: env.manifest.initrd.sha256 } },
        },
      });
      expect(r.json.contentSize).toBeGreaterThan(env.kernel.length + env.initrd.length);
      const list = await api.call('GET', '/api/v1/boot-images');
      expect(list.json.map((b: { packageId: string }) => b.packageId)).toEqual(expect.arrayContaining([bootEnv, notPxe]));
      const audit = await api.call('GET', `/api/v1/audit?objectType=boot-image&objectId=${bootEnv}`);
      expect(audit.json[0]).toMatchObject({ action: 'create', details: { kind: 'boot-environment', architecture: 'x64' } });
    });

    it('refuses a folder whose kernel or initramfs does not match bootimage.json, and a folder without one, naming the file', async () => {
      const changed = fakeBootEnv();
      writeFileSync(join(changed.dir, 'initrd.cpio.zst'), Buffer.from('not the initramfs the manifest names'));
      const r = await api.call('POST', '/api/v1/boot-images/boot-environment', { body: { sourcePath: changed.dir } });
      expect(r.status).toBe(400);
      expect(r.json.input).toBe(`${changed.dir}/initrd.cpio.zst`);
      expect(r.json.rule).toContain('does not match bootimage.json');
      const bare = fakeBootEnv();
      writeFileSync(join(bare.dir, 'bootimage.json'), '{"schema":"openosd.bootenv/v9"}');
      const bad = await api.call('POST', '/api/v1/boot-images/boot-environment', { body: { sourcePath: bare.dir } });
      expect(bad.status).toBe(400);
      expect(bad.json.input).toContain('bootimage.json schema');
      const both = await api.call('POST', '/api/v1/boot-images/boot-environment', { body: {} });
      expect(both.status).toBe(400);
    });

    it('changes only the PXE flag of a boot environment', async () => {
      const on = await api.call('PATCH', `/api/v1/boot-images/${notPxe}`, { body: { pxeEnabled: false } });
      expect(on.status, JSON.stringify(on.json)).toBe(200);
      const refused = await api.call('PATCH', `/api/v1/boot-images/${notPxe}`, { body: { scratchSpaceMb: 128 } });
      expect(refused.status).toBe(400);
      expect(refused.json.input).toBe('body.scratchSpaceMb');
      expect(refused.json.rule).toContain('not a Windows PE image');
    });
  });

  describe('the per-computer script', () => {
    let requiredUnknown: string;
    let known: number;
    let knownAvailable: string;
    let ran: number;
    let ranRequired: string;

    beforeAll(async () => {
      requiredUnknown = await deploy({
        taskSequenceId: await ts('Deploy unknown computers', bootEnv),
        collectionId: ALL_UNKNOWN_COMPUTERS,
        purpose: 'required',
        availability: 'media-pxe',
        schedules: ['asap'],
      });
      known = await importPc('PXE-AVAIL', '52:54:00:AA:00:01');
      knownAvailable = await deploy({
        taskSequenceId: await ts('Optional rebuild', bootEnv),
        collectionId: await collectionOf('PXE available', known),
        purpose: 'available',
        availability: 'clients-media-pxe',
      });
      ran = await importPc('PXE-RAN', '52:54:00:AA:00:02');
      ranRequired = await deploy({
        taskSequenceId: await ts('Ran already', bootEnv),
        collectionId: await collectionOf('PXE ran', ran),
        purpose: 'required',
        availability: 'media-pxe',
        schedules: ['asap'],
      });
      await importPc('PXE-NOTHING', '52:54:00:AA:00:03');
      expect((await api.call('PUT', '/api/v1/settings/network-boot', { body: { promptTimeoutSeconds: 3 } })).status).toBe(200);
    });

    it('an unknown UEFI x64 computer with a Required deployment boots the boot environment, URLs from the Host header (C1, C4)', async () => {
      const r = await script(efi('52:54:00:00:00:01'));
      expect(r.status, r.body).toBe(200);
      expect(r.headers['content-type']).toContain('text/plain');
      const site = `http://${HOST}`;
      expect(r.body.startsWith('#!ipxe\n')).toBe(true);
      expect(r.body).toContain(`Required deployment ${requiredUnknown}`);
      expect(r.body).toContain(
        `kernel --name vmlinuz ${site}/boot/v1/images/${bootEnv}/vmlinuz console=ttyS0 initrd=bootenv quiet osd.site=${site} osd.boot=pxe osd.bootimage=${bootEnv} || goto osd_failed`,
      );
      expect(r.body).toContain(`initrd --name bootenv ${site}/boot/v1/images/${bootEnv}/initrd.cpio.zst || goto osd_failed`);
      expect(r.body).not.toContain('prompt');
      // The same answer on another address: every URL follows the Host header.
      const other = await script(efi('52:54:00:00:00:01'), '192.168.77.1:8080');
      expect(other.body).toContain('osd.site=http://192.168.77.1:8080 ');
      const audit = await api.call('GET', `/api/v1/audit?objectType=pxe&objectId=${encodeURIComponent('52:54:00:00:00:01')}`);
      const entries = audit.json;
      expect(entries[0]).toMatchObject({
        action: 'pxe-boot',
        actor: 'network boot (PXE)',
        details: { bootImage: bootEnv, deploymentId: requiredUnknown, firmware: 'uefi' },
      });
    });

    it('a known computer with an Available deployment is asked for a key, with the site’s time-out, else its disk boots', async () => {
      const r = await script(efi('52-54-00-aa-00-01'));
      expect(r.status, r.body).toBe(200);
      expect(r.body).toMatch(
        /prompt --timeout 3000 Press any key for network boot \(OpenOSD boot environment \(x64\)\)\.\.\. && goto osd_netboot \|\| goto osd_local/,
      );
      expect(r.body).toContain(`Available deployment ${knownAvailable}`);
      expect(r.body.indexOf(':osd_local')).toBeLessThan(r.body.indexOf(':osd_netboot'));
      expect(r.body).toContain(`chain http://${HOST}/boot/v1/localboot.efi`);
      const preview = await api.call('GET', `/api/v1/network-boot/preview?mac=52:54:00:AA:00:01&platform=efi&buildarch=x86_64`);
      expect(preview.json).toMatchObject({
        action: 'prompt',
        device: { resourceId: known, name: 'PXE-AVAIL', unknown: false, matchedBy: 'mac' },
        prompt: { timeoutMs: 3000 },
      });
    });

    it('nothing deployed, or a Required deployment already run: the disk boots (BIOS exit, UEFI localboot.efi)', async () => {
      const nothingEfi = await script(efi('52:54:00:AA:00:03'));
      expect(nothingEfi.body).toContain('nothing to run from PXE: no task sequence is deployed to this computer');
      expect(nothingEfi.body).toContain(`chain http://${HOST}/boot/v1/localboot.efi || goto osd_exit`);
      expect(nothingEfi.body).not.toContain('kernel ');
      const nothingBios = await script(bios('52:54:00:AA:00:03'));
      expect(nothingBios.body.trim().split('\n').at(-1)).toBe('exit');
      expect(nothingBios.body).not.toContain('localboot');

      expect((await script(efi('52:54:00:AA:00:02'))).body).toContain(`kernel --name vmlinuz`);
      await api.site.db.query(
        `INSERT INTO runs (run_id, resource_id, deployment_id, started_at, ended_at, result) VALUES ($1, $2, $3, now() - interval '1 hour', now() - interval '30 minutes', 'succeeded')`,
        ['0b7c3a52-1a8f-4a55-9d36-00000000e001', ran, ranRequired],
      );
      const again = await script(efi('52:54:00:AA:00:02'));
      expect(again.body).toMatch(/already ran \(succeeded .*\); clear required PXE deployments to run it again; the disk boots/);
      expect(again.body).not.toContain('kernel ');
      const audit = await api.call('GET', `/api/v1/audit?objectType=pxe&objectId=${encodeURIComponent('52:54:00:AA:00:02')}`);
      expect(audit.json[0]).toMatchObject({ action: 'pxe-local', details: { resourceId: ran } });
    });

    it('refuses a boot image not suited to the firmware before any download (x86 BIOS, x86 UEFI) and says why', async () => {
      const x86bios = await script(bios('52:54:00:00:00:86', 'x86'));
      expect(x86bios.status).toBe(200);
      expect(x86bios.body).toContain(
        'no boot image suits this BIOS x86 computer: the offered boot images are x64; x86 BIOS boots only x86 boot images; nothing is downloaded',
      );
      expect(x86bios.body).not.toContain('/boot/v1/images/');
      const x86efi = await script('mac=52:54:00:00:00:87&platform=efi&buildarch=i386');
      expect(x86efi.body).toContain('UEFI boots only a boot image of its own architecture');
      expect(x86efi.body).not.toContain('/boot/v1/images/');
      // x64 BIOS may use it; a BIOS iPXE without cpuid is taken as it comes (§5.1 without the facts).
      expect((await script(bios('52:54:00:00:00:64'))).body).toContain(`/boot/v1/images/${bootEnv}/vmlinuz`);
    });

    it('a boot image not enabled for PXE, and unknown computers the site refuses, boot the disk with the reason', async () => {
      const pc = await importPc('PXE-NOTPXE', '52:54:00:AA:00:04');
      await deploy({
        taskSequenceId: await ts('No PXE image', notPxe),
        collectionId: await collectionOf('Not PXE', pc),
        purpose: 'required',
        availability: 'media-pxe',
        schedules: ['asap'],
      });
      const r = await script(efi('52:54:00:AA:00:04'));
      expect(r.body).toContain(`its boot image ${notPxe} is not enabled for PXE`);
      expect(r.body).not.toContain('kernel ');
      expect((await api.call('PUT', '/api/v1/settings/unknown-computers', { body: { unknownComputers: 'refuse' } })).status).toBe(200);
      try {
        const unknown = await script(efi('52:54:00:00:00:02'));
        expect(unknown.body).toContain('does not accept unknown computers');
      } finally {
        await api.call('PUT', '/api/v1/settings/unknown-computers', { body: { unknownComputers: 'auto' } });
      }
    });

    it('checks the query, naming the field (400), and the Host header', async () => {
      const bad = await script('mac=zz&platform=efi&buildarch=x86_64');
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ input: 'query.mac' });
      expect((await script('platform=efi&buildarch=x86_64')).json.input).toBe('query.mac');
      expect((await script('mac=52:54:00:00:00:01&platform=bios&buildarch=x86_64')).json.input).toBe('query.platform');
      expect((await script('mac=52:54:00:00:00:01&platform=efi&buildarch=mips')).json.input).toBe('query.buildarch');
      expect((await script('mac=52:54:00:00:00:01&uuid=nope&platform=efi&buildarch=x86_64')).json.input).toBe('query.uuid');
      expect((await script('mac=52:54:00:00:00:01&platform=efi&buildarch=i386&arch=ia64')).json.input).toBe('query.arch');
      const host = await script(efi('52:54:00:00:00:01'), 'evil host${x}');
      expect(host.status).toBe(400);
      expect(host.json.input).toBe('Host');
      // No credential needed, and an admin token is not what this route checks.
      expect((await api.call('GET', `/boot/v1/pxe.ipxe?${efi('52:54:00:00:00:01')}`, { headers: { host: HOST } })).status).toBe(200);
    });
  });

  describe('boot files', () => {
    const file = (path: string, headers: Record<string, string> = {}) => api.call('GET', `/boot/v1/images/${path}`, { token: null, headers });

    it('serves the kernel and the initramfs whole and by Range, with their SHA-256', async () => {
      const k = await file(`${bootEnv}/vmlinuz`);
      expect(k.status).toBe(200);
      expect(k.headers['x-content-sha256']).toBe(env.manifest.kernel.sha256);
      const whole = await api.app.inject({ method: 'GET', url: `/boot/v1/images/${bootEnv}/vmlinuz` });
      expect(whole.rawPayload.equals(env.kernel)).toBe(true);
      const part = await api.app.inject({
        method: 'GET',
        url: `/boot/v1/images/${bootEnv.toLowerCase()}/initrd.cpio.zst`,
        headers: { range: 'bytes=100-199' },
      });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 100-199/${env.initrd.length}`);
      expect(part.rawPayload.equals(env.initrd.subarray(100, 200))).toBe(true);
      expect((await file(`${bootEnv}/bootimage.json`)).status).toBe(404);
      expect((await file(`${bootEnv}/../../site.key`)).status).toBe(404);
      expect((await file(`NOPE0001/vmlinuz`)).status).toBe(404);
    });

    it('does not serve a file whose bytes no longer match the recorded hash (409), and the refusal is audited', async () => {
      const tampered = fakeBootEnv();
      const added = await api.call('POST', '/api/v1/boot-images/boot-environment', { body: { sourcePath: tampered.dir, pxeEnabled: true } });
      expect(added.status).toBe(201);
      const id = added.json.packageId as string;
      expect((await file(`${id}/initrd.cpio.zst`)).status).toBe(200);
      const blob = api.site.content.blobPath(tampered.manifest.initrd.sha256);
      const bytes = Buffer.from(tampered.initrd);
      bytes[1000] ^= 0xff;
      writeFileSync(blob, bytes);
      const r = await file(`${id}/initrd.cpio.zst`);
      expect(r.status).toBe(409);
      expect(r.json.rule).toContain(`not the recorded ${tampered.manifest.initrd.sha256}`);
      expect(r.json.rule).toContain('it is not served');
      const audit = await api.call('GET', `/api/v1/audit?objectType=boot-image&objectId=${id}`);
      expect(audit.json[0]).toMatchObject({ action: 'pxe-refuse-file', details: { file: 'initrd.cpio.zst' } });
      // The kernel, untouched, is still served.
      expect((await file(`${id}/vmlinuz`)).status).toBe(200);
    });
  });

  it('documents network boot in the OpenAPI document, without credentials', async () => {
    const doc = (await api.call('GET', '/api/v1/openapi.json')).json;
    expect(doc.paths['/boot/v1/pxe.ipxe'].get).toMatchObject({ tags: ['network boot'], security: [] });
    expect(doc.paths['/boot/v1/images/{packageId}/{file}'].get.responses['409']).toBeDefined();
    expect(doc.paths['/api/v1/boot-images/boot-environment'].post).toBeDefined();
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('limits script requests per client address (429)', async () => {
    const app = await createAdminApi(api.site, { networkBoot: { scriptsPerMinute: 2 } });
    try {
      const ask = () => app.inject({ method: 'GET', url: `/boot/v1/pxe.ipxe?${efi('52:54:00:00:00:09')}`, headers: { host: HOST } });
      expect((await ask()).statusCode).toBe(200);
      expect((await ask()).statusCode).toBe(200);
      const third = await ask();
      expect(third.statusCode).toBe(429);
      expect(third.json().rule).toContain('more than 2 boot requests a minute');
    } finally {
      await app.close();
    }
  });

  it('a distribution point’s client URL is what computers are given (C4)', async () => {
    const add = await api.call('POST', '/api/v1/distribution-points', {
      body: { name: 'lab-dp', url: 'http://127.0.0.1:8451', clientUrl: 'http://10.0.2.2:8451/', pushToken: 'p'.repeat(24), verify: false },
    });
    expect(add.status, JSON.stringify(add.json)).toBe(201);
    expect(add.json).toMatchObject({ url: 'http://127.0.0.1:8451', clientUrl: 'http://10.0.2.2:8451', clientUrlSet: true });
    const bad = await api.call('PATCH', '/api/v1/distribution-points/lab-dp', { body: { clientUrl: 'ftp://x' } });
    expect(bad.status).toBe(400);
    expect(bad.json.input).toBe('clientUrl');
    // The management point's content answer: the boot environment's package at the DP's client URL.
    await api.site.db.query(`INSERT INTO distribution_status (package_id, dp_name, source_version, state) VALUES ($1, 'lab-dp', 1, 'success')`, [bootEnv]);
    const reg = await api.call('POST', '/mp/v1/register', {
      token: null,
      body: { macAddresses: ['52:54:00:00:00:C4'], architecture: 'x64', firmware: 'uefi', environment: 'winpe' },
    });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    const { rows } = await api.site.db.query<{ deployment_id: string }>('SELECT deployment_id FROM deployments WHERE collection_id = $1', [
      ALL_UNKNOWN_COMPUTERS,
    ]);
    const content = await api.call('GET', `/mp/v1/deployments/${rows[0]!.deployment_id}/content`, { token: reg.json.credential });
    expect(content.status, JSON.stringify(content.json)).toBe(200);
    const pkg = content.json.packages.find((p: { packageId: string }) => p.packageId === bootEnv);
    expect(pkg.locations).toEqual([{ dp: 'lab-dp', url: `http://10.0.2.2:8451/content/${bootEnv}/` }]);
    const cleared = await api.call('PATCH', '/api/v1/distribution-points/lab-dp', { body: { clientUrl: '' } });
    expect(cleared.json).toMatchObject({ clientUrl: 'http://127.0.0.1:8451', clientUrlSet: false });
  });
});
