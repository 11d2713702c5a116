import { startDeadline, withinDeadline } from '@cross-account-lambda/core/src/deadline';
import { DeadlineExceededError } from '@cross-account-lambda/core/src/errors';

describe('startDeadline', () => {
  it('leaves the safety margin of what Lambda says remains', () => {
    expect(startDeadline(10_000, 1000).budgetMs).toBe(9000);
  });

  it('has no budget, and is already aborted soon, when less than the margin remains', async () => {
    const deadline = startDeadline(400, 1000);
    expect(deadline.budgetMs).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(deadline.signal.aborted).toBe(true);
  });

  it('aborts its signal when the budget is spent', async () => {
    const deadline = startDeadline(1030, 1000);
    expect(deadline.signal.aborted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.signal.aborted).toBe(true);
  });
});

describe('withinDeadline', () => {
  it('settles with the work when it finishes in time', async () => {
    await expect(withinDeadline(startDeadline(5000, 0), async () => 'done')).resolves.toBe('done');
    await expect(
      withinDeadline(startDeadline(5000, 0), async () => {
        throw new Error('own failure');
      }),
    ).rejects.toThrow('own failure');
  });

  it('rejects with DeadlineExceededError when the work outlives the budget', async () => {
    const pending = withinDeadline(startDeadline(20, 0), () => new Promise(() => {}));
    await expect(pending).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(pending).rejects.toMatchObject({ budgetMs: 20 });
  });

  it('does not start work once the budget is already spent', async () => {
    const deadline = startDeadline(0, 0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const work = jest.fn(async () => 'late');
    await expect(withinDeadline(deadline, work)).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(work).not.toHaveBeenCalled();
  });

  it('stops listening to the signal once the work is done', async () => {
    const deadline = startDeadline(5000, 0);
    const remove = jest.spyOn(deadline.signal, 'removeEventListener');
    await withinDeadline(deadline, async () => 1);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
