// Options of serveDashboard / createLoader({ dashboard }), validated once at the edge with zod.
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseDashboardAddress } from './address.js';

/** How the dashboard server runs. */
export interface DashboardOptions {
  /** Interface to bind; other hosts than loopback only when named here. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 asks the OS for a free one. @default 0 */
  port?: number;
  /** Access token (tests and restarts reuse one). @default a random 128-bit token */
  token?: string;
  /** Where the URL with its token is printed; `null` prints nothing. @default process.stderr */
  announce?: { write(line: string): unknown } | null;
  /** Minimum ms between two event-stream messages of the same type and dataset. @default 100 */
  eventIntervalMs?: number;
}

/** What createLoader's `dashboard` option and the CLI accept: options, or `[HOST:]PORT` as text or a number. */
export type DashboardSpec = DashboardOptions | string | number;

const schema = z.object({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  token: z
    .string()
    .min(16)
    .regex(/^[\w-]+$/)
    .optional(),
  announce: z.any().optional(),
  eventIntervalMs: z.number().int().min(1).optional(),
});

/** Normalise a spec into frozen options; throws UsageError naming the field. */
export function dashboardOptions(spec: DashboardSpec): Readonly<DashboardOptions> {
  if (typeof spec === 'string' || typeof spec === 'number') return Object.freeze(parseDashboardAddress(spec));
  const r = schema.safeParse(spec);
  if (r.success) return Object.freeze({ ...spec });
  const issue = r.error.issues[0];
  const key = String(issue.path[0]);
  const got = (spec as Record<string, unknown>)[key];
  throw new UsageError(`Expected dashboard \`${key}\` to be valid (${issue.message}), got \`${String(got)}\``, {
    field: `dashboard.${key}`,
  });
}
