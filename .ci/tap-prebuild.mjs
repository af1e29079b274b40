// Rebuilds tap's Test class before a run when its plugin set differs from the configured one (tap's own check, made
// earlier): tap rebuilds inside the run but picks the run's loaders from the old build, so that first run would load
// ts-node and tsx both. Arguments: the tap arguments of the run (only plugin options matter).
import { spawnSync } from 'node:child_process';
import { TapConfig } from '@tapjs/config';
import { signature } from '@tapjs/test';

const args = process.argv.slice(2);
const config = (await TapConfig.load()).parse(args);
if (config.pluginSignature !== signature) {
  const plugins = args.filter((a) => a.startsWith('--plugin='));
  const r = spawnSync('npx', ['tap', 'build', ...plugins], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.exitCode = r.status ?? 1;
}
