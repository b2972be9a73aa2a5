// Install Application and Install Software Updates through the engine (simulate(...) with the
// ActionExecutor, as the lab and the agent compose it) on a refreshed computer in folders: an
// application returning 3010 restarts the computer and the same step runs again, carrying on with the
// next application; an update requiring a restart restarts the computer and the step scans again,
// installing nothing twice; the task sequence then goes on. The step state crosses the restart in
// the engine's journal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContentLibrary } from '../../../src/actions/content.js';
import { ActionExecutor } from '../../../src/actions/executor.js';
import { stepSimulators } from '../../../src/actions/handlers/index.js';
import type { ApplicationCatalog, SoftwareUpdateCatalog } from '../../../src/actions/services.js';
import { simulate } from '../../../src/engine/simulate/simulate.js';
import { installApplication, installSoftwareUpdates } from '../../../src/sequence/catalog/index.js';
import type { TaskSequence } from '../../../src/sequence/model/task-sequence.js';
import { profile, step } from './helpers.js';
import { installedComputer, packageFolder, tempDirs } from './software-fixtures.js';
import { createHash } from 'node:crypto';

const { tmp, cleanup } = tempDirs('osd-sw-engine-');
const cleanups: Array<() => void> = [cleanup];
afterAll(() => cleanups.forEach((c) => c()));

const model = (n: string) => `ScopeId_X/Application_${n}`;

describe('software steps through the engine', () => {
  it('3010 from an application and a restart-requiring update: the computer restarts, each step runs again and carries on; the sequence succeeds', async () => {
    const c = await installedComputer(tmp, 'x64', 'win10-x64-refresh.json');
    cleanups.push(c.cleanup);
    const app = (name: string, code: number) => ({
      folder: packageFolder(tmp, {
        'install.sh': `mkdir -p "$ProgramFiles/${name}"\necho ok > "$ProgramFiles/${name}/done.txt"\necho ${code} > "$OSD_EXIT_CODE_FILE"\n`,
      }),
      def: {
        modelName: model(name),
        name,
        allowTaskSequenceInstall: true,
        packageId: `PKG${name.toUpperCase()}`,
        dependencies: [],
        deploymentTypes: [
          {
            name: `${name} script`,
            technology: 'script',
            installCommand: 'sh install.sh',
            successCodes: [0],
            restartCodes: [3010],
            detectionMethod: { kind: 'file' as const, value: `%ProgramFiles%\\${name}\\done.txt` },
          },
        ],
      },
    });
    const apps = [app('Alpha', 3010), app('Bravo', 0)];
    const runs: string[] = [];
    const applications: ApplicationCatalog = {
      lookup: async (names) => {
        runs.push(`lookup ${names.join(',')}`);
        return { applications: apps.map((a) => a.def), refused: [], unknown: [] };
      },
      content: async (id) => apps.find((a) => a.def.packageId === id)!.folder,
    };
    const payload = 'payload';
    const updatesFolder = packageFolder(tmp, { 'kb1.msu': payload });
    const softwareUpdates: SoftwareUpdateCatalog = {
      deployed: async () => {
        runs.push('scan');
        return [
          {
            updateId: '11111111-0000-4000-8000-000000000001',
            articleId: '5000001',
            title: 'Cumulative Update',
            products: [],
            purpose: 'required',
            deadline: null,
            applicability: { architectures: [] },
            supersedes: [],
            packageId: 'SUP00001',
            files: [{ name: 'kb1.msu', size: payload.length, sha256: createHash('sha256').update(payload).digest('hex') }],
            restartRequired: true,
          },
        ];
      },
      content: async () => updatesFolder,
    };
    const ts: TaskSequence = {
      version: '3.10',
      items: [
        step(installApplication, { applications: [model('Alpha'), model('Bravo')], retryCount: 2 }, 'Install Applications'),
        step(installSoftwareUpdates, { target: 'Mandatory', retryCount: 2 }, 'Install Updates'),
      ],
    };
    const restarts: string[] = [];
    const report = await simulate(ts, {
      profile: profile('win10-x64-refresh.json'),
      steps: stepSimulators(),
      executor: (predicting) => new ActionExecutor(c.computer, new ContentLibrary(tmp()), predicting, { applications, softwareUpdates, workDir: tmp() }),
      restart: async (target) => {
        restarts.push(target);
      },
    });
    expect(report.result, report.log).toBe('success');
    expect(report.predictedSteps).toBe(0);
    expect(restarts).toEqual(['HD', 'HD']);
    expect(report.instructions.map((i) => [i.name, i.outcome, i.runs])).toEqual([
      ['Install Applications', 'ran', 2],
      ['Install Updates', 'ran', 2],
    ]);
    expect(runs).toEqual([`lookup ${model('Alpha')},${model('Bravo')}`, `lookup ${model('Alpha')},${model('Bravo')}`, 'scan', 'scan']);
    expect(report.variables._TSAppInstallStatus).toBe('Success');
    const root = join(c.computer.root, 'disk0', 'p1');
    expect(readFileSync(join(root, 'Program Files/Bravo/done.txt'), 'utf8')).toBe('ok\n');
    expect(report.log).toContain('Install Application continues after the restart: 1 application(s) already handled');
    expect(report.log).toContain('No update to install (1 installed before the restart)');
  });
});
