// The scan's bounded task window: never more than `limit` running, first failure rethrown, no unhandled rejection.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskWindow } from '../../lib/metadata/task-window.js';

t.test('bounded concurrency', async (t) => {
  const w = new TaskWindow(3);
  let running = 0;
  let peak = 0;
  let done = 0;
  for (let i = 0; i < 20; i++) {
    await w.add(async () => {
      peak = Math.max(peak, ++running);
      await sleep(2 + (i % 3));
      running--;
      done++;
    });
  }
  await w.drain();
  t.equal(done, 20);
  t.equal(peak, 3, 'never more than the limit in flight');
});

t.test('a failure stops the window and is rethrown once', async (t) => {
  const w = new TaskWindow(2);
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  await w.add(async () => {
    await sleep(1);
    throw new Error('boom');
  });
  await w.add(async () => {
    await sleep(5);
    throw new Error('second');
  });
  await t.rejects(
    w.add(async () => {}),
    /boom/,
  );
  await t.rejects(w.drain(), /boom/);
  await sleep(10);
  t.equal(unhandled, 0, 'no unhandled rejection');
});
