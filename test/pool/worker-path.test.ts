// Worker flags: loaders pass through, process-wide flags are dropped, and a real Worker starts with the result.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { workerExecArgv, workerPath } from '../../lib/pool/worker-path.js';

t.test('loader flags kept with their values, process-wide flags dropped', async (t) => {
  t.same(
    workerExecArgv([
      '--expose-gc',
      '--import',
      'tsx',
      '--max-old-space-size=512',
      '--cpu-prof',
      '--require=x.cjs',
      '--conditions',
      'dev',
      '--no-warnings',
    ]),
    ['--import', 'tsx', '--require=x.cjs', '--conditions', 'dev', '--no-warnings'],
  );
  t.same(workerExecArgv(['--experimental-vm-modules', '--enable-source-maps']), [
    '--experimental-vm-modules',
    '--enable-source-maps',
  ]);
  t.same(workerExecArgv([]), []);
});

t.test('a worker starts with flags derived from a process that has --expose-gc', async (t) => {
  const argv = workerExecArgv([...process.execArgv, '--expose-gc']);
  t.notOk(argv.includes('--expose-gc'));
  const w = new Worker('process.exit(0)', { eval: true, execArgv: argv });
  const [code] = (await once(w, 'exit')) as [number];
  t.equal(code, 0);
});

t.test('worker files resolve to the form this module runs in', async (t) => {
  t.match(workerPath('decode'), /workers[\\/]decode\.(ts|js)$/);
});
