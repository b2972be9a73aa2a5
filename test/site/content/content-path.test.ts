import { posix, win32 } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPathsCoexist, validateContentPath } from '../../../src/site/content/content-path.js';
import { ContentPathError } from '../../../src/site/content/errors.js';
import { syncContentError } from './fixtures.js';

describe('validateContentPath', () => {
  it('accepts ordinary relative paths and returns them in NFC', () => {
    for (const p of [
      'install.wim',
      'sources/install.wim',
      'Drivers/Dell/x64/net.inf',
      'a b/c-d_e.f(1)',
      "it's/ok~#%&+,;=@[]{}",
      'CONSOLE.txt',
      'com10',
      'lpt',
      '.hidden',
      'a..b',
      'é/ü.txt',
      '日本/語.txt',
    ]) {
      expect(validateContentPath(p, 'test')).toBe(p.normalize('NFC'));
    }
    expect(validateContentPath('Cafe\u0301.txt', 'test')).toBe('Café.txt');
    expect(validateContentPath('a'.repeat(255), 'test')).toBe('a'.repeat(255));
  });

  const refused: [string, RegExp][] = [
    ['', /is empty/],
    ['/etc/passwd', /is absolute/],
    ['//server/share/x', /is absolute/],
    ['C:', /drive letter/],
    ['C:/Windows/win.ini', /drive letter/],
    ['c:file', /drive letter/],
    ['a\\b', /backslash/],
    ['..\\..\\x', /backslash/],
    ['..', /"\.\." segment/],
    ['../etc/passwd', /"\.\." segment/],
    ['a/../../b', /"\.\." segment/],
    ['a/..', /"\.\." segment/],
    ['.', /"\." segment/],
    ['./a', /"\." segment/],
    ['a/./b', /"\." segment/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['a\u0000b', /control character/],
    ['a\nb', /control character/],
    ['a\tb', /control character/],
    ['a\u007fb', /control character/],
    ['CON', /device name/],
    ['con', /device name/],
    ['dir/PRN.txt', /device name/],
    ['AUX.tar.gz', /device name/],
    ['nul', /device name/],
    ['COM1', /device name/],
    ['com9.log', /device name/],
    ['LPT1', /device name/],
    ['lpt9.txt', /device name/],
    ['COM¹', /device name/],
    ['CON .txt', /device name/],
    ['a<b', /does not allow/],
    ['a>b', /does not allow/],
    ['a:b', /drive letter/],
    ['ab:c', /does not allow/],
    ['a"b', /does not allow/],
    ['a|b', /does not allow/],
    ['a?b', /does not allow/],
    ['a*b', /does not allow/],
    ['file.txt:stream', /does not allow/],
    ['trailing.', /dot or a space/],
    ['dir./x', /dot or a space/],
    ['trailing ', /dot or a space/],
    ['...', /dot or a space/],
    ['a'.repeat(256), /longer than 255/],
    [`${'abcdefgh/'.repeat(114)}x`, /longer than 1024/],
    ['\ud800x', /lone surrogate/],
  ];
  it.each(refused)('refuses %j', (p, rule) => {
    const e = syncContentError(() => validateContentPath(p, 'package PS100001'));
    expect(e).toBeInstanceOf(ContentPathError);
    expect(e.code).toBe('content-path-invalid');
    expect(e.status).toBe(400);
    expect(e.input).toBe('package PS100001');
    expect(e.rule).toMatch(rule);
    expect(e.hint).toBeTruthy();
    expect(e.message).toContain('package PS100001');
    expect(e.message).toContain(JSON.stringify(p).slice(0, 20));
  });

  /** What an accepted path must never do, on Linux and on Windows. */
  function staysInside(p: string): void {
    expect(posix.resolve('/srv/pkg', p).startsWith('/srv/pkg/')).toBe(true);
    expect(win32.resolve('D:\\pkg', p).startsWith('D:\\pkg\\')).toBe(true);
    // Neither platform's normalization finds anything to collapse. (Behind a plain first segment,
    // because Node's win32.normalize prefixes `.\\` to anything that starts like a device name.)
    expect(posix.normalize(p)).toBe(p);
    expect(win32.normalize(`x/${p}`)).toBe(`x\\${p.replaceAll('/', '\\')}`);
    expect(p).not.toMatch(/[\\:\0]/);
    expect(validateContentPath(p, 'again')).toBe(p);
  }

  it('property: any accepted path made of risky pieces stays inside the package root', () => {
    const piece = fc.constantFrom(
      '..',
      '.',
      '/',
      '\\',
      'C:',
      'c:',
      ':',
      'a',
      'B',
      'CON',
      'nul',
      'com1',
      '.txt',
      ' ',
      '\0',
      '\n',
      '%2e',
      '~1',
      'é',
      'e\u0301',
      '?',
      '*',
      '$',
      '\u202e',
      '\ufeff',
      '…',
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (pieces) => {
        let p: string;
        try {
          p = validateContentPath(pieces.join(''), 'prop');
        } catch (e) {
          expect(e).toBeInstanceOf(ContentPathError);
          return;
        }
        staysInside(p);
      }),
      { numRuns: 5000 },
    );
  });

  it('property: any accepted arbitrary string stays inside the package root', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        let p: string;
        try {
          p = validateContentPath(s, 'prop');
        } catch (e) {
          expect(e).toBeInstanceOf(ContentPathError);
          return;
        }
        staysInside(p);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('checkPathsCoexist', () => {
  it('accepts distinct paths', () => {
    expect(() => checkPathsCoexist(['a/b', 'a/c', 'B', 'ab'], 'x')).not.toThrow();
  });
  it('refuses paths differing only by case', () => {
    const e = syncContentError(() => checkPathsCoexist(['Sources/Install.wim', 'sources/install.WIM'], 'pkg'));
    expect(e.code).toBe('content-path-invalid');
    expect(e.rule).toMatch(/differing only by case/);
  });
  it('refuses a file that is also used as a folder, in any case', () => {
    const e = syncContentError(() => checkPathsCoexist(['drivers', 'Drivers/net.inf'], 'pkg'));
    expect(e.rule).toMatch(/as a folder/);
  });
});
