// Dependency sort: drop disabled entries, then order so each dataset follows the one it depends on (stable DFS).
import type { IssueLog } from './issues.js';
import type { RawEntry } from './read-source.js';

function asIdList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The id an entry depends on: its `source_dataset_id`, or else the first other entry whose
 * `conditioning_data` names it (a conditioning dataset follows the dataset that uses it).
 */
export function dependencyOf(e: RawEntry, all: readonly RawEntry[]): string | null {
  const src = e.raw.source_dataset_id;
  if (typeof src === 'string' && src) return src;
  if (!e.id) return null;
  for (const other of all) {
    if (other !== e && other.id && asIdList(other.raw.conditioning_data).includes(e.id)) return other.id;
  }
  return null;
}

/**
 * Sort entries so dependencies come first, keeping the original order otherwise. Disabled entries are
 * dropped; entries without an id go last. A cycle is reported naming the dataset where it closed, and
 * the entries of the cycle keep their original order.
 */
export function sortByDependencies(entries: readonly RawEntry[], log: IssueLog): RawEntry[] {
  const enabled = entries.filter((e) => e.raw.disabled !== true);
  const withId = enabled.filter((e) => e.id !== null);
  const byId = new Map<string, RawEntry>();
  for (const e of withId) if (!byId.has(e.id!)) byId.set(e.id!, e);
  const out: RawEntry[] = [];
  const done = new Set<RawEntry>();
  const visiting = new Set<RawEntry>();
  let cycleReported = false;
  const visit = (e: RawEntry): void => {
    if (done.has(e)) return;
    if (visiting.has(e)) {
      if (!cycleReported)
        log.error(e.id, 'source_dataset_id', `Circular dependency detected involving dataset '${e.id}'`);
      cycleReported = true;
      return;
    }
    visiting.add(e);
    const dep = dependencyOf(e, withId);
    const target = dep === null ? undefined : byId.get(dep);
    if (target) visit(target);
    visiting.delete(e);
    done.add(e);
    out.push(e);
  };
  for (const e of withId) visit(e);
  return [...out, ...enabled.filter((e) => e.id === null)];
}
