// Apply Windows Settings and Apply Network Settings through the Computer port: they edit the
// answer file Apply Operating System left on OSDTargetSystemDrive; their failures have codes.
import { afterAll, describe, expect, it } from 'vitest';
import { failureResult } from '../../../src/actions/errors.js';
import { ANSWER_FILE } from '../../../src/actions/handlers/answer-file.js';
import { applyNetworkSettingsHandler } from '../../../src/actions/handlers/apply-network-settings.js';
import { applyWindowsSettingsHandler } from '../../../src/actions/handlers/apply-windows-settings.js';
import { UnattendDocument } from '../../../src/actions/unattend/index.js';
import { applyNetworkSettings, applyWindowsSettings } from '../../../src/sequence/catalog/index.js';
import type { Step } from '../../../src/sequence/model/task-sequence.js';
import type { StepHandler } from '../../../src/actions/handler.js';
import { directoryComputer, execution, simulation, step } from './helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

/** C: formatted, with the answer file Apply Operating System writes. */
async function deployed(withAnswerFile = true) {
  const c = directoryComputer();
  cleanups.push(c.cleanup);
  const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
  await c.computer.format(v, 'NTFS', 'Windows');
  if (withAnswerFile) await (await c.computer.files(v)).writeFile(ANSWER_FILE, UnattendDocument.create('amd64').toXml());
  c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
  return c.computer;
}

async function run(handler: StepHandler<never>, s: Step, variables: Record<string, string>, computer?: Awaited<ReturnType<typeof deployed>>) {
  const c = computer ?? (await deployed());
  const m = execution(s, { variables });
  const result = await handler.run!({ x: m.x, computer: c, content: undefined as never }).catch(failureResult);
  const text = (await (await c.files({ disk: 0, partition: 1 })).readFile(ANSWER_FILE).catch(() => Buffer.from(''))).toString();
  return { result, m, text };
}

describe('Apply Windows Settings', () => {
  it('writes its values — overridden by variables of the same name — into the answer file', async () => {
    const s = step(applyWindowsSettings, { registeredOrgName: 'Contoso', timeZone: 'Pacific Standard Time', computerName: 'PC-%Serial%' });
    const { result, m, text } = await run(applyWindowsSettingsHandler as never, s, {
      OSDTargetSystemDrive: 'C:',
      Serial: '42',
      OSDTimeZone: 'W. Europe Standard Time',
    });
    expect(result).toEqual({ exitCode: 0 });
    expect(text).toMatch(/<RegisteredOrganization>Contoso<\/RegisteredOrganization>/);
    expect(text).toMatch(/<TimeZone>W\. Europe Standard Time<\/TimeZone>/);
    expect(text).toMatch(/<ComputerName>PC-42<\/ComputerName>/);
    expect(m.logs).toContain('info: Updated the answer file on C:');
  });

  it('fails without OSDTargetSystemDrive (0x80070490) or without the answer file (0x80070002)', async () => {
    const s = step(applyWindowsSettings, { registeredOrgName: 'Contoso' });
    expect((await run(applyWindowsSettingsHandler as never, s, {})).result).toMatchObject({
      exitCode: 0x80070490,
      message: expect.stringMatching(/Apply Operating System must run before/),
    });
    expect((await run(applyWindowsSettingsHandler as never, s, { OSDTargetSystemDrive: 'C:' }, await deployed(false))).result.exitCode).toBe(0x80070002);
    // A drive that does not exist: 0x80070003.
    expect((await run(applyWindowsSettingsHandler as never, s, { OSDTargetSystemDrive: 'E:' })).result).toMatchObject({
      exitCode: 0x80070003,
      message: expect.stringMatching(/there is no drive E:/),
    });
  });

  it('predicts that it writes the answer file', async () => {
    const { ctx, notes } = simulation(execution(step(applyWindowsSettings, {}), { variables: { OSDTargetSystemDrive: 'C:' } }));
    expect(await applyWindowsSettingsHandler.simulate!(ctx)).toEqual({ exitCode: 0 });
    expect(notes).toEqual(['writes its settings into the answer file on C:']);
  });
});

describe('Apply Network Settings', () => {
  it('writes the workgroup into the answer file', async () => {
    const s = step(applyNetworkSettings, { joinType: 'workgroup', workgroupName: 'LABWG', adapters: [] });
    const { result, text } = await run(applyNetworkSettingsHandler as never, s, { OSDTargetSystemDrive: 'C:' });
    expect(result).toEqual({ exitCode: 0 });
    expect(text).toMatch(/<JoinWorkgroup>LABWG<\/JoinWorkgroup>/);
  });

  it("a value the answer file cannot take is the UnattendError's code, 0x80070057", async () => {
    const s = step(applyNetworkSettings, { joinType: 'domain', adapters: [] });
    const { result } = await run(applyNetworkSettingsHandler as never, s, { OSDTargetSystemDrive: 'C:' });
    expect(result).toMatchObject({ exitCode: 0x80070057, message: expect.stringMatching(/OSDDomainName is empty/) });
  });

  it('predicts that it writes the answer file', async () => {
    const { ctx, notes } = simulation(execution(step(applyNetworkSettings, { adapters: [] })));
    expect(await applyNetworkSettingsHandler.simulate!(ctx)).toEqual({ exitCode: 0 });
    expect(notes).toEqual(['writes its settings into the answer file on OSDTargetSystemDrive (not set yet)']);
  });
});
