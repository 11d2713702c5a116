// `npm run bench` command line.
import { parseArgs } from 'node:util';

export const HELP = `Usage: npm run bench -- [options]

  --runs <n>          cold starts per variant (default 15, at least 15 for the README)
  --invocations <n>   warm-path invocations per handler (default 1000)
  --concurrency <c>   fan-out concurrency (default: the fanoutConcurrency parameter, 8)
  --curve <sizes>     the cost curve's organization sizes, comma-separated (default
                      10,100,1000,5000; "none" leaves the section out)
  --distributed <on|none>
                      distributed mode against one invocation, 1,000 accounts x 4 regions
                      (default on; "none" leaves the section out)
  --instructions <on|none>
                      also count each cold start's instructions under valgrind's callgrind
                      (article port, shipped, with its code cache; default none: slow)
  --out <file>        also write the markdown results to <file>
  -h, --help          this help

Exit status: 0 every target met, 1 a target missed, 2 the bench could not run.`;

export interface BenchOptions {
  readonly runs: number;
  readonly invocations: number;
  readonly concurrency: number | undefined;
  readonly out: string | undefined;
  readonly curve: readonly number[];
  readonly distributed: boolean;
  readonly instructions: boolean;
}

function onOrNone(flag: string, text: string): boolean {
  if (text !== 'on' && text !== 'none')
    throw new Error(`--${flag} takes on or none, got "${text}"`);
  return text === 'on';
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '15' },
      invocations: { type: 'string', default: '1000' },
      concurrency: { type: 'string' },
      out: { type: 'string' },
      curve: { type: 'string', default: '10,100,1000,5000' },
      distributed: { type: 'string', default: 'on' },
      instructions: { type: 'string', default: 'none' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const integer = (flag: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new Error(`--${flag} takes an integer from ${min} to ${max}, got "${text}"`);
    }
    return value;
  };
  return {
    runs: integer('runs', values.runs, 1, 1000),
    invocations: integer('invocations', values.invocations, 2, 100_000),
    concurrency:
      values.concurrency === undefined
        ? undefined
        : integer('concurrency', values.concurrency, 1, 50),
    out: values.out,
    distributed: onOrNone('distributed', values.distributed),
    instructions: onOrNone('instructions', values.instructions),
    curve:
      values.curve === 'none'
        ? []
        : values.curve.split(',').map((size) => integer('curve', size.trim(), 1, 20_000)),
  };
}
