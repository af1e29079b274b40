// `--dashboard [HOST:]PORT`, defined once: the option for scan/stream/demo and the hook that starts the server.
import { Option, type Command } from 'commander';
import { parseDashboardAddress } from '../dashboard/address.js';
import { serveDashboard, type DashboardHandle } from '../dashboard/server.js';
import { metrics } from '../metrics/events.js';

let running: DashboardHandle | null = null;

/** The option; the value is checked while parsing, so a bad address fails before any work starts. */
export function dashboardOption(): Option {
  return new Option(
    '--dashboard <[host:]port>',
    'serve a live dashboard and /metrics (127.0.0.1 unless a host is named; 0 = any free port); URL on stderr',
  ).argParser((v: string) => {
    parseDashboardAddress(v);
    return v;
  });
}

/** A preAction hook (on the program): starts the dashboard on the process-wide bus when the command was given one. */
export async function startDashboard(_program: Command, command: Command): Promise<void> {
  const spec = command.opts<{ dashboard?: string }>().dashboard;
  if (spec === undefined || running) return;
  running = await serveDashboard(metrics, spec);
}
