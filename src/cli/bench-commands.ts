/** `osd bench fleet`: simulated computers against real site servers (src/fleet). */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InputError } from '../sequence/input-error.js';
import type { FleetReport } from '../fleet/fleet.js';
import { print, printJson } from './output.js';

function whole(value: string, name: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InputError({ input: name, rule: `"${value}" is not a whole number` });
  return Number(value);
}

function ms(n: number): string {
  return n < 10 ? n.toFixed(1) : String(Math.round(n));
}

function printReport(r: FleetReport): void {
  print(
    `${r.devices} computers against ${r.servers} server process${r.servers === 1 ? '' : 'es'} on ${r.database === 'pglite' ? 'the embedded database (PGlite)' : 'PostgreSQL'}, ${r.concurrency} at a time, ${r.steps} steps each, ${r.batch} status message(s) per request${r.rate ? `, then ${r.rate} messages/s offered` : ''}`,
  );
  print(
    `  finished: ${r.agentsSucceeded} succeeded, ${r.agentsFailed} failed in ${r.wallSeconds.toFixed(1)} s${r.firstFailure ? ` (first failure: ${r.firstFailure})` : ''}`,
  );
  print(
    `  status messages: ${r.statusMessages} (${Math.round(r.statusMessagesPerSecond)}/s sustained in the run phase${r.pacedStatusMessagesPerSecond ? `, ${Math.round(r.pacedStatusMessagesPerSecond)}/s paced, ${(r.pacedMessagesPerRequest ?? 1).toFixed(2)} a request` : ''}); policy requests ${r.policyRequestsPerSecond.toFixed(1)}/s`,
  );
  print(
    `  phases: ${Object.entries(r.phases)
      .map(([name, p]) => `${name} ${p.seconds.toFixed(1)} s (${Math.round(p.requestsPerSecond)} req/s)`)
      .join(', ')}`,
  );
  print('  request      count  failed   p50 ms   p99 ms   max ms');
  for (const [kind, s] of Object.entries(r.requests)) {
    print(
      `  ${kind.padEnd(10)} ${String(s.count).padStart(7)} ${String(s.failed).padStart(7)} ${ms(s.p50).padStart(8)} ${ms(s.p99).padStart(8)} ${ms(s.max).padStart(8)}`,
    );
  }
  print(`  server peak memory: ${r.serverPeakMemoryBytes.map((b) => `${Math.round(b / 1024 / 1024)} MiB`).join(', ')}`);
}

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('load and fault testing of a site');
  bench
    .command('fleet')
    .description(
      'simulated computers (register, policy, a whole run of status messages, log upload) against real osd server processes made for the run; with --database, several servers share one PostgreSQL database',
    )
    .option('--devices <n>', 'simulated computers', '100')
    .option('--servers <k>', 'server processes (more than one needs --database)', '1')
    .option('--database <url>', 'an empty PostgreSQL database for the run (default: the embedded database, one server)')
    .option('--concurrency <n>', 'computers at work at the same time', '100')
    .option('--steps <n>', 'steps in the deployed task sequence', '20')
    .option('--log-bytes <n>', 'size of the smsts.log each computer uploads', '65536')
    .option(
      '--batch <n>',
      'status messages per request in the run phase: 1 as the real agent sends while each step outlasts a round trip; more for an agent whose outbox queued up (at most 500)',
      '1',
    )
    .option(
      '--rate <n>',
      'then run every computer again, all at once, its status messages written at this rate across the fleet and sent as the agent’s outbox sends them (the latency at that load; requests timed as status-paced)',
    )
    .option('--server-node-args <args>', 'Node.js options for the server processes, space-separated (e.g. "--cpu-prof --cpu-prof-dir=DIR")')
    .option('--json', 'print the report as JSON')
    .action(
      async (o: {
        devices: string;
        servers: string;
        database?: string;
        concurrency: string;
        steps: string;
        logBytes: string;
        batch: string;
        rate?: string;
        serverNodeArgs?: string;
        json?: boolean;
      }) => {
        // Loaded when the command runs, not when osd starts (issue 16 item 2).
        const { runFleet } = await import('../fleet/fleet.js');
        const report = await runFleet({
          osd: fileURLToPath(new URL('../../bin/osd.js', import.meta.url)),
          devices: whole(o.devices, '--devices'),
          servers: whole(o.servers, '--servers'),
          database: o.database,
          concurrency: whole(o.concurrency, '--concurrency'),
          steps: whole(o.steps, '--steps'),
          logBytes: whole(o.logBytes, '--log-bytes'),
          batch: whole(o.batch, '--batch'),
          ...(o.rate !== undefined ? { rate: whole(o.rate, '--rate') } : {}),
          ...(o.serverNodeArgs ? { serverNodeArgs: o.serverNodeArgs.split(/\s+/).filter(Boolean) } : {}),
          onProgress: o.json ? undefined : (line) => process.stderr.write(`osd bench fleet: ${line}\n`),
        });
        if (o.json) printJson(report);
        else printReport(report);
      },
    );
}
