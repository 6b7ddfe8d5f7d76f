// Fair queueing in the work queue (issue 8): tasks naming a client are ordered by start-time fair
// queueing on p-queue's priorities, so one client's backlog does not hold up another's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/host/work-queue.ts';

/** A queue of one slot whose first task is held until `open()`; every task records its name as it starts. */
function heldQueue(queueSize = 100) {
  const queue = new WorkQueue(1, queueSize);
  const order: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const first = queue.run(async () => {
    order.push('first');
    await gate;
  });
  const add = (name: string, client?: string, signal?: AbortSignal) =>
    queue.run(
      async () => {
        order.push(name);
      },
      { ...(client !== undefined ? { client } : {}), ...(signal ? { signal } : {}) },
    );
  return { queue, order, open, first, add };
}

test("a quiet client's first task goes before a busy client's backlog; each client keeps its own order", async () => {
  const q = heldQueue();
  const tasks = [...Array.from({ length: 6 }, (_, i) => q.add(`a${i}`, 'a')), q.add('b0', 'b'), q.add('b1', 'b'), q.add('c0', 'c')];
  q.open();
  await Promise.all([q.first, ...tasks]);
  // a0 came first at the same virtual time as b0 and c0: at most that one slot before them.
  assert.deepEqual(q.order, ['first', 'a0', 'b0', 'c0', 'a1', 'b1', 'a2', 'a3', 'a4', 'a5']);
});

test('busy clients are served in turn, one task each', async () => {
  const q = heldQueue();
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < 3; i++) for (const c of ['x', 'y', 'z']) tasks.push(q.add(`${c}${i}`, c));
  // Another burst of x arrives later: it does not jump ahead of y and z.
  for (let i = 3; i < 5; i++) tasks.push(q.add(`x${i}`, 'x'));
  q.open();
  await Promise.all([q.first, ...tasks]);
  assert.deepEqual(q.order, ['first', 'x0', 'y0', 'z0', 'x1', 'y1', 'z1', 'x2', 'y2', 'z2', 'x3', 'x4']);
});

test('tasks without a client share one flow in arrival order; a waiting task can still be withdrawn', async () => {
  const q = heldQueue();
  const gone = new AbortController();
  const tasks = [q.add('n0'), q.add('n1'), q.add('n2'), q.add('k0', 'k')];
  const withdrawn = q.add('n3', undefined, gone.signal);
  gone.abort(new Error('left'));
  await assert.rejects(withdrawn, /left/);
  q.open();
  await Promise.all([q.first, ...tasks]);
  // "first" was of the unnamed flow too: k0 goes before that flow's backlog.
  assert.deepEqual(q.order, ['first', 'k0', 'n0', 'n1', 'n2']);
  assert.equal(q.queue.stats().waiting, 0);
});

test('the bound still holds with clients: past queueSize a task is refused at once', async () => {
  const q = heldQueue(2);
  const waiting = [q.add('a0', 'a'), q.add('b0', 'b')];
  await assert.rejects(q.add('c0', 'c'), /work queue is full/);
  q.open();
  await Promise.all([q.first, ...waiting]);
});
