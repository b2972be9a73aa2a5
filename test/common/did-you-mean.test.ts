import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { didYouMean, editDistance, suggest } from '../../src/common/did-you-mean.js';
import { knownKeysAt } from '../../src/common/zod-keys.js';

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and swapped neighbours as one edit each', () => {
    expect(editDistance('domian', 'domain')).toBe(1);
    expect(editDistance('descripton', 'description')).toBe(1);
    expect(editDistance('imagIndx', 'imageIndex')).toBe(2);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('kitten', 'sitting', 1)).toBe(2);
  });

  it('suggests the same name in another case first, then the nearest within two edits', () => {
    const keys = ['name', 'description', 'bootImageId', 'highPerformancePowerPlan'];
    expect(suggest('bootImageID', keys)).toBe('bootImageId');
    expect(suggest('BOOTIMAGEID', keys)).toBe('bootImageId');
    expect(suggest('descripton', keys)).toBe('description');
    expect(suggest('nmae', keys)).toBe('name');
    expect(suggest('bootImage', keys)).toBe('bootImageId');
    expect(suggest('image', keys)).toBeUndefined();
    expect(suggest('colour', keys)).toBeUndefined();
    expect(didYouMean('nmae', keys)).toBe('did you mean "name"?');
    expect(didYouMean('x', keys)).toBeUndefined();
  });

  it('does not take a short word for another: one edit under five characters, none under three', () => {
    expect(suggest('id', ['os'])).toBeUndefined();
    expect(suggest('ID', ['id'])).toBe('id');
    expect(suggest('nam', ['name'])).toBe('name');
    expect(suggest('nm', ['name'])).toBeUndefined();
  });
});

describe('knownKeysAt', () => {
  const schema = z.strictObject({
    name: z.string(),
    options: z.strictObject({ a: z.number(), b: z.string().optional() }).default({ a: 1 }),
    rules: z.array(
      z.discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('direct'), resourceId: z.number() }),
        z.strictObject({ kind: z.literal('query'), query: z.string() }),
      ]),
    ),
    later: z.lazy(() => z.strictObject({ deep: z.string() })).optional(),
  });

  it('walks objects, wrappers, arrays and lazy schemas', () => {
    expect(knownKeysAt(schema, [], {})).toEqual(['name', 'options', 'rules', 'later']);
    expect(knownKeysAt(schema, ['options'], { options: {} })).toEqual(['a', 'b']);
    expect(knownKeysAt(schema, ['later'], { later: {} })).toEqual(['deep']);
    expect(knownKeysAt(schema, ['name'], { name: 'x' })).toBeUndefined();
  });

  it('picks the option of a discriminated union the value chooses, or every option when it chooses none', () => {
    expect(knownKeysAt(schema, ['rules', 0], { rules: [{ kind: 'query' }] })).toEqual(['kind', 'query']);
    expect(knownKeysAt(schema, ['rules', 0], { rules: [{ kind: 'qurey' }] })?.sort()).toEqual(['kind', 'query', 'resourceId']);
  });
});
