/**
 * Runs `worker` over `items` with at most `concurrency` calls in flight and returns every outcome
 * in the order of `items`; one item's failure never stops the others.
 */
export async function fanOut<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer; got ${concurrency}`);
  }
  const outcomes = new Array<PromiseSettledResult<R>>(items.length);
  // One iterator shared by all lanes: each lane takes the next item when its previous one settles.
  const queue = items.entries();
  const lane = async () => {
    for (const [index, item] of queue) {
      try {
        outcomes[index] = { status: 'fulfilled', value: await worker(item, index) };
      } catch (reason) {
        outcomes[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return outcomes;
}
