// The README and docs/ link to each other by file and heading: every relative link must land on a
// file of the project and, with a #fragment, on a heading of that file (GitHub's anchors).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6} (.+)$/.exec(line)?.[1];
    if (!heading) continue;
    const base = anchorOf(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function linksOf(text: string): string[] {
  const withoutCode = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].flatMap((m) =>
    m[1] && !/^[a-z]+:/.test(m[1]) ? [m[1]] : [],
  );
}

test('GitHub anchors drop punctuation and keep hyphens and underscores', () => {
  expect(anchorOf('Before every deploy: `npm run check`')).toBe(
    'before-every-deploy-npm-run-check',
  );
  expect(anchorOf('`sls invoke local` against real AWS')).toBe('sls-invoke-local-against-real-aws');
});

describe.each(DOCUMENTS)('%s', (document) => {
  const text = readFileSync(join(PROJECT_ROOT, document), 'utf8');
  it('links only to files and headings that exist', () => {
    const broken = linksOf(text).filter((link) => {
      const [path = '', fragment] = link.split('#');
      const target =
        path === '' ? join(PROJECT_ROOT, document) : join(PROJECT_ROOT, dirname(document), path);
      if (!existsSync(target)) return true;
      if (fragment === undefined) return false;
      if (!target.endsWith('.md')) return true;
      return !anchorsOf(readFileSync(target, 'utf8')).has(fragment);
    });
    expect(broken.map((link) => `${document} -> ${link}`)).toEqual([]);
  });
});
