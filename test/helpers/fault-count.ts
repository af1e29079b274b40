// Test helper: fault tests publish their counts (files planted, faults injected, ...) so docs/reliability.md is
// reproducible.
import { appendFileSync } from 'node:fs';

/** Enough of a tap Test: comments only. */
export interface CommentHost {
  comment(...args: unknown[]): void;
}

/**
 * Prints `FAULT-COUNT <scenario> <json>` as a TAP comment and, when TF_FAULT_COUNTS names a file, appends the same
 * record there as one JSON line (test/faults/count-results.mts collects them).
 */
export function report(t: CommentHost, scenario: string, counts: Record<string, unknown>): void {
  t.comment(`FAULT-COUNT ${scenario} ${JSON.stringify(counts)}`);
  const file = process.env.TF_FAULT_COUNTS;
  if (file) appendFileSync(file, `${JSON.stringify({ scenario, ...counts })}\n`);
}
