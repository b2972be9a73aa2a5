// The step types this system can only predict (no `run` yet): each prediction through a mock
// execution and the simulated computer — what it sets, when it fails, what it assumes.
import { describe, expect, it } from 'vitest';
import { captureNetworkSettingsHandler, captureWindowsSettingsHandler } from '../../../src/actions/handlers/capture-settings.js';
import { installApplicationHandler } from '../../../src/actions/handlers/install-application.js';
import { setDynamicVariablesHandler } from '../../../src/actions/handlers/set-dynamic-variables.js';
import { setupWindowsHandler } from '../../../src/actions/handlers/setup-windows.js';
import { requestStateStoreHandler } from '../../../src/actions/handlers/state-store.js';
import { upgradeOperatingSystemHandler } from '../../../src/actions/handlers/upgrade-operating-system.js';
import { captureUserStateHandler, restoreUserStateHandler } from '../../../src/actions/handlers/user-state.js';
import {
  captureNetworkSettings,
  captureUserState,
  captureWindowsSettings,
  installApplication,
  requestStateStore,
  restoreUserState,
  setDynamicVariables,
  setupWindows,
  upgradeOperatingSystem,
} from '../../../src/sequence/catalog/index.js';
import { execution, profile, simulation, step } from './helpers.js';

const refresh = () => profile('win10-x64-refresh.json');

