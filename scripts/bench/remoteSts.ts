// Section 2b: the cold start again, with STS a network round trip away. On 127.0.0.1 the stand-in
// answers AssumeRole within a few milliseconds; a regional STS endpoint takes tens. The shipped
// handler starts the job's first call while AssumeRole is on the wire (src/runTarget.ts), the
// article's port waits for the answer before it builds its S3 client: this shows what that is
// worth once there is a wait to fill. A figure, not a target.
import type { StandIn } from '../../offline/standin';
import { type ColdStarts, measureColdStarts } from './coldStart';
import { ms, ratio, type Section } from './report';
import { median } from './statistics';
import type { Variant } from './variants';

/** What the stand-in adds to each AssumeRole: a round trip to STS in the function's region. */
export const STS_ROUND_TRIP_MS = 20;

export async function measureRemoteSts(options: {
  readonly script: string;
  readonly shipped: Variant;
  readonly article: Variant;
  readonly rounds: number;
  readonly env: Readonly<Record<string, string>>;
  readonly standIn: StandIn;
}): Promise<ColdStarts> {
  options.standIn.faults.add({
    kind: 'delay',
    service: 'sts',
    action: 'AssumeRole',
    always: true,
    delayMs: STS_ROUND_TRIP_MS,
  });
  try {
    return await measureColdStarts({
      script: options.script,
      variants: [options.shipped, options.article],
      rounds: options.rounds,
      env: options.env,
      standIn: options.standIn,
    });
  } finally {
    options.standIn.faults.clear();
  }
}

export function remoteStsSection(coldStarts: ColdStarts, labels: Record<string, string>): Section {
  const summary = (name: string) => {
    const runs = coldStarts.runs.filter((run) => run.variant === name);
    return {
      total: median(runs.map((run) => run.totalMs)),
      invoke: median(runs.map((run) => run.invokeMs)),
    };
  };
  const shipped = summary('shipped');
  const rows = ['shipped', 'article'].map((name) => {
    const s = summary(name);
    return [labels[name] ?? name, ms(s.total), ratio(s.total / shipped.total), ms(s.invoke)];
  });
  const article = summary('article');
  return {
    title: `2b. Cold start with STS ${STS_ROUND_TRIP_MS} ms away`,
    table: { headers: ['Variant', 'Cold start', 'vs shipped', 'First call'], rows },
    notes: [
      `The stand-in holds every AssumeRole ${STS_ROUND_TRIP_MS} ms, as a regional STS endpoint ` +
        `adds a round trip; median of ${coldStarts.rounds} runs each, alternated. The shipped ` +
        "handler prepares the job's first call while AssumeRole is on the wire; the port builds " +
        `its S3 client after the answer. Shipped vs port: ${ratio(shipped.total / article.total)} ` +
        `(first invocation ${ms(shipped.invoke)} vs ${ms(article.invoke)}).`,
    ],
    checks: [],
  };
}
