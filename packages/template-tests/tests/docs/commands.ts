// Reads the README as a list of commands: every line of every ```bash block (continuations joined,
// comments dropped), and every ```text block that opens with `$ <command>` as a command with the
// output the README shows for it.

export interface ReadmeCommand {
  /** The command as a user types it. */
  readonly text: string;
  /** The comment written after it, if any (it may say what to expect, e.g. "exit 1"). */
  readonly comment: string;
  /** 1-based line of the README where it starts. */
  readonly line: number;
  /** For a `$ command` text block: the output the README shows. */
  readonly shownOutput?: string[];
}

const FENCE = /^\s*```(\w*)\s*$/;

/** Splits `line` into its code and a trailing `# comment` that is not inside quotes. */
export function splitComment(line: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
    }
  }
  return { code: line.trimEnd(), comment: '' };
}

export function readmeCommands(readme: string): ReadmeCommand[] {
  const lines = readme.split('\n');
  const commands: ReadmeCommand[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const fence = FENCE.exec(lines[i] ?? '');
    if (!fence) continue;
    const kind = fence[1];
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    while (j < lines.length && !FENCE.test(lines[j] ?? '')) {
      body.push({ text: lines[j] ?? '', line: j + 1 });
      j += 1;
    }
    if (kind === 'bash') commands.push(...bashCommands(body));
    if (kind === 'text' && body[0]?.text.trim().startsWith('$ ')) {
      const { code, comment } = splitComment(body[0].text.trim().slice(2));
      commands.push({
        text: code,
        comment,
        line: body[0].line,
        shownOutput: body.slice(1).map((entry) => entry.text),
      });
    }
    i = j;
  }
  return commands;
}

function bashCommands(body: { text: string; line: number }[]): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let pending: { parts: string[]; comments: string[]; line: number } | undefined;
  for (const { text, line } of body) {
    const { code, comment } = splitComment(text);
    if (!pending && code.trim() === '') continue;
    pending ??= { parts: [], comments: [], line };
    const continues = code.endsWith('\\');
    pending.parts.push((continues ? code.slice(0, -1) : code).trim());
    if (comment) pending.comments.push(comment);
    if (!continues) {
      commands.push({
        text: pending.parts.filter(Boolean).join(' '),
        comment: pending.comments.join(' '),
        line: pending.line,
      });
      pending = undefined;
    }
  }
  return commands;
}

/**
 * The shape of some output: timings, ports, ids and counts vary from run to run, layout does not
 * matter; words, names and structure must be the same.
 */
export function shape(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/\d+(\.\d+)?/g, '0')
    .replace(/\s+/g, '');
}