describe('steps that are only predicted', () => {
  it('have no run: a real run reports them as predicted', () => {
    for (const h of [upgradeOperatingSystemHandler, setDynamicVariablesHandler]) {
      expect(h.run, h.definition.displayName).toBeUndefined();
      expect(h.simulate, h.definition.displayName).toBeTypeOf('function');
    }
  });

  it("Capture Windows / Network Settings: the installed OS's values, as the profile has them", async () => {
    const p = refresh();
    const w = execution(step(captureWindowsSettings, {}), { environment: 'FullOS' });
    const { ctx, notes } = simulation(w, { profile: p });
    expect(await captureWindowsSettingsHandler.simulate!(ctx)).toMatchObject({
      exitCode: 0,
      predicted: { assumed: [expect.stringMatching(/machine profile/)] },
    });
    expect(w.vars().OSDComputerName).toBe(p.currentOs!.computerName);
    expect(w.vars().OSDTimeZone).toBe(p.currentOs!.timeZone);
    expect(notes).toContain('sets OSDComputerName');

    const off = execution(step(captureWindowsSettings, { migrateComputerName: false, migrateTimeZone: false, migrateRegistrationInfo: false }), {
      environment: 'FullOS',
    });
    await captureWindowsSettingsHandler.simulate!(simulation(off, { profile: p }).ctx);
    expect(off.vars().OSDComputerName).toBeUndefined();

    const n = execution(step(captureNetworkSettings, {}), { environment: 'FullOS' });
    await captureNetworkSettingsHandler.simulate!(simulation(n, { profile: p }).ctx);
    if (p.currentOs!.domain) expect(n.vars()).toMatchObject({ OSDNetworkJoinType: '0', OSDDomainName: p.currentOs!.domain });
    else expect(n.vars()).toMatchObject({ OSDNetworkJoinType: '1', OSDWorkgroupName: p.currentOs!.workgroup });
    expect(n.vars().OSDAdapterCount).toBe('0');
  });

  it('Request State Store sets a made-up OSDStateStorePath; Capture/Restore User State fail without one', async () => {
    const capture = execution(step(captureUserState, {}), { variables: { _SMSTSMachineName: 'pc-07' } });
    expect(await captureUserStateHandler.simulate!(simulation(capture).ctx)).toMatchObject({
      exitCode: 0x80070057,
      message: expect.stringMatching(/OSDStateStorePath is not set/),
    });
    expect(await restoreUserStateHandler.simulate!(simulation(execution(step(restoreUserState, {}))).ctx)).toMatchObject({ exitCode: 0x80070057 });

    const request = execution(step(requestStateStore, {}), { variables: { _SMSTSMachineName: 'pc-07' } });
    expect(await requestStateStoreHandler.simulate!(simulation(request).ctx)).toMatchObject({
      exitCode: 0,
      predicted: { assumed: [expect.stringMatching(/made up/)] },
    });
    expect(request.vars().OSDStateStorePath).toBe('\\\\SMP01.contoso.com\\SMPSTOREC_PC-07$');

    const stored = execution(step(captureUserState, {}), { variables: { OSDStateStorePath: '\\\\smp\\store' } });
    const r = await captureUserStateHandler.simulate!(simulation(stored).ctx);
    expect(r).toMatchObject({ exitCode: 0, predicted: { assumed: [expect.stringMatching(/captures the chosen users' files/)] } });
    const restored = await restoreUserStateHandler.simulate!(
      simulation(execution(step(restoreUserState, {}), { variables: { OSDStateStorePath: 'D:\\state' } })).ctx,
    );
    expect(restored.predicted?.assumed[0]).toMatch(/restores the captured files/);
  });

  it('Set Dynamic Variables: the rules whose condition holds set their variables', async () => {
    const rule = (cond: string | undefined, name: string, value: string, isSecret = false) => ({ condition: cond, variables: [{ name, value, isSecret }] });
    const make = `<condition><expression type="SMS_TaskSequence_VariableConditionExpression"><variable name="Operator">equals</variable><variable name="Value">yes</variable><variable name="Variable">Flag</variable></expression></condition>`;
    const s = step(setDynamicVariables, {
      rules: [rule(undefined, 'Always', '1'), rule(make, 'WhenFlag', '2'), rule(make, 'Secret', 's3cr3t', true)],
    } as never);
    const yes = execution(s, { variables: { Flag: 'yes' } });
    const { ctx, notes } = simulation(yes);
    expect(await setDynamicVariablesHandler.simulate!(ctx)).toEqual({ exitCode: 0 });
    expect(yes.vars()).toMatchObject({ Always: '1', WhenFlag: '2', Secret: '********' });
    expect(notes).toEqual(['sets Always', 'sets WhenFlag', 'sets Secret (secret)']);
    const no = execution(s, { variables: { Flag: 'no' } });
    await setDynamicVariablesHandler.simulate!(simulation(no).ctx);
    expect(no.vars().WhenFlag).toBeUndefined();
    expect(no.vars().Always).toBe('1');
  });

  it("Setup Windows, Upgrade Operating System, Install Application: succeed, saying what they assume (their restarts are their definitions')", async () => {
    const setup = await setupWindowsHandler.simulate!(simulation(execution(step(setupWindows, {}))).ctx);
    expect(setup).toEqual({ exitCode: 0, predicted: { assumed: ['Windows setup and the ConfigMgr client installation succeed'] } });
    expect(setupWindows.restarts).toEqual({ into: 'FullOS', completesAfter: true });
    const upgrade = await upgradeOperatingSystemHandler.simulate!(
      simulation(execution(step(upgradeOperatingSystem, {} as never), { environment: 'FullOS' })).ctx,
    );
    expect(upgrade.predicted?.assumed[0]).toMatch(/upgrades/);
    expect(upgradeOperatingSystem.restarts).toEqual({ into: 'FullOS' });
    const apps = execution(step(installApplication, { applications: ['ScopeId_X/Application_1'] }), { environment: 'FullOS' });
    const { ctx, notes } = simulation(apps);
    // Install Application runs for real with a site (test/actions/handlers/install-application.test.ts); its prediction says what it assumes.
    expect((await installApplicationHandler.simulate!(ctx)).predicted?.assumed).toContain(
      'every installer returns a success code and its detection method finds it afterwards',
    );
    expect(notes).toEqual(['installs ScopeId_X/Application_1 (and their dependencies) unless already detected']);
  });
});
