// smsts.log onto the computer's disk where osd-features §6.1 puts it: nothing before there is a
// volume for it, _SMSTaskSequence\Logs\Smstslog before the client, CCM\Logs\SMSTSLog after, CCM\Logs at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { placeSmstsLog } from '../../../src/actions/os/smsts-log-copy.js';
import { directoryComputer } from '../handlers/helpers.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('placeSmstsLog', () => {
  it('follows the phase: staging folder, then the Windows volume, then the client', async () => {
    const c = directoryComputer();
    cleanups.push(c.cleanup);
    const logs = mkdtempSync(join(tmpdir(), 'osd-logs-'));
    cleanups.push(() => rmSync(logs, { recursive: true, force: true }));
    const files = [join(logs, 'smsts-20260101-000000.log'), join(logs, 'smsts.log')];
    writeFileSync(files[0], 'old part\r\n');
    writeFileSync(files[1], 'current\r\n');

    expect(await placeSmstsLog(c.computer, files, false)).toBeUndefined();
    const [v] = await c.computer.writeLayout(0, { style: 'gpt', partitions: [{ kind: 'primary', name: 'Windows' }] });
    await c.computer.format(v, 'NTFS', 'Windows');
    c.computer.setDrives([{ letter: 'C:', disk: 0, partition: 1 }]);
    expect(await placeSmstsLog(c.computer, files, false)).toBeUndefined();
    const vol = await c.computer.files(v);
    await vol.mkdirp('_SMSTaskSequence');
    expect(await placeSmstsLog(c.computer, files, false)).toBe('C:\\_SMSTaskSequence\\Logs\\Smstslog');
    expect((await vol.readFile('_SMSTaskSequence/Logs/Smstslog/smsts-20260101-000000.log')).toString()).toBe('old part\r\n');
    await vol.writeFile('Windows/System32/config/SYSTEM', 'REGEDIT4\r\n');
    expect(await placeSmstsLog(c.computer, files, true)).toBe('C:\\_SMSTaskSequence\\Logs\\Smstslog');
    await vol.mkdirp('Windows/CCM');
    expect(await placeSmstsLog(c.computer, files, false)).toBe('C:\\Windows\\CCM\\Logs\\SMSTSLog');
    expect(await placeSmstsLog(c.computer, files, true)).toBe('C:\\Windows\\CCM\\Logs');
    expect((await vol.readFile('Windows/CCM/Logs/smsts.log')).toString()).toBe('current\r\n');
    expect(c.computer.flushes).toBeGreaterThanOrEqual(4);
  });
});
