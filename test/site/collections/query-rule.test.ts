import { describe, expect, it } from 'vitest';
import { compileCollectionQuery, likeToPosixRegex, parseCollectionQuery } from '../../../src/site/collections/query/index.js';
import { normaliseMac, normaliseSmbiosGuid, netbiosNameProblem } from '../../../src/site/devices/identity.js';

describe('collection query rules (parsing and compiling)', () => {
  it('parses console-written queries with class-qualified names, IN and NOT', () => {
    const q = parseCollectionQuery(
      "select SMS_R_SYSTEM.ResourceID,SMS_R_SYSTEM.Name from SMS_R_System where SMS_R_System.Model in ('A','B') and not SMS_R_System.Name like 'X%' and Client = 1",
    );
    expect(q.where?.kind).toBe('and');
    const params: unknown[] = [];
    const sql = compileCollectionQuery(q, params);
    expect(sql).toContain("d.properties->>'model'");
    expect(sql).toContain('d.client =');
    expect(params).toEqual([['a', 'b'], 'X%', true]);
  });

  it('names the column of each problem', () => {
    const problem = (text: string): string => {
      try {
        compileCollectionQuery(parseCollectionQuery(text), []);
      } catch (e) {
        return `${(e as { column: number }).column}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(problem('select * from Win32_BIOS')).toBe('15: collection queries read SMS_R_System, not Win32_BIOS');
    expect(problem("select * from SMS_R_System where Name in ('a' 'b')")).toMatch(/^47: expected , or \) in the IN list/);
    expect(problem("select * from SMS_R_System where ResourceId = 'abc'")).toMatch(/^34: ResourceId is a number/);
    expect(problem('select * from SMS_R_System where Client > 1')).toMatch(/^34: Client is true\/false/);
    expect(problem("select * from SMS_R_System where Name like 'a[b'")).toMatch(/^46: unterminated \[/);
    expect(problem('select * from SMS_R_System where Name = NULL')).toMatch(/^41: NULL can only be tested with IS NULL/);
  });

  it('turns LIKE sets into anchored POSIX expressions', () => {
    expect(likeToPosixRegex('[a-c]x%_.')).toBe('^[a-c]x.*.\\.$');
    expect(likeToPosixRegex('[^0-9]%')).toBe('^[^0-9].*$');
  });

  it('normalises identities', () => {
    expect(normaliseMac('00-aa-bb-cc-dd-ee')).toBe('00:AA:BB:CC:DD:EE');
    expect(normaliseMac('00aa.bbcc.ddee')).toBe('00:AA:BB:CC:DD:EE');
    expect(normaliseMac('00:aa-bb:cc:dd:ee')).toBeUndefined();
    expect(normaliseSmbiosGuid('{4c4c4544-0042-3510-8051-b4c04f4a4d31}')).toBe('4C4C4544-0042-3510-8051-B4C04F4A4D31');
    expect(netbiosNameProblem('PC_01-A')).toBeUndefined();
    expect(netbiosNameProblem('12345')).toContain('all digits');
  });
});
