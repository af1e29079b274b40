// kill -9 of the real `tunefeed scan` process at seeded random times over a five-dataset scan (checkpoints every
// 20 ms and ten cache-file writes spread over the run), then an inspection: every JSON file left parses and has its
// format (none half-written), and the rerun's caches equal an uninterrupted scan's with no temp file left.
import t from 'tap';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { plantCorpus } from '../helpers/make-images.js';
import { report } from '../helpers/fault-count.js';
import { inspect, killDelays, killedRun, runCli } from '../helpers/kill-runs.js';

const DATASETS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const PER_DATASET = 400;
const ROUNDS = 6;
const SEED = 20261207;
const cachesOf = (id: string) => [`aspect_ratio_bucket_indices_${id}.json`, `aspect_ratio_bucket_metadata_${id}.json`];

async function writeConfig(dir: string): Promise<string> {
  const cfg = join(dir, 'mdb.json');
  const entry = (id: string) => ({
    id,
    type: 'local',
    instance_data_dir: join(dir, id),
    caption_strategy: 'filename',
    resolution: 512,
    resolution_type: 'pixel',
    crop: true,
    crop_style: 'random',
  });
  const te = { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(dir, 'te') };
  await writeFile(cfg, JSON.stringify([...DATASETS.map(entry), te]));
  return cfg;
}

const readAll = (dir: string) =>
  Promise.all(DATASETS.flatMap((id) => cachesOf(id).map((f) => readFile(join(dir, id, f), 'utf8'))));
const clear = (dir: string) =>
  Promise.all(
    DATASETS.flatMap((id) => [
      ...cachesOf(id).map((f) => rm(join(dir, id, f), { force: true })),
      rm(join(dir, id, 'tunefeed_scan'), { recursive: true, force: true }),
    ]),
  );

/** The first file the scan writes: the kill clock starts there, past the process's start-up. */
const firstCheckpoint = (dir: string) => join(dir, DATASETS[0], 'tunefeed_scan', DATASETS[0], 'manifest.json');

t.test('kill -9 at seeded random times: nothing half-written, no temp served, rerun equals a clean scan', async (t) => {
  const dir = t.testdir({});
  for (const id of DATASETS) await plantCorpus(join(dir, id), PER_DATASET);
  const cfg = await writeConfig(dir);
  const args = ['scan', cfg, '--json', '--workers', '1', '--flush-seconds', '0.02', '--set', 'output_dir='];
  const ref = await runCli(args, { clockFrom: firstCheckpoint(dir) });
  t.equal(ref.code, 0, 'reference scan', { stderr: ref.stderr.slice(-1000) });
  const reference = await readAll(dir);
  // Delays cover the scan from its first checkpoint to its exit, the last cache writes included: the clean run's own
  // duration scales them to this machine.
  const refMs = ref.ranMs ?? 0;
  t.ok(refMs > 0, `the reference scan wrote its first checkpoint ${Math.round(refMs)} ms before it exited`);
  const delays = killDelays(SEED, ROUNDS, 0, 0.95 * refMs);
  const c = { killed: 0, jsonChecked: 0, halfWritten: 0, tempsByKills: 0, killsLeavingTemps: 0, identical: 0 };
  let tempsAfterReruns = 0;
  for (const [i, planned] of delays.entries()) {
    const reset = () => clear(dir);
    const { run, delay } = await killedRun(args, { killAfterMs: planned, clockFrom: firstCheckpoint(dir) }, reset);
    const after = await inspect(dir);
    t.comment(
      `round ${i}: kill ${delay} ms after the first checkpoint ` +
        `(clean run: ${Math.round(refMs)} ms), killed=${run.killed}`,
    );
    t.comment(`round ${i}: ${after.json} JSON files, ${after.broken.length} broken, ${after.temps.length} temps left`);
    t.ok(run.killed, `round ${i}: the kill ended the scan`);
    t.same(after.broken, [], `round ${i}: every JSON file left parses and has its format`);
    c.killed += run.killed ? 1 : 0;
    c.jsonChecked += after.json;
    c.halfWritten += after.broken.length;
    c.tempsByKills += after.temps.length;
    c.killsLeavingTemps += after.temps.length > 0 ? 1 : 0;
    const rerun = await runCli(args);
    t.equal(rerun.code, 0, `round ${i}: rerun completes`, { stderr: rerun.stderr.slice(-1000) });
    const same = JSON.stringify(await readAll(dir)) === JSON.stringify(reference);
    t.ok(same, `round ${i}: the rerun's ${DATASETS.length * 2} cache files equal the uninterrupted scan's`);
    c.identical += same ? 1 : 0;
    const left = (await inspect(dir)).temps.length;
    tempsAfterReruns += left;
    t.equal(left, 0, `round ${i}: no temp file after the rerun (the kill left ${after.temps.length})`);
  }
  report(t, 'kill-scan', {
    files: DATASETS.length * PER_DATASET,
    datasets: DATASETS.length,
    rounds: ROUNDS,
    seed: SEED,
    killed: c.killed,
    json_files_checked: c.jsonChecked,
    half_written: c.halfWritten,
    temp_files_left_by_kills: c.tempsByKills,
    kills_that_left_a_temp: c.killsLeavingTemps,
    temp_files_after_reruns: tempsAfterReruns,
    reruns_identical: c.identical,
  });
});
