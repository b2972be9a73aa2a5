/**
 * `osd bench fleet` (issue 12 item 6): simulated computers against real `osd server` processes —
 * one on the embedded database, two sharing PostgreSQL — each doing a whole run's worth of
 * management point requests. A small fleet here; the 5,000-computer figures are a benchmark.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { checkFleetOptions, messagesPerRun, runFleet, type FleetOptions } from '../../src/fleet/fleet.js';
import { newPostgresDatabase, runOsd } from '../helpers/osd-server.js';

const OSD = resolve('bin/osd.js');
const base: FleetOptions = { osd: OSD, devices: 6, servers: 1, concurrency: 3, steps: 3, logBytes: 4096 };

describe('osd bench fleet', () => {
  it('runs simulated computers against a real server on the embedded database', async () => {
    const r = await runFleet(base);
    expect(r.agentsFailed, r.firstFailure).toBe(0);
    expect(r.agentsSucceeded).toBe(6);
    // Per computer, as the agent sends them: run and group started, 2 per step, group and run succeeded.
    expect(messagesPerRun(3)).toBe(4 + 2 * 3);
    expect(r.statusMessages).toBe(6 * messagesPerRun(3));
    // One message per request, as the real agent sends while its steps outlast a round trip.
    expect(r.requests.status?.count).toBe(6 * messagesPerRun(3));
    expect(r.phases.run.requests).toBe(6 * messagesPerRun(3));
    expect(r.phases.policy.requests).toBe(6);
    for (const kind of ['register', 'policy', 'sequence', 'content', 'status', 'log']) {
      expect(r.requests[kind]?.failed ?? 0).toBe(0);
      expect(r.requests[kind]?.count).toBeGreaterThan(0);
    }
    expect(r.serverPeakMemoryBytes[0]).toBeGreaterThan(0);
  }, 180_000);

  it('spreads the computers over two servers sharing one PostgreSQL database', async () => {
    const database = await newPostgresDatabase('fleet');
    // Batches of 4 (an agent whose outbox queued up), then a second run paced at 200 messages/s.
    const r = await runFleet({ ...base, servers: 2, database, batch: 4, rate: 200 });
    expect(r.agentsFailed, r.firstFailure).toBe(0);
    expect(r.statusMessages).toBe(2 * 6 * messagesPerRun(3));
    expect(r.requests.status?.count).toBe(6 * Math.ceil(messagesPerRun(3) / 4));
    // Paced, the messages go as the agent's outbox sends them: alone while the site keeps up.
    expect(r.requests['status-paced']?.count).toBeGreaterThanOrEqual(6);
    expect(r.requests['status-paced']?.count).toBeLessThanOrEqual(6 * messagesPerRun(3));
    expect(r.pacedStatusMessagesPerSecond).toBeGreaterThan(0);
    expect(r.pacedMessagesPerRequest).toBeGreaterThanOrEqual(1);
    expect(r.database).toBe('postgresql');
    expect(r.serverPeakMemoryBytes).toHaveLength(2);
  }, 180_000);

  it('refuses several servers on the embedded database, and bad numbers, naming the option (exit 2)', async () => {
    expect(() => checkFleetOptions({ ...base, servers: 2 })).toThrow(/several servers share one PostgreSQL database/);
    const r = await runOsd('bench', 'fleet', '--devices', 'many');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--devices: "many" is not a whole number/);
    const z = await runOsd('bench', 'fleet', '--devices', '0');
    expect(z.code).toBe(2);
    expect(z.stderr).toMatch(/--devices: must be a whole number from 1/);
    expect(() => checkFleetOptions({ ...base, batch: 501 })).toThrow(/--batch: must be a whole number from 1 to 500/);
  });
});
