// tunefeed serves nothing over the network unless asked: the only listening call in lib/ and workers/ is the
// dashboard's (started by --dashboard alone), and a running `tunefeed stream` without the flag (with its prefetch
// thread and decode workers) owns no listening TCP/UDP socket (checked in /proc while it runs).
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDataset } from '../helpers/runtime-dataset.js';
import { report } from '../helpers/fault-count.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LISTENING = /\b(createServer|createSocket)\s*\(|\.listen\s*\(|\.bind\s*\(\s*\d|new\s+(net\.)?Server\s*\(/;
/** The dashboard server (lib/dashboard/server.ts): its createServer and listen calls, and nothing else anywhere. */
const DASHBOARD = 'lib/dashboard/server.ts';

t.test('no listening call in the sources outside the dashboard server', async (t) => {
  let scanned = 0;
  const hits: string[] = [];
  for (const top of ['lib', 'workers']) {
    for (const f of await readdir(join(ROOT, top), { recursive: true })) {
      if (!/\.(ts|cjs|mjs|js)$/.test(f)) continue;
      scanned++;
      (await readFile(join(ROOT, top, f), 'utf8')).split('\n').forEach((line, i) => {
        if (LISTENING.test(line)) hits.push(`${top}/${f}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  t.ok(
    ['http.createServer((q, r) => r.end())', "server.listen(0, '127.0.0.1')", 'dgram.createSocket("udp4")'].every((l) =>
      LISTENING.test(l),
    ),
    'the pattern has teeth',
  );
  t.ok(scanned > 50, `${scanned} source files scanned`);
  const dashboard = hits.filter((h) => h.startsWith(`${DASHBOARD}:`));
  t.equal(dashboard.length, 2, `the dashboard's createServer and listen: ${dashboard.join(' | ')}`);
  t.same(
    hits.filter((h) => !h.startsWith(`${DASHBOARD}:`)),
    [],
    'no other createServer / listen / bind / createSocket',
  );
  report(t, 'no-listeners-source', { files_scanned: scanned, listening_calls: hits.length });
});

/** Socket inodes of `pid` (all its threads share the fd table). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      /* fd closed meanwhile */
    }
  }
  return out;
}

/** Inodes of listening TCP sockets (state 0A) and bound UDP sockets on this machine. */
function listeningInodes(): Set<string> {
  const out = new Set<string>();
  for (const [file, udp] of [
    ['tcp', false],
    ['tcp6', false],
    ['udp', true],
    ['udp6', true],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && (udp || cols[3] === '0A')) out.add(cols[9]);
    }
  }
  return out;
}

t.test('the /proc check sees a listening socket when there is one', async (t) => {
  const http = await import('node:http');
  const srv = http.createServer((_, res) => res.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const mine = socketInodes(process.pid);
  t.ok(
    [...listeningInodes()].some((i) => mine.has(i)),
    'this test process is seen listening',
  );
});

t.test('a running stream owns no listening socket', async (t) => {
  const ds = await makeDataset('net', [40, 40], { config: { train_batch_size: 2 } });
  const cfg = join(ds.root, 'mdb.json');
  await writeFile(
    cfg,
    JSON.stringify([
      {
        id: 'net',
        type: 'local',
        instance_data_dir: ds.root,
        resolution: 48,
        resolution_type: 'pixel',
        caption_strategy: 'filename',
        crop: true,
        train_batch_size: 2,
      },
      { id: 'te', dataset_type: 'text_embeds', type: 'local', default: true, cache_dir: join(ds.root, 'te') },
    ]),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'lib/cli/main.ts'), 'stream', cfg, '--epochs', '50', '--format', 'binary'],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let bytes = 0;
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const first = new Promise<void>((r) =>
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      r();
    }),
  );
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  await Promise.race([first, exited]);
  let samples = 0;
  let listening = 0;
  let sockets = 0;
  for (let i = 0; i < 10 && child.exitCode === null; i++, samples++) {
    const mine = socketInodes(child.pid!);
    sockets = Math.max(sockets, mine.size);
    for (const inode of listeningInodes()) if (mine.has(inode)) listening++;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  await exited;
  t.ok(
    bytes > 0 && samples >= 5,
    `the stream was running and producing (${bytes} bytes, ${samples} samples of /proc)`,
    { stderr: err.slice(-1000) },
  );
  t.equal(listening, 0, `no listening socket among the process's ${sockets} sockets`);
  report(t, 'no-listeners-runtime', { proc_samples: samples, max_sockets: sockets, listening_sockets: listening });
});
