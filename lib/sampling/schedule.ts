// Dataset schedules (start_epoch/start_step/end_epoch/end_step): SimpleTuner's normalisers and activity rule.

/** A normalised schedule: starts are always set, ends are null for "never ends". */
export interface Schedule {
  startEpoch: number;
  startStep: number;
  endEpoch: number | null;
  endStep: number | null;
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : null;
  }
  return null;
}

/** start_epoch: an integer ≥ 1; anything invalid or below 1 becomes 1 (2.7 → 2, "3" → 3). */
export function normalizeStartEpoch(v: unknown): number {
  const n = toInt(v);
  return n === null || n < 1 ? 1 : n;
}

/** start_step: an integer ≥ 0; invalid or negative becomes 0. */
export function normalizeStartStep(v: unknown): number {
  const n = toInt(v);
  return n === null || n < 0 ? 0 : n;
}

/** end_epoch / end_step: an integer >= 1, else null (= never ends): null, "", 0, negative and garbage all mean null. */
export function normalizeEnd(v: unknown): number | null {
  const n = toInt(v);
  return n === null || n < 1 ? null : n;
}

/** Build a schedule from raw config values. */
export function makeSchedule(raw: {
  start_epoch?: unknown;
  start_step?: unknown;
  end_epoch?: unknown;
  end_step?: unknown;
}): Schedule {
  return {
    startEpoch: normalizeStartEpoch(raw.start_epoch),
    startStep: normalizeStartStep(raw.start_step),
    endEpoch: normalizeEnd(raw.end_epoch),
    endStep: normalizeEnd(raw.end_step),
  };
}

/**
 * SimpleTuner's rule: active iff start_epoch <= epoch <= end_epoch and start_step <= nextStep <= end_step.
 * `epoch` is 1-based; `nextStep` is the optimizer step the batch will train (1-based: the first batch trains step 1).
 */
export function isActive(s: Schedule, epoch: number, nextStep: number): boolean {
  return (
    epoch >= s.startEpoch &&
    nextStep >= s.startStep &&
    (s.endEpoch === null || epoch <= s.endEpoch) &&
    (s.endStep === null || nextStep <= s.endStep)
  );
}
