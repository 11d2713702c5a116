// The bench's own section and the closing summary: the machine, and the markdown the README takes.
import { availableParallelism, cpus } from 'node:os';
import {
  check,
  checksTable,
  kib,
  markdownTable,
  mib,
  ms,
  ratio,
  type Section,
  type Table,
} from './report';
import { median } from './statistics';
import type { Variant, VariantName } from './variants';

/** Issue 4: the whole bench in under two minutes on two cores. */
export const BENCH_BUDGET_MS = 120_000;

export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const date = new Date().toISOString().slice(0, 10);
  return `Benchmark ${date}: ${availableParallelism()} cores (${cpu}), Node ${process.version}, ${process.platform}/${process.arch}`;
}

export function benchSection(elapsedMs: number, offLoopback: readonly string[]): Section {
  const hosts = [...new Set(offLoopback)];
  return {
    title: '8. The bench itself',
    table: {
      headers: ['Measure', 'Value'],
      rows: [
        ['Wall time', ms(elapsedMs, 0)],
        ['Connections refused beyond 127.0.0.1', String(offLoopback.length)],
      ],
    },
    notes: hosts.length > 0 ? [`Hosts the children tried to reach: ${hosts.join(', ')}`] : [],
    checks: [
      check(
        'network beyond 127.0.0.1',
        '0 connections',
        String(offLoopback.length),
        offLoopback.length === 0,
      ),
      check(
        'whole bench',
        `< ${ms(BENCH_BUDGET_MS / 1000, 0).replace(' ms', ' s')}`,
        `${(elapsedMs / 1000).toFixed(1)} s`,
        elapsedMs < BENCH_BUDGET_MS,
      ),
    ],
  };
}

export function readmeMarkdown(
  machine: string,
  variants: ReadonlyMap<VariantName, Variant>,
  runs: readonly { variant: VariantName; totalMs: number; maxRssKiB: number }[],
  sections: readonly Section[],
): string {
  const of = (name: VariantName) => runs.filter((run) => run.variant === name);
  const shippedRuns = of('shipped');
  const shippedZip = variants.get('shipped')?.zipBytes ?? 1;
  const shippedCold = median(shippedRuns.map((run) => run.totalMs));
  const shippedRss = median(shippedRuns.map((run) => run.maxRssKiB));
  const table: Table = {
    headers: [
      'Variant',
      'Raw',
      'Zipped',
      'Cold start (median)',
      'vs shipped',
      'Peak RSS',
      'vs shipped',
    ],
    rows: [...variants.values()].map((variant) => {
      const cold = median(of(variant.name).map((run) => run.totalMs));
      const rss = median(of(variant.name).map((run) => run.maxRssKiB));
      return [
        variant.label,
        kib(variant.rawBytes),
        `${kib(variant.zipBytes)} (${ratio(variant.zipBytes / shippedZip)})`,
        ms(cold, 0),
        ratio(cold / shippedCold),
        mib(rss),
        ratio(rss / shippedRss),
      ];
    }),
  };
  return [
    `_${machine}, \`npm run bench\`_`,
    '',
    markdownTable(table),
    '',
    markdownTable(checksTable(sections)),
  ].join('\n');
}
