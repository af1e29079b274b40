// A real `tunefeed stream` process over pre-built datasets (runStream, the CLI's code path after config resolution).
// argv: <dataset dir> <format> <batches> [save-state file] [resume file]
import { createLoader } from '../../lib/pipeline/create-loader.js';
import { readResumeState } from '../../lib/pipeline/resume-file.js';
import { runStream } from '../../lib/cli/stream.js';
import { makeDataset } from './runtime-dataset.js';

async function main(): Promise<void> {
  const [root, format, batches, saveState, resumeFile] = process.argv.slice(2) as [
    string,
    'ndjson' | 'binary',
    string,
    string?,
    string?,
  ];
  const ds = await makeDataset('cli', [5, 4], { root, broken: ['1_5_2.jpg'] });
  const resume = resumeFile ? await readResumeState(resumeFile) : undefined;
  const loader = await createLoader('unused', {
    datasets: [ds],
    batches: Number(batches),
    seed: 9,
    decode: format === 'binary',
    ...(resume ? { resume } : {}),
  });
  const s = await runStream(loader, process.stdout, { format, ...(saveState ? { saveState } : {}) });
  process.stderr.write(`${JSON.stringify(s)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`stream-child: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
