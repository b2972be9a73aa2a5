/**
 * `osd server` applies the state migration point's deletion policy by itself (docs/state-migration-point.md
 * "Retention — the sweeper"): a store whose retention ran out while no server was running is
 * deleted — files and key — when the next server starts (then every 5 minutes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { startSiteServer } from '../../../src/server/site-server.js';
import { SYSTEM_ACTOR } from '../../../src/site/security/roles.js';
import { setSmpSettings } from '../../../src/site/userstate/settings.js';
import { getStore, releaseStore, requestStore, uploadStoreFile } from '../../../src/site/userstate/stores.js';
import { addCollection } from '../../site/task-sequences/fixtures.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it('a store whose retention ran out is deleted when the server starts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openosd-smp-sweep-'));
  const folder = mkdtempSync(join(tmpdir(), 'openosd-smp-sweep-store-'));
  dirs.push(dataDir, folder);
  const first = await startSiteServer({ dataDir, port: 0 });
  let storeId: string;
  try {
    const site = first.site;
    await setSmpSettings(site.db, SYSTEM_ACTOR, dataDir, {
      storageFolders: [{ path: folder, maxClients: 10, minFree: { value: 1, unit: 'MB' } }],
      deletion: { mode: 'after', value: 1, unit: 'days' },
    });
    await addCollection(site, 'Lab', [{ name: 'SWEEP-PC' }]);
    const { rows } = await site.db.query<{ resource_id: string }>("SELECT resource_id FROM devices WHERE name = 'SWEEP-PC'");
    const device = { resourceId: Number(rows[0]!.resource_id), name: 'SWEEP-PC', unknown: false, approval: 'approved' as const };
    // Two days ago: captured, restored in place and released — its day of retention is over.
    const then = { now: () => new Date(Date.now() - 2 * 86_400_000) };
    const grant = await requestStore(site, device, { type: 'capture' }, then);
    storeId = grant.storeId;
    for (const name of ['store.json', 'manifest.osdm']) {
      const b = Buffer.from(`${name} of ${storeId}`);
      await uploadStoreFile(
        site,
        device,
        storeId,
        name,
        { contentLength: b.length, sha256: createHash('sha256').update(b).digest('hex') },
        Readable.from([b]),
        then,
      );
    }
    await releaseStore(site, device, storeId, { phase: 'capture', outcome: 'success' }, then);
    await requestStore(site, device, { type: 'restore' }, then);
    expect((await releaseStore(site, device, storeId, { phase: 'restore', outcome: 'success' }, then)).state).toBe('restored');
    expect(existsSync(join(folder, storeId))).toBe(true);
  } finally {
    await first.close();
  }
  const second = await startSiteServer({ dataDir, port: 0 });
  try {
    let state = '';
    for (let i = 0; i < 100 && state !== 'deleted'; i++) {
      state = (await getStore(second.site.db, storeId)).state;
      if (state !== 'deleted') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('deleted');
    expect(existsSync(join(folder, storeId))).toBe(false);
    const { rows } = await second.site.db.query<{ sealed_key: string | null }>('SELECT sealed_key FROM state_stores WHERE store_id = $1', [storeId]);
    expect(rows[0]!.sealed_key).toBeNull();
  } finally {
    await second.close();
  }
}, 120_000);
