// How results are shown: aligned text tables for the terminal, markdown for the README, and the
// targets with PASS/FAIL.

export interface Check {
  readonly name: string;
  readonly target: string;
  readonly actual: string;
  readonly pass: boolean;
}

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly title: string;
  readonly table: Table;
  readonly notes: readonly string[];
  readonly checks: readonly Check[];
}

export function check(name: string, target: string, actual: string, pass: boolean): Check {
  return { name, target, actual, pass };
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function mib(kibibytes: number): string {
  return `${(kibibytes / 1024).toFixed(1)} MiB`;
}

export function ms(value: number, digits = 1): string {
  return `${value.toFixed(digits)} ms`;
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}x`;
}

export function textTable({ headers, rows }: Table): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)]
    .map((text) => `  ${text}`)
    .join('\n');
}

export function markdownTable({ headers, rows }: Table): string {
  const escapePipes = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escapePipes).join(' | ')} |`;
  const align = headers.map((_, column) => (column === 0 ? '---' : '---:'));
  return [line(headers), line(align), ...rows.map(line)].join('\n');
}

export function renderSection(section: Section): string {
  const parts = [`== ${section.title}`, textTable(section.table)];
  if (section.notes.length > 0) parts.push(section.notes.map((note) => `  ${note}`).join('\n'));
  parts.push(
    section.checks
      .map(
        (item) =>
          `  [${item.pass ? 'PASS' : 'FAIL'}] ${item.name}: ${item.actual} (target: ${item.target})`,
      )
      .join('\n'),
  );
  return parts.join('\n');
}

export function checksTable(sections: readonly Section[]): Table {
  return {
    headers: ['Check', 'Result', 'Target', ''],
    rows: sections.flatMap((section) =>
      section.checks.map((item) => [
        `${section.title.replace(/^\d+\.\s*/, '').replace(/:.*$/, '')}: ${item.name}`,
        item.actual,
        item.target,
        item.pass ? 'PASS' : 'FAIL',
      ]),
    ),
  };
}
