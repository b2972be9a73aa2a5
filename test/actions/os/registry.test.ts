// The offline registry over the test OS's hives (.reg text files on a real folder volume): reading
// the tree writeWindowsTree makes, changes saved only to the hives that changed, the .reg syntax
// (escapes, dword, hex(2)/hex(7)/hex(b), continuation lines, version 5.00 in UTF-16LE), and
// malformed hives refused with the file and line.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OfflineRegistry, parseReg, RegistryError } from '../../../src/actions/os/registry.js';
import { writeWindowsTree } from '../../../src/lab/test-content/windows-tree.js';
import { DirectoryVolume } from '../../../src/storage/volume/directory.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function testOs(arch: 'x64' | 'x86' = 'x64'): Promise<{ root: string; vol: DirectoryVolume }> {
  const root = mkdtempSync(join(tmpdir(), 'osd-reg-'));
  dirs.push(root);
  await writeWindowsTree(root, { index: 1, name: 'Windows 11 Enterprise', editionId: 'Enterprise' }, arch, 0);
  return { root, vol: new DirectoryVolume(root) };
}

const CV = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';

describe('OfflineRegistry on the test OS', () => {
  it('reads the SOFTWARE and SYSTEM hives the test image has', async () => {
    const { vol } = await testOs('x86');
    const reg = await OfflineRegistry.open(vol);
    expect(await reg.getString(CV, 'ProductName')).toBe('Windows 11 Enterprise');
    expect(await reg.get(CV, 'UBR')).toEqual({ type: 'REG_DWORD', data: 2428 });
    expect(await reg.getString('HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment', 'PROCESSOR_ARCHITECTURE')).toBe('x86');
    expect(await reg.keyExists('hklm\\software\\microsoft')).toBe(true);
    expect(await reg.subkeys('HKLM\\SOFTWARE\\Microsoft')).toEqual(['Windows NT']);
    expect(await reg.subkeys('HKLM\\SYSTEM\\ControlSet001\\Control')).toEqual(['Nls', 'ProductOptions', 'Session Manager']);
    expect((await reg.values(CV)).map((v) => v.name)).toContain('DisplayVersion');
    expect(await reg.get(CV, 'Nope')).toBeUndefined();
    expect(await reg.keyExists('HKLM\\SAM\\SAM')).toBe(false);
  });

  it('saves only the hives that changed, and reads back what it wrote', async () => {
    const { root, vol } = await testOs();
    const before = readFileSync(join(root, 'Windows/System32/config/SOFTWARE'));
    const reg = await OfflineRegistry.open(vol);
    await reg.set('HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName', 'ComputerName', 'PC-0042');
    await reg.set('HKLM\\SYSTEM\\Select', 'Current', 1);
    await reg.set('HKLM\\SAM\\SAM\\Domains\\Account\\Users\\Names\\Administrator', '', Buffer.from([1, 2, 3]));
    await reg.set('HKLM\\SYSTEM\\Setup', 'Path', '%SystemRoot%\\x "q"', 'REG_EXPAND_SZ');
    await reg.set('HKLM\\SYSTEM\\Setup', 'List', ['a', 'b c', 'ü']);
    await reg.set('HKLM\\SYSTEM\\Setup', 'Big', 2n ** 40n);
    await reg.set('HKLM\\SYSTEM\\Setup', 'Text', 'a "quoted" \\ back\\slash');
    await reg.set('HKLM\\SYSTEM\\Setup', 'Lines', 'one\r\ntwo');
    await reg.set(CV, 'ProductName', 'Windows 11 Enterprise'); // unchanged: SOFTWARE stays as it was
    expect(reg.changedHives().sort()).toEqual(['Windows/System32/config/SAM', 'Windows/System32/config/SYSTEM']);
    expect(await reg.save()).toEqual(['Windows/System32/config/SAM', 'Windows/System32/config/SYSTEM']);
    expect(readFileSync(join(root, 'Windows/System32/config/SOFTWARE')).equals(before)).toBe(true);
    expect(await reg.save()).toEqual([]);

    const again = await OfflineRegistry.open(new DirectoryVolume(root));
    expect(await again.getString('HKLM\\SYSTEM\\ControlSet001\\Control\\ComputerName\\ComputerName', 'ComputerName')).toBe('PC-0042');
    expect(await again.get('HKLM\\SAM\\SAM\\Domains\\Account\\Users\\Names\\Administrator', '')).toEqual({ type: 'REG_BINARY', data: Buffer.from([1, 2, 3]) });
    expect(await again.get('HKLM\\SYSTEM\\Setup', 'Path')).toEqual({ type: 'REG_EXPAND_SZ', data: '%SystemRoot%\\x "q"' });
    expect(await again.get('HKLM\\SYSTEM\\Setup', 'List')).toEqual({ type: 'REG_MULTI_SZ', data: ['a', 'b c', 'ü'] });
    expect(await again.get('HKLM\\SYSTEM\\Setup', 'Big')).toEqual({ type: 'REG_QWORD', data: 2n ** 40n });
    expect(await again.getString('HKLM\\SYSTEM\\Setup', 'Text')).toBe('a "quoted" \\ back\\slash');
    expect(await again.getString('HKLM\\SYSTEM\\Setup', 'Lines')).toBe('one\r\ntwo');
    // The header comment is kept; the file is still REGEDIT4 text.
    const text = readFileSync(join(root, 'Windows/System32/config/SYSTEM'), 'utf8');
    expect(text.startsWith('REGEDIT4\r\n; OpenOSD test image')).toBe(true);
    expect(text).toContain('[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\ComputerName\\ComputerName]\r\n"ComputerName"="PC-0042"');
    // The same changes make the same bytes (deterministic order).
    const { root: root2, vol: vol2 } = await testOs();
    const reg2 = await OfflineRegistry.open(vol2);
    await reg2.set('HKLM\\SYSTEM\\Setup', 'Lines', 'one\r\ntwo');
    await reg2.set('HKLM\\SYSTEM\\Setup', 'Text', 'a "quoted" \\ back\\slash');
    await reg2.set('HKLM\\SYSTEM\\Setup', 'Big', 2n ** 40n);
    await reg2.set('HKLM\\SYSTEM\\Setup', 'List', ['a', 'b c', 'ü']);
    await reg2.set('HKLM\\SYSTEM\\Setup', 'Path', '%SystemRoot%\\x "q"', 'REG_EXPAND_SZ');
    await reg2.set('HKLM\\SYSTEM\\Select', 'Current', 1);
    await reg2.set('HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName', 'ComputerName', 'PC-0042');
    await reg2.save();
    const lines = (t: string): string[] => t.split('\r\n').filter((l) => !l.startsWith(';'));
    // Keys in the same order; values in creation order.
    const keys = (t: string): string[] => lines(t).filter((l) => l.startsWith('['));
    expect(keys(readFileSync(join(root2, 'Windows/System32/config/SYSTEM'), 'utf8'))).toEqual(keys(text));
  });

  it('deletes values and keys, and follows Select\\Current for CurrentControlSet', async () => {
    const { vol } = await testOs();
    const reg = await OfflineRegistry.open(vol);
    await reg.set('HKLM\\SYSTEM\\Select', 'Current', 2);
    const fresh = await OfflineRegistry.open(vol);
    await reg.save();
    const r = await OfflineRegistry.open(vol);
    await r.set('HKLM\\SYSTEM\\CurrentControlSet\\Services\\X', 'Start', 4);
    expect(await r.keyExists('HKLM\\SYSTEM\\ControlSet002\\Services\\X')).toBe(true);
    expect(await r.deleteValue(CV, 'UBR')).toBe(true);
    expect(await r.deleteValue(CV, 'UBR')).toBe(false);
    expect(await r.deleteKey('HKLM\\SOFTWARE\\Microsoft')).toBe(true);
    expect(await r.keyExists(CV)).toBe(false);
    expect(await r.deleteKey('HKLM\\SOFTWARE\\Microsoft')).toBe(false);
    await expect(r.deleteKey('HKLM\\SOFTWARE')).rejects.toThrow(/root/);
    void fresh;
  });

  it('imports a .reg file as reg import does, into machine and user hives', async () => {
    const { root, vol } = await testOs();
    writeFileSync(join(root, 'Users/alice.txt'), 'x');
    await vol.writeFile(
      'Users/alice/NTUSER.DAT',
      'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_USERS\\alice\\Control Panel\\Desktop]\r\n"Wallpaper"="c:\\\\w.jpg"\r\n',
    );
    const reg = await OfflineRegistry.open(vol);
    const n = await reg.import(
      [
        'Windows Registry Editor Version 5.00',
        '',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\App]',
        '"Version"="1.2"',
        '@="default"',
        '"Flags"=hex(7):61,00,00,00,62,00,00,00,\\',
        '  00,00',
        '"Path"=hex(2):25,00,50,00,25,00,00,00',
        '[HKEY_CURRENT_USER\\Software\\Contoso]',
        '"Seen"=dword:00000001',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]',
        '"UBR"=-',
        '[-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Nls]',
      ].join('\r\n'),
      'app.reg',
      { currentUser: 'alice' },
    );
    expect(n).toBe(7);
    expect(await reg.get('HKLM\\SOFTWARE\\Contoso\\App', 'Flags')).toEqual({ type: 'REG_MULTI_SZ', data: ['a', 'b'] });
    expect(await reg.get('HKLM\\SOFTWARE\\Contoso\\App', 'Path')).toEqual({ type: 'REG_EXPAND_SZ', data: '%P%' });
    expect(await reg.getString('HKLM\\SOFTWARE\\Contoso\\App', '')).toBe('default');
    expect(await reg.getDword('HKU\\alice\\Software\\Contoso', 'Seen')).toBe(1);
    expect(await reg.getString('HKU\\alice\\Control Panel\\Desktop', 'Wallpaper')).toBe('c:\\w.jpg');
    expect(await reg.get(CV, 'UBR')).toBeUndefined();
    expect(await reg.keyExists('HKLM\\SYSTEM\\CurrentControlSet\\Control\\Nls')).toBe(false);
    await reg.save();
    // The user hive keeps its format and prefix.
    const user = readFileSync(join(root, 'Users/alice/NTUSER.DAT'), 'utf8');
    expect(user.startsWith('Windows Registry Editor Version 5.00\r\n')).toBe(true);
    expect(user).toContain('[HKEY_USERS\\alice\\Software\\Contoso]\r\n"Seen"=dword:00000001');
    await expect(reg.import('REGEDIT4\r\n[HKEY_CURRENT_USER\\X]\r\n"a"="b"\r\n', 'u.reg')).rejects.toThrow(/u\.reg line 2: HKEY_CURRENT_USER/);
    await expect(reg.set('HKU\\bob\\Software\\X', 'a', 'b')).rejects.toThrow(/user hive Users\\bob\\NTUSER.DAT does not exist/);
    expect(await reg.keyExists('HKU\\bob\\Software')).toBe(false);
  });

  it('reads version 5.00 files in UTF-16LE with a BOM and writes them back so', async () => {
    const { root, vol } = await testOs();
    const text = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"Name"="Zoë"\r\n"E"=hex(2):25,00,57,00,25,00,00,00\r\n';
    writeFileSync(join(root, 'Windows/System32/config/SOFTWARE'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const reg = await OfflineRegistry.open(vol);
    expect(await reg.getString('HKLM\\SOFTWARE\\A', 'Name')).toBe('Zoë');
    expect(await reg.getString('HKLM\\SOFTWARE\\A', 'E')).toBe('%W%');
    await reg.set('HKLM\\SOFTWARE\\A', 'More', 'ünïcode');
    await reg.save();
    const bytes = readFileSync(join(root, 'Windows/System32/config/SOFTWARE'));
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(bytes.subarray(2).toString('utf16le')).toContain('"More"="ünïcode"');
  });

  it('refuses a volume without an installed Windows, and malformed hives with the file and line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'osd-reg-'));
    dirs.push(empty);
    await expect(OfflineRegistry.open(new DirectoryVolume(empty))).rejects.toThrow(/no installed Windows here: the SOFTWARE hive/);

    const cases: Array<[string, RegExp]> = [
      ['garbage\r\n', /SOFTWARE line 1: not a registry export/],
      ['REGEDIT4\r\n"a"="b"\r\n', /line 2: a value before the first \[key\] line/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\r\n', /line 2: a key line must end with "\]"/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"a"="unclosed\r\n', /line 3: the string value's quotes are not closed/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"a"="b\\n"\r\n', /line 3: "\\n" is not an escape/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n\r\n"a"=dword:123456789\r\n', /line 4: a dword is 1 to 8 hexadecimal digits/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"a"=hex:zz\r\n', /line 3: hex data is two-digit bytes/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"a"=hex:01,\\\r\n', /line 3: the hex data ends with "\\" but the file ends/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"a"=hex(4):01,02\r\n', /line 3: the bytes do not make a value of type 4/],
      ['REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\r\n', /line 2: the key HKEY_LOCAL_MACHINE\\SYSTEM\\A is not in this hive/],
      ['regf\0\0\0\0', /binary regf format/],
    ];
    for (const [text, message] of cases) {
      const { root, vol } = await testOs();
      writeFileSync(join(root, 'Windows/System32/config/SOFTWARE'), text);
      const reg = await OfflineRegistry.open(vol);
      const e = await reg.get(CV, 'ProductName').catch((x: unknown) => x);
      expect(e, text).toBeInstanceOf(RegistryError);
      expect((e as Error).message).toMatch(/Windows\\System32\\config\\SOFTWARE/);
      expect((e as Error).message, text).toMatch(message);
      expect((e as RegistryError).code).toBe(0x800703f1);
    }
    // Bad key paths and data.
    const { vol } = await testOs();
    const reg = await OfflineRegistry.open(vol);
    await expect(reg.get('HKCU\\Software', 'x')).rejects.toThrow(/HKEY_CURRENT_USER has no meaning offline/);
    await expect(reg.get('HKLM\\HARDWARE\\X', 'x')).rejects.toThrow(/not a hive on disk/);
    await expect(reg.get('SOFTWARE\\X', 'x')).rejects.toThrow(/starts with HKLM/);
    await expect(reg.set('HKLM\\SOFTWARE\\X', 'n', -1)).rejects.toThrow(/REG_DWORD cannot hold the number -1/);
    await expect(reg.set('HKLM\\SOFTWARE\\X', 'n', 'text', 'REG_DWORD')).rejects.toThrow(/REG_DWORD cannot hold/);
    await expect(reg.set(`HKLM\\SOFTWARE\\${'k'.repeat(256)}`, 'n', 1)).rejects.toThrow(/longer than 255/);
  });

  it('refuses a hive over the size limit', async () => {
    const { root, vol } = await testOs();
    const big = join(root, 'Windows/System32/config/SOFTWARE');
    writeFileSync(big, Buffer.alloc(64 * 1024 * 1024 + 1, 0x20));
    expect(statSync(big).size).toBeGreaterThan(64 * 1024 * 1024);
    const reg = await OfflineRegistry.open(vol);
    await expect(reg.keyExists(CV)).rejects.toThrow(/over the limit of 67108864/);
  });

  it('parses the default value, empty hex, comments and keys with spaces', () => {
    const p = parseReg('REGEDIT4\n; header\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A B]\n@="d"\n"e"=hex:\n; later\n"n" = "spaced"\n', 'x.reg');
    expect(p.header).toEqual(['; header']);
    expect(p.ops.map((o) => o.kind)).toEqual(['key', 'value', 'value', 'value']);
  });
});
