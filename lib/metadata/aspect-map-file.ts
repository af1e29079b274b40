// Area mode's aspect→resolution consistency map, persisted like SimpleTuner:
// {output_dir}/aspect_resolution_map-{res}.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageDatasetConfig, TrainingArgs } from '../config/types.js';
import { atomicWrite } from '../storage/atomic-write.js';
import { logger } from '../log.js';
import { AspectResolutionMap } from './size-calculators.js';

const log = logger('metadata/aspect-map');

function mapFile(config: ImageDatasetConfig, args: TrainingArgs): string | null {
  if (config.resolution_type !== 'area' || !args.output_dir) return null;
  return join(args.output_dir, `aspect_resolution_map-${config.resolution}.json`);
}

/** Loads the map users may have hand-edited; an absent or unreadable file gives an empty map. */
export async function loadAspectMap(config: ImageDatasetConfig, args: TrainingArgs): Promise<AspectResolutionMap> {
  const map = new AspectResolutionMap();
  const file = mapFile(config, args);
  if (!file) return map;
  try {
    map.load(config.resolution, JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn({ file, err: (err as Error).message }, 'ignoring unreadable aspect map');
  }
  return map;
}

/** Writes the map back (atomically); failures only warn, since the map is an optimisation of consistency. */
export async function saveAspectMap(
  config: ImageDatasetConfig,
  args: TrainingArgs,
  map: AspectResolutionMap,
): Promise<void> {
  const file = mapFile(config, args);
  if (!file) return;
  try {
    await atomicWrite(file, JSON.stringify(map.toJSON(config.resolution)));
  } catch (err) {
    log.warn({ file, err: (err as Error).message }, 'could not write aspect map');
  }
}
