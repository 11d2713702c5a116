// `npm start` with the V8 code cache (--param codeCache=true): sls invoke local runs the function
// through the same loader the artefact ships, under the flags of Lambda's bootstrap, so a broken
// cache path fails here before it fails on Lambda.
import { E2E_TIMEOUT_MS, memoisedSynthesis, printedResult, runStart } from './support';

const synthesis = memoisedSynthesis();
afterAll(() => synthesis.disposeAll(), E2E_TIMEOUT_MS);

// The cache is written for the architecture it runs on: this machine's.
const ARCHITECTURE = process.arch === 'arm64' ? 'arm64' : 'x86_64';

test(
  'npm start --param codeCache=true runs the function through the loader, which takes its cache',
  async () => {
    const run = await runStart(
      [
        '--verbose',
        '--logs',
        '--param',
        'codeCache=true',
        '--param',
        `architecture=${ARCHITECTURE}`,
      ],
      synthesis,
    );
    expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toEqual({ code: 0, err: '' });
    expect(run.err).toMatch(
      /sls: .*codeCache: sls invoke local runs handlers\/crossAccount\.handler through the code cache loader \(cache written by Node v24\.\d+\.\d+ linux-\w+ \(V8 [^)]+\) --expose-gc/,
    );
    expect(`${run.out}${run.err}`).not.toContain('code cache not used');
    expect(printedResult(run.out)).toMatchObject({ summary: { succeeded: 1, failed: 0 } });
  },
  E2E_TIMEOUT_MS,
);
