// Issue 10, site hardening: hostile task sequences over the admin API, on both databases. What is
// at the nesting limits is accepted and stays readable (every read, export, lint and diff answers
// 200); one level deeper, a 100,000-attribute step and zip bombs answer 400 naming the input and
// the rule, quickly; and the server keeps answering other requests while a zip is inflated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONDITION_DEPTH, MAX_GROUP_DEPTH } from '../../../src/sequence/limits.js';
import { objectXml } from '../../helpers/console-export.js';
import { nestedGroupsJson, nestedGroupsXml, wrapped } from '../../helpers/deep-sequence.js';
import { craftZip, deflated, zeroBomb } from '../../helpers/zip-craft.js';
import { DB_KINDS, startTestApi, type TestApi } from '../../site/helpers/site.js';
import { addSiteObjects, wizardAnswers } from '../../site/task-sequences/fixtures.js';

const base = '/api/v1/task-sequences';
const MiB = 1024 * 1024;
const OBJECT = 'SMS_TaskSequencePackage/PS100001/object.xml';

/** The answer and how long it took. */
async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await p;
  return [r, performance.now() - t];
}

describe.each(DB_KINDS)('task sequence input limits over the API on %s', (kind) => {
  let api: TestApi;
  let n = 0;
  const name = (): string => `Hostile ${n++}`;
  const importXml = (content: string) => api.call('POST', base, { body: { name: name(), format: 'xml', content } });
  /** A zip as the raw body (application/zip), or base64 in the JSON body. */
  const importZip = (zip: Uint8Array, raw = false) =>
    raw
      ? api.call('POST', `${base}?name=${encodeURIComponent(name())}`, { payload: Buffer.from(zip), headers: { 'content-type': 'application/zip' } })
      : api.call('POST', base, { body: { name: name(), format: 'zip', content: Buffer.from(zip).toString('base64') } });

  beforeAll(async () => {
    api = await startTestApi(kind);
  });
  afterAll(async () => api?.close());

  it('accepts a task sequence at the nesting limits; every read, export, lint and diff of it answers 200', async () => {
    const created = await importXml(nestedGroupsXml(MAX_GROUP_DEPTH, MAX_CONDITION_DEPTH));
    expect(created.status).toBe(201);
    const id = created.json.taskSequence.id as string;
    expect(created.json.revision.stepCount).toBe(MAX_GROUP_DEPTH + 1);
    const saved = await api.call('PUT', `${base}/${id}`, {
      body: { baseRevision: 1, format: 'xml', content: nestedGroupsXml(MAX_GROUP_DEPTH, MAX_CONDITION_DEPTH, ' edited') },
    });
    expect(saved.status).toBe(200);
    const got = await api.call('GET', `${base}/${id}`);
    expect(got.status).toBe(200);
    // The JSON document GET returns saves back as it is (the API's own round trip).
    const resaved = await api.call('PUT', `${base}/${id}`, { body: { baseRevision: 2, sequence: got.json.sequence, message: 'as read' } });
    expect(resaved.status).toBe(200);
    for (const path of [`${base}/${id}/revisions`, `${base}/${id}/revisions/1`, `${base}/${id}/lint`, `${base}/${id}/lint?revision=1`]) {
      expect((await api.call('GET', path)).status, path).toBe(200);
    }
    for (const format of ['xml', 'wrapper', 'json', 'zip']) {
      const r = await api.app.inject({
        method: 'GET',
        url: `${base}/${id}/export?format=${format}&revision=1`,
        headers: { authorization: `Bearer ${api.tokens['full-administrator']}` },
      });
      expect(r.statusCode, format).toBe(200);
      // What the site exports, it imports again.
      const again =
        format === 'zip'
          ? await importZip(r.rawPayload, true)
          : await api.call('POST', base, { body: { name: name(), format: format === 'json' ? 'json' : 'xml', content: r.body } });
      expect(again.status, `re-import of ${format}`).toBe(201);
    }
    const diff = await api.call('GET', `${base}/${id}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    // Every step got a new name and command line: removed and added, each at its depth.
    expect(diff.json.changes.filter((c: { kind: string }) => c.kind === 'added')).toHaveLength(MAX_GROUP_DEPTH + 1);
    expect(diff.json.text).toMatch(/step "Innermost edited" added to "G1 \/ G2 \/ .* \/ G64"/);
    expect((await api.call('POST', `${base}/${id}/revert`, { body: { revision: 1 } })).status).toBe(201);
  });

  it('refuses one level deeper in XML, the wrapper, JSON and a JSON save with 400 naming the input, rule and limit', async () => {
    const over = nestedGroupsXml(MAX_GROUP_DEPTH + 1);
    for (const content of [over, wrapped(over)]) {
      const [r, ms] = await timed(importXml(content));
      expect(r.status).toBe(400);
      expect(r.json.input).toBe('body.content');
      expect(r.json.rule).toMatch(/^groups nest more than 64 deep: at most 64 groups within groups are allowed \(line 1, column \d+\)$/);
      expect(ms).toBeLessThan(2000);
    }
    const json = await api.call('POST', base, { body: { name: name(), format: 'json', content: nestedGroupsJson(MAX_GROUP_DEPTH + 1) } });
    expect(json.status).toBe(400);
    expect(json.json.rule).toMatch(/groups nest more than 64 deep \(at "G1 \/ G2 \/ .*G65"\)/);
    const ok = await api.call('POST', base, { body: { name: name(), format: 'json', content: nestedGroupsJson(MAX_GROUP_DEPTH) } });
    expect(ok.status).toBe(201);
    const doc = JSON.parse(nestedGroupsJson(MAX_GROUP_DEPTH + 1));
    const save = await api.call('PUT', `${base}/${ok.json.taskSequence.id}`, { body: { baseRevision: 1, sequence: doc } });
    expect(save.status).toBe(400);
    expect(save.json.input).toBe('body.sequence');
    expect(save.json.rule).toMatch(/groups nest more than 64 deep/);
    // 200,000 levels (3 MiB): refused where level 65 opens, not by a stack overflow.
    const deep = `<sequence version="3.10">${'<group name="g">'.repeat(200_000)}${'</group>'.repeat(200_000)}</sequence>`;
    const [r, ms] = await timed(importXml(deep));
    expect(r.status).toBe(400);
    expect(r.json.rule).toMatch(/groups nest more than 64 deep/);
    expect(ms).toBeLessThan(3000);
    expect((await api.call('GET', '/api/v1/task-sequences')).status).toBe(200);
  });

  it('refuses a step with 100,000 attributes with 400, at once', async () => {
    const attrs = Array.from({ length: 100_000 }, (_, i) => ` a${i}="${i}"`).join('');
    const [r, ms] = await timed(importXml(`<sequence version="3.10"><group name="G"><step name="S"${attrs}/></group></sequence>`));
    expect(r.status).toBe(400);
    expect(r.json.input).toBe('body.content');
    expect(r.json.rule).toMatch(/^<step> has more than 256 attributes; at most 256 are allowed on one element \(line 1, column 42\)$/);
    expect(ms).toBeLessThan(2000);
  });

  it('refuses zip bombs with 400 naming the entry and the budget, whatever the sizes declare', async () => {
    const bomb = zeroBomb(1024);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      // Three 1,000 MiB entries, declared honestly: refused before inflating.
      [
        'declared',
        craftZip(['PS100001', 'PS100002', 'PS100003'].map((id) => ({ name: `SMS_TaskSequencePackage/${id}/object.xml`, data: bomb, size: 1024 * MiB }))),
        /object\.xml declares 1024 MiB, which is more than 32 MiB; refused/,
      ],
      // The declared size lies (1 KiB): stopped at 32 MiB of actual output.
      ['lying', craftZip([{ name: OBJECT, data: bomb, size: 1024 }]), /object\.xml inflates to more than 32 MiB; refused/],
      // Several task sequences: the manifest is read first and is the bomb.
      [
        'manifest',
        craftZip([
          { name: 'Manifest.xml', data: bomb, size: 100 },
          deflated(OBJECT, objectXml('PS100001', 'A', nestedGroupsXml(1))),
          deflated('SMS_TaskSequencePackage/PS100002/object.xml', objectXml('PS100002', 'B', nestedGroupsXml(1))),
        ]),
        /^zip entry Manifest\.xml inflates to more than 32 MiB/,
      ],
      // A declared size that is merely wrong.
      [
        'wrong size',
        craftZip([{ ...deflated(OBJECT, objectXml('PS100001', 'A', nestedGroupsXml(1))), size: 10 }]),
        /object\.xml declares 10 bytes but inflates to [\d,]+/,
      ],
    ];
    for (const [what, zip, rule] of cases) {
      const [r, ms] = await timed(importZip(zip));
      expect(r.status, what).toBe(400);
      expect(r.json.input, what).toBe('body.content');
      expect(r.json.rule, what).toMatch(rule);
      expect(ms, what).toBeLessThan(3000);
    }
    // The raw body (application/zip) is refused the same way.
    const raw = await importZip(cases[0]![1], true);
    expect(raw.status).toBe(400);
    expect(raw.json.rule).toMatch(cases[0]![2]);
  });

  it('refuses wizard answers listing 100,000 unknown applications quickly, listing the first 100 problems', async () => {
    const o = await addSiteObjects(api.site);
    const answers = wizardAnswers(o, 'Many applications') as { installApplications?: unknown };
    answers.installApplications = { applications: Array.from({ length: 100_000 }, (_, i) => `Application ${i}`) };
    const [r, ms] = await timed(api.call('POST', `${base}/wizard/install-image`, { body: answers }));
    expect(r.status).toBe(400);
    expect(r.json.rule).toMatch(/^100000 answers are not valid, nothing was created; first: Install Applications/);
    expect(r.json.problems).toHaveLength(100);
    expect(r.json.problemCount).toBe(100_000);
    expect(ms).toBeLessThan(5000);
  });

  it('answers GET /api/v1/site while a zip bomb is being inflated', async () => {
    // 30 MiB of manifest, then an object.xml inflating past the 10 MiB the zip has left.
    const manifest = Buffer.concat([
      Buffer.from(`<LibraryDocument><EntryObjects><Object Path="SMS_TaskSequencePackage.PackageID='PS100001'"/></EntryObjects></LibraryDocument>`),
      Buffer.alloc(30 * MiB - 200, 0x20),
    ]);
    const zip = craftZip([
      deflated('Manifest.xml', manifest),
      { name: OBJECT, data: zeroBomb(64), size: 1024 },
      deflated('SMS_TaskSequencePackage/PS100002/object.xml', objectXml('PS100002', 'B', nestedGroupsXml(1))),
    ]);
    const start = performance.now();
    let zipDone = 0;
    let siteDone = 0;
    const zipRequest = importZip(zip).then((r) => {
      zipDone = performance.now() - start;
      return r;
    });
    const siteRequest = api.call('GET', '/api/v1/site').then((r) => {
      siteDone = performance.now() - start;
      return r;
    });
    const [z, s] = await Promise.all([zipRequest, siteRequest]);
    expect(s.status).toBe(200);
    expect(z.status).toBe(400);
    expect(z.json.rule).toMatch(/object\.xml inflates to more than 10\.0 MiB; refused .* of which 30\.0 MiB are used/);
    expect(siteDone).toBeLessThan(zipDone);
  });
});
