// What a cloner owns stays theirs and small: the service (every tracked file outside packages/,
// docs/ and examples/, the lock aside) reaches the kit by package name only, and fits in a
// ten-minute read.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';

const ROOT = findServiceRoot();
const MAX_FILES = 30;
const MAX_LINES = 2500;
const MAX_README_LINES = 300;

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const service = tracked.filter(
  (file) => !/^(packages|docs|examples)\//.test(file) && file !== 'package-lock.json',
);
const linesOf = (file: string) => readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1;

/** The module specifiers of a TypeScript or JavaScript source: imports, exports, requires. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (const match of source.matchAll(pattern)) if (match[2]) found.push(match[2]);
  return found;
}

describe('the service (everything outside packages/, docs/ and examples/)', () => {
  const sources = tracked.filter(
    (file) => !file.startsWith('packages/') && /\.(ts|js|mjs|cjs)$/.test(file),
  );

  it.each(sources)('%s reaches the kit by package name, never by a path into packages/', (file) => {
    const intoPackages = specifiers(readFileSync(join(ROOT, file), 'utf8')).filter(
      (specifier) =>
        /(^|\/)packages\//.test(specifier) ||
        (specifier.startsWith('.') &&
          relative(ROOT, normalize(join(dirname(join(ROOT, file)), specifier))).startsWith(
            'packages',
          )),
    );
    expect(intoPackages).toEqual([]);
  });

  it(`is at most ${MAX_FILES} files and ${MAX_LINES} lines, tests and README included`, () => {
    const lines = service.reduce((sum, file) => sum + linesOf(file), 0);
    expect({ files: service.length, lines }).toEqual({
      files: Math.min(service.length, MAX_FILES),
      lines: Math.min(lines, MAX_LINES),
    });
  });

  it(`has a README of at most ${MAX_README_LINES} lines`, () => {
    expect(linesOf('README.md')).toBeLessThanOrEqual(MAX_README_LINES);
  });
});
