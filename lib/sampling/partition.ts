// World resolution (options or RANK / WORLD_SIZE / LOCAL_RANK) and the per-rank slice of a global batch.
import { UsageError } from '../errors.js';

/** This process's place in a data-parallel world. */
export interface World {
  rank: number;
  worldSize: number;
}

function envInt(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`Expected \`${name}\` to be an integer from 0 and up, got \`${v}\``);
  return n;
}

/** Explicit options win; else RANK (or LOCAL_RANK) and WORLD_SIZE from `env`; else a single process. */
export function resolveWorld(
  opts: { rank?: number; worldSize?: number },
  env: Record<string, string | undefined> = {},
): World {
  const worldSize = opts.worldSize ?? envInt(env, 'WORLD_SIZE') ?? 1;
  const rank = opts.rank ?? envInt(env, 'RANK') ?? envInt(env, 'LOCAL_RANK') ?? 0;
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new UsageError(`Expected \`worldSize\` to be an integer from 1 and up, got \`${worldSize}\``);
  }
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new UsageError(`Expected \`rank\` to be an integer from 0 to ${worldSize - 1}, got \`${rank}\``);
  }
  return { rank, worldSize };
}

/** Rank r's contiguous share [r·perRank, (r+1)·perRank) of one global batch of perRank × worldSize slots. */
export function rankSlice<T>(global: ArrayLike<T>, world: World): T[] {
  const per = global.length / world.worldSize;
  const out: T[] = [];
  for (let i = world.rank * per; i < (world.rank + 1) * per; i++) out.push(global[i]);
  return out;
}
