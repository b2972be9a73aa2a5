/**
 * `osd deploy status`, `osd device history`, `osd device log` and `osd deploy estimate` against a
 * real `osd server` process (PostgreSQL, so the test can hand its computers their credentials):
 * computers report through the management point over HTTP as agents do, the CLI shows it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/site/db/database.js';
import { openPostgres } from '../../src/site/db/postgres.js';
import { issueCredential } from '../../src/site/mp/credentials.js';
import { SYSTEM_ACTOR } from '../../src/site/security/roles.js';
import { callServer, newPostgresDatabase, runOsd, startServer, stopServer, type StartedServer } from '../helpers/osd-server.js';
import { tempDir } from '../helpers/temp.js';

const SEQUENCE = `<sequence version="3.10"><group name="Install Operating System">
<step type="SMS_TaskSequence_RunCommandLineAction" name="Partition"><action>cmd /c echo partition</action></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Surface drivers"><action>cmd /c echo drivers</action></step>
<step type="SMS_TaskSequence_RunCommandLineAction" name="Run Script"><action>cmd /c exit 1</action></step>
<step type="SMS_TaskSequence_RebootAction" name="Restart Computer"><action>smsboot.exe /target:WinPE</action><defaultVarList><variable name="SMSRebootMessage" property="Message"></variable><variable name="SMSRebootTimeout" property="MessageTimeout">60</variable><variable name="SMSRebootTarget" property="Target">HD</variable></defaultVarList></step>
</group></sequence>`;

describe('osd deploy status / device history / device log / deploy estimate against osd server', () => {
  let server: StartedServer;
  let db: Database;
  let deployment: string;
  const devices: Record<string, { resourceId: number; credential: string }> = {};
  let failedRun: string;

  const osd = (...args: string[]) => runOsd(...args, '--server', server.url, '--token', server.token);
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await callServer(server, method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
    return r.json;
  };
  const mp = async (name: string, method: string, path: string, body: { json?: unknown; text?: string }) => {
    const res = await fetch(`${server.url}/mp/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${devices[name]!.credential}`,
        'content-type': body.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json',
      },
      body: body.text ?? JSON.stringify(body.json),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    const url = await newPostgresDatabase('mon');
    server = await startServer(tempDir('osd-monitoring-'), ['--database', url]);
    db = await openPostgres(url);
    const collection = (await api('POST', '/collections', { name: 'Lab' })).collection.collectionId as string;
    for (const [name, mac] of [
      ['PC01', '00:15:5D:00:00:01'],
      ['PC02', '00:15:5D:00:00:02'],
      ['PC03', '00:15:5D:00:00:03'],
    ] as const) {
      const resourceId = (await api('POST', '/devices', { name, mac, collectionId: collection })).device.resourceId as number;
      devices[name] = { resourceId, credential: (await issueCredential(db, SYSTEM_ACTOR, resourceId, { replaceOthers: true })).credential };
    }
    const ts = (await api('POST', '/task-sequences', { name: 'Scripted install', format: 'xml', content: SEQUENCE })).taskSequence.id as string;
    deployment = (await api('POST', '/deployments', { taskSequenceId: ts, collectionId: collection })).deployment.id as string;

    // PC01 succeeds; PC02 fails at Run Script and uploads its log; PC03 never reports.
    let clock = Date.now() - 30 * 60 * 1000;
    const msg = (runId: string, kind: string, outcome: string, extra: Record<string, unknown> = {}) => ({
      id: randomUUID(),
      runId,
      deploymentId: deployment,
      time: new Date((clock += 5000)).toISOString(),
      kind,
      outcome,
      ...extra,
    });
    const step = (runId: string, index: number, name: string, outcome: string, extra: Record<string, unknown> = {}) =>
      msg(runId, 'step', outcome, {
        step: { index, name, group: 'Install Operating System', path: `Install Operating System / ${name}`, type: 'SMS_TaskSequence_RunCommandLineAction' },
        ...extra,
      });
    const ok = randomUUID();
    await mp('PC01', 'POST', '/status', {
      json: {
        messages: [
          msg(ok, 'run', 'started'),
          msg(ok, 'run', 'downloaded', { bytes: 40 * 1024 * 1024, seconds: 2 }),
          step(ok, 1, 'Partition', 'started'),
          step(ok, 1, 'Partition', 'succeeded', { exitCode: 0 }),
          step(ok, 2, 'Surface drivers', 'skipped', { reason: 'Model equals "Surface Pro 7"' }),
          msg(ok, 'run', 'succeeded'),
        ],
      },
    });
    failedRun = randomUUID();
    await mp('PC02', 'POST', '/status', {
      json: {
        messages: [
          msg(failedRun, 'run', 'started'),
          step(failedRun, 1, 'Partition', 'succeeded', { exitCode: 0 }),
          step(failedRun, 3, 'Run Script', 'started'),
          step(failedRun, 3, 'Run Script', 'failed', { exitCode: -2147467259, actionOutput: 'Access is denied.' }),
          msg(failedRun, 'run', 'failed', { exitCode: -2147467259 }),
        ],
      },
    });
    await mp('PC02', 'PUT', `/runs/${failedRun}/logs/smsts.log`, {
      text: '<![LOG[Failed to run the action: Run Script. Error -2147467259]LOG]!><time="08:00:01.000+000" date="12-07-2026" component="TSManager" context="" type="3" thread="1" file="">\n',
    });
  });
  afterAll(async () => {
    await db?.close();
    if (server) await stopServer(server.proc, 'SIGTERM');
  });

  it('osd deploy status: the counts table and the devices per category', async () => {
    const r = await osd('deploy', 'status', deployment);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Success\s+1\n/);
    expect(r.stdout).toMatch(/Error\s+1\n/);
    expect(r.stdout).toMatch(/Unknown\s+1\n/);
    expect(r.stdout).toMatch(/Total\s+3\n/);
    expect(r.stdout).toContain('PC03 (');
    expect(r.stdout).toContain('no status message yet');
    expect(r.stdout).toContain('The task sequence execution engine failed execution of a task sequence. The error code is 2147500037.');
    const json = JSON.parse((await osd('deploy', 'status', deployment, '--json')).stdout);
    expect(json.counts).toMatchObject({ success: 1, error: 1, unknown: 1, total: 3 });
  });

  it("osd device history by name or ResourceID: each step, its exit code and ConfigMgr's words", async () => {
    const r = await osd('device', 'history', 'pc02');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`run ${failedRun}`);
    expect(r.stdout).toContain('FAILED');
    expect(r.stdout).toMatch(/failed\s+0x80004005 \(2147500037\)\s+Install Operating System \/ Run Script/);
    expect(r.stdout).toContain(
      'The task sequence execution engine failed executing the action (Run Script) in the group (Install Operating System) with the error code 2147500037. Action output: Access is denied.',
    );
    expect(r.stdout).toContain('logs: smsts.log');
    const byId = await osd('device', 'history', String(devices.PC01!.resourceId));
    expect(byId.stdout).toContain(
      'The task sequence execution engine skipped the action (Surface drivers) in the group (Install Operating System) because the condition was evaluated to be false. Model equals "Surface Pro 7"',
    );
    expect(byId.stdout).toMatch(/succeeded\s+0x00000000 \(0\)\s+Install Operating System \/ Partition/);
    const unknown = await osd('device', 'history', 'NOSUCHPC');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no device is named "NOSUCHPC"');
  });

  it('osd device log prints the uploaded smsts.log; a device without one says so', async () => {
    const r = await osd('device', 'log', 'PC02');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Failed to run the action: Run Script');
    const byRun = await osd('device', 'log', 'PC02', '--run', failedRun, '--name', 'smsts.log');
    expect(byRun.stdout).toBe(r.stdout);
    const none = await osd('device', 'log', 'PC01');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no run of PC01 has a log named smsts.log');
  });

  it('osd deploy estimate: throughput measured by earlier downloads, the restarts the sequence makes', async () => {
    const r = await osd('deploy', 'estimate', deployment, '--device', 'PC03');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${deployment} on PC03`);
    expect(r.stdout).toContain('20.0 MB/s');
    expect(r.stdout).toContain('1 × 90 s: Install Operating System / Restart Computer');
    const json = JSON.parse((await osd('deploy', 'estimate', deployment, '--device', 'PC03', '--json')).stdout);
    expect(json.throughput.source).toBe('site');
    expect(json.restarts.count).toBe(1);
  });
});
