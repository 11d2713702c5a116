import { fanOut } from '@cross-account-lambda/core/src/fanout';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fanOut', () => {
  it('never has more than `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 23 }, (_, index) => index);
    await fanOut(items, 4, async (item) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await tick(item % 3);
      inFlight -= 1;
    });
    expect(peak).toBe(4);
  });

  it('keeps every lane busy: the next item starts as soon as any call ends, not when a batch does', async () => {
    const release: Array<() => void> = [];
    const started: number[] = [];
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const done = fanOut(
      Array.from({ length: 6 }, (_, index) => index),
      4,
      (item) =>
        new Promise<void>((resolve) => {
          started.push(item);
          release[item] = resolve;
        }),
    );
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    release[2]?.();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    release[0]?.();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    for (const item of [1, 3, 4, 5]) release[item]?.();
    await expect(done).resolves.toHaveLength(6);
  });

  it('returns the outcomes in the order of the items, not of completion', async () => {
    const outcomes = await fanOut([30, 0, 20, 10], 4, async (delay, index) => {
      await tick(delay);
      return `item ${index}`;
    });
    expect(outcomes.map((outcome) => outcome.status === 'fulfilled' && outcome.value)).toEqual([
      'item 0',
      'item 1',
      'item 2',
      'item 3',
    ]);
  });

  it('reports a failing item as rejected and still runs all the others', async () => {
    const visited: number[] = [];
    const outcomes = await fanOut([1, 2, 3, 4], 1, async (item) => {
      visited.push(item);
      if (item === 2) throw new Error('denied');
      return item;
    });
    expect(visited).toEqual([1, 2, 3, 4]);
    expect(outcomes[1]).toEqual({ status: 'rejected', reason: new Error('denied') });
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
  });

  it('runs one item at a time with a concurrency of one', async () => {
    const events: string[] = [];
    await fanOut(['a', 'b'], 1, async (item) => {
      events.push(`start ${item}`);
      await tick(5);
      events.push(`end ${item}`);
    });
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('returns an empty list for no items', async () => {
    expect(await fanOut([], 8, async () => 1)).toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a concurrency of %p', async (concurrency) => {
    await expect(fanOut([1], concurrency, async () => 1)).rejects.toThrow(RangeError);
  });
});
