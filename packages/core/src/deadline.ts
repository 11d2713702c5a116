import { DeadlineExceededError } from './errors';

export interface Deadline {
  /** Aborts when the budget is spent; passed to every SDK call as abortSignal. */
  readonly signal: AbortSignal;
  readonly budgetMs: number;
}

/**
 * The invocation's time budget: what Lambda says is left minus a margin, so the function still
 * has time to answer with a clear error instead of being killed mid-call.
 */
export function startDeadline(remainingMs: number, safetyMarginMs: number): Deadline {
  const budgetMs = Math.max(0, Math.floor(remainingMs - safetyMarginMs));
  return { signal: AbortSignal.timeout(budgetMs), budgetMs };
}

/**
 * Settles with `work` or with DeadlineExceededError, whichever comes first. Needed on top of the
 * SDK's abortSignal because a credential refresh (AssumeRole inside the provider) takes no signal.
 */
export function withinDeadline<T>(deadline: Deadline, work: () => Promise<T>): Promise<T> {
  const { signal, budgetMs } = deadline;
  if (signal.aborted) return Promise.reject(new DeadlineExceededError(budgetMs));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineExceededError(budgetMs));
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    work().then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
