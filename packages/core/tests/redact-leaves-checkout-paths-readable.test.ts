// Redaction is exact: whatever directory the project is checked out in, no path of it is mistaken
// for a credential. Every tracked file is placed under synthetic roots of every length from 1 to
// 64 characters (the old 40-character rule hid `<root>/handlers/crossAccount` at root lengths 12
// and 18), as a plain path and as the stack-frame lines errors carry into logs.
import { execFileSync } from 'node:child_process';
import { redactText, redactValue } from '@cross-account-lambda/core/src/redact';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';

const PROJECT_ROOT = findServiceRoot();
const trackedFiles = execFileSync('git', ['ls-files', '-z'], {
  cwd: PROJECT_ROOT,
  encoding: 'utf8',
})
  .split('\0')
  .filter(Boolean);
const LENGTHS = Array.from({ length: 64 }, (_, index) => index + 1);

/** `template` repeated and cut to `length` characters, always starting with '/'. */
function rootOf(template: string, length: number): string {
  return `/${template.repeat(Math.ceil(length / template.length)).slice(0, length - 1)}`;
}

// Each style at every length: one letter, a developer's home, mixed case and digits only (all of
// the base64 alphabet, the kind a shape rule takes for a key), and deep base64-only folders.
const ROOT_STYLES: Record<string, (length: number) => string> = {
  'one letter': (length) => rootOf('a', length),
  'a home folder': (length) => rootOf('home/dev/lambda-x/', length),
  'mixed case and digits': (length) => rootOf('HomeDevLambdaX2024', length),
  'base64-alphabet folders': (length) => rootOf('Ab1+Cd2/', length),
  'upper case folders': (length) => rootOf('WORK/BUILD7/', length),
};

function linesUnder(root: string): string[] {
  const base = root.endsWith('/') ? root : `${root}/`;
  return trackedFiles.flatMap((file) => {
    const path = `${base}${file}`;
    const bare = path.replace(/\.[^./]+$/, '');
    return [
      path,
      bare,
      `    at fn (${path}:12:34)`,
      `    at ${bare}.ts:64:23`,
      `    at Object.handler (${bare}:62:20)`,
    ];
  });
}

describe('redaction leaves every checkout path readable', () => {
  test(`the tracked files (${trackedFiles.length}) are found`, () => {
    expect(trackedFiles).toContain('handlers/crossAccount.ts');
    expect(trackedFiles).toContain('packages/core/src/redact.ts');
  });

  test.each(Object.keys(ROOT_STYLES))(
    'under roots of every length 1..64 (%s), as paths and stack frames, nothing is hidden',
    (style) => {
      const changed: string[] = [];
      let checked = 0;
      for (const length of LENGTHS) {
        const root = ROOT_STYLES[style]?.(length) ?? '';
        expect(root).toHaveLength(length);
        for (const line of linesUnder(root)) {
          checked += 1;
          if (redactText(line) !== line) changed.push(line);
        }
      }
      expect(changed).toEqual([]);
      expect(checked).toBe(LENGTHS.length * trackedFiles.length * 5);
    },
  );

  test('the project checkout itself and the root lengths that broke the suite (12, 18)', () => {
    for (const root of [PROJECT_ROOT, '/home/dev/lambda-x', '/tmp/ab-XXXXXX', '/Users/Dev/Src/x']) {
      for (const line of linesUnder(root)) expect(redactText(line)).toBe(line);
    }
  });

  test('an error logged with such a stack keeps its stack whole', () => {
    for (const length of LENGTHS) {
      const root = ROOT_STYLES['mixed case and digits']?.(length) ?? '';
      const error = new Error('boom');
      error.stack = [
        'Error: boom',
        `    at make (${root}/src/diagnose.ts:172:5)`,
        `    at ${root}/handlers/crossAccount.ts:64:23`,
        `    at Object.handler (${root}/handlers/crossAccount.ts:62:20)`,
      ].join('\n');
      expect(redactValue({ error })).toMatchObject({ error: { stack: error.stack } });
    }
  });
});
