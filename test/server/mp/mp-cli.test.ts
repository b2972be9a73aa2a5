/**
 * The administrator's management point commands against a listening server (PGlite only: the API
 * paths are covered on both databases in management-point.test.ts).
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerCollectionCommands } from '../../../src/cli/site/collection-commands.js';
import { registerManagementPointCommands } from '../../../src/cli/site/mp-commands.js';
import { startTestApi, type TestApi } from '../../site/helpers/site.js';

describe('osd device approve|refuse|revoke|clear-required|registration, osd collection clear-required, osd site set unknown-computers', () => {
  let api: TestApi;
  let server: string;

  async function osd(...args: string[]): Promise<{ out: string; error?: Error }> {
    const program = new Command('osd').exitOverride();
    registerCollectionCommands(program);
    registerManagementPointCommands(program);
    for (const c of program.commands) c.exitOverride();
    const chunks: string[] = [];
    const spy = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((c: string | Uint8Array) => (chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8')), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'osd', ...args, '--server', server, '--token', api.tokens['full-administrator']]);
      return { out: chunks.join('') };
    } catch (e) {
      return { out: chunks.join(''), error: e as Error };
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
  }

  beforeAll(async () => {
    api = await startTestApi('pglite');
    server = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => api?.close());

  it('sets unknown computers to manual, approves a pending device by name, revokes, refuses and clears', async () => {
    const set = await osd('site', 'set', 'unknown-computers', 'manual');
    expect(set.error).toBeUndefined();
    expect(set.out).toContain('unknown-computers: manual');
    expect((await osd('site', 'show')).out).toContain('unknown-computers: manual');
    expect((await osd('site', 'show')).out).toContain('registration-password: not set');
    const saved = process.env.OSD_REGISTRATION_PASSWORD;
    try {
      delete process.env.OSD_REGISTRATION_PASSWORD;
      expect((await osd('site', 'set', 'registration-password')).error?.message).toContain('OSD_REGISTRATION_PASSWORD');
      process.env.OSD_REGISTRATION_PASSWORD = 'Cli-Registr4tion!';
      expect((await osd('site', 'set', 'registration-password')).out).toContain('registration-password: set');
      expect((await osd('site', 'set', 'registration-password', '--clear')).out).toContain('registration-password: not set');
    } finally {
      if (saved === undefined) delete process.env.OSD_REGISTRATION_PASSWORD;
      else process.env.OSD_REGISTRATION_PASSWORD = saved;
    }
    const bad = await osd('site', 'set', 'unknown-computers', 'sometimes');
    expect(bad.error?.message).toContain('not one of auto, manual, refuse');

    const reg = await api.call('POST', '/mp/v1/register', {
      token: null,
      body: { macAddresses: ['00:15:5D:C1:00:01'], architecture: 'x64', firmware: 'uefi', environment: 'winpe', name: 'CLI-PC1' },
    });
    expect(reg.status).toBe(202);
    expect((await osd('device', 'registration', 'cli-pc1')).out).toContain('CLI-PC1: pending (registered on first contact)');
    const pending = await osd('device', 'registrations', '--pending');
    expect(pending.error).toBeUndefined();
    expect(pending.out).toContain(`${reg.json.resourceId} CLI-PC1: pending (registered on first contact), last contact`);
    expect(pending.out).toContain('[x64 uefi]');
    const approved = await osd('device', 'approve', 'CLI-PC1');
    expect(approved.error).toBeUndefined();
    expect(approved.out).toContain(`approved ${reg.json.resourceId} CLI-PC1: approved`);
    expect((await api.call('GET', '/mp/v1/policy?environment=winpe', { token: reg.json.credential })).status).toBe(200);

    expect((await osd('device', 'registrations', '--pending')).out).toContain('no device waits for approval');
    const revoked = await osd('device', 'revoke', String(reg.json.resourceId));
    expect(revoked.out).toContain('revoked 1 credential(s)');
    expect((await api.call('GET', '/mp/v1/policy?environment=winpe', { token: reg.json.credential })).status).toBe(401);

    expect((await osd('device', 'clear-required', 'CLI-PC1')).out).toContain('cleared 0 required deployment(s)');
    expect((await osd('collection', 'clear-required', 'SMS00001')).out).toContain('cleared 0 required deployment(s)');
    expect((await osd('device', 'refuse', 'CLI-PC1')).out).toContain('refused');
    const missing = await osd('device', 'approve', 'NO-SUCH-PC');
    expect(missing.error?.message).toContain('no device has this name');
  });
});
