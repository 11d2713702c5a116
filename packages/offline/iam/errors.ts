/**
 * Raised when the offline proof cannot give an answer: a template construct it cannot resolve,
 * a policy the simulator rejects, a request it cannot model. Never used to mean "denied": a
 * denial is a `Decision`, so a broken model can never pass for a correctly locked-down one.
 */
export class EvaluatorError extends Error {
  override name = 'EvaluatorError';
}
