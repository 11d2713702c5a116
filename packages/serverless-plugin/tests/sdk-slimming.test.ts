// What the bundle leaves out of the AWS SDK cannot bite at run time: every rule still matches the
// pinned SDK (an upgrade that moves a file fails here, not in Lambda), and a job that needs what a
// rule leaves out stops the build with the switch that keeps it in.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { readArtefact, SynthesisError, synthesize } from '@cross-account-lambda/offline/synth';
import { build, type OnLoadArgs, type OnResolveArgs, type Plugin, type PluginBuild } from 'esbuild';

const ROOT = findServiceRoot();
const { lambdaNodeFlags } = require('../code-cache.js') as {
  lambdaNodeFlags(memorySize: number): string[];
};
const { pluginsFor } = require('../esbuild-plugins.js') as {
  pluginsFor(choice: {
    discovery: boolean;
    slimming?: Record<string, boolean>;
    job?: unknown;
  }): Plugin[];
};

/** Plugins that only check the build: they replace nothing. */
const GUARDS = new Set(['event-stream-guard']);
/**
 * Rules the shipped handler does not reach (the job's own SDK use may), each with the module that
 * imports what it replaces and the specifier: both must still be there in the pinned SDK.
 */
const NOT_REACHED: Record<string, { importer: string; specifier: string }> = {
  // Only a bundled default credential chain (or @aws-sdk/credential-providers) asks for it.
  'one-sts-client': {
    importer: '@aws-sdk/credential-provider-ini',
    specifier: '@aws-sdk/nested-clients/sts',
  },
};

type Callback = (args: OnResolveArgs & OnLoadArgs) => unknown;

/** The plugins, each counting the times one of its callbacks answered (returned something). */
function counted(plugins: Plugin[]): { plugins: Plugin[]; hits: Map<string, number> } {
  const hits = new Map<string, number>();
  const wrap = (plugin: Plugin): Plugin => ({
    name: plugin.name,
    setup(pluginBuild: PluginBuild) {
      hits.set(plugin.name, 0);
      const count = (callback: Callback) => async (args: OnResolveArgs & OnLoadArgs) => {
        const answer = await callback(args);
        if (answer !== undefined && answer !== null) {
          hits.set(plugin.name, (hits.get(plugin.name) ?? 0) + 1);
        }
        return answer;
      };
      return plugin.setup({
        ...pluginBuild,
        onResolve: (options, callback) =>
          pluginBuild.onResolve(options, count(callback as Callback) as never),
        onLoad: (options, callback) =>
          pluginBuild.onLoad(options, count(callback as Callback) as never),
      });
    },
  });
  return { plugins: plugins.map(wrap), hits };
}

function bundle(entry: string, plugins: Plugin[]) {
  return build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
    plugins,
  });
}

describe('each slimming rule, against the pinned SDK', () => {
  it.each([false, true])(
    'matches what it replaces in the shipped handler (discovery: %s)',
    async (discovery) => {
      const { plugins, hits } = counted(pluginsFor({ discovery }));
      await bundle('handlers/crossAccount.ts', plugins);
      const missed = [...hits]
        .filter(([name, count]) => count === 0 && !GUARDS.has(name) && !(name in NOT_REACHED))
        .filter(([name]) => !(discovery && name === 'discovery-only-when-configured'))
        .map(([name]) => name);
      // A rule that matched nothing means the SDK moved the file it replaces: update the rule.
      expect(missed).toEqual([]);
    },
  );

  it.each(Object.entries(NOT_REACHED))(
    '%s: what it replaces is still where the rule looks',
    (_name, { importer, specifier }) => {
      const entry = createRequire(join(ROOT, 'package.json')).resolve(importer);
      const dist = dirname(dirname(entry));
      const sources = readdirSync(dist, { recursive: true })
        .map(String)
        .filter((file) => file.endsWith('.js'));
      expect(
        sources.some((file) => readFileSync(join(dist, file), 'utf8').includes(`"${specifier}"`)),
      ).toBe(true);
      expect(() => createRequire(entry).resolve(specifier)).not.toThrow();
    },
  );
});

describe('a job that calls an event-stream operation (S3 SelectObjectContent)', () => {
  const job = {
    path: 'packages/serverless-plugin/tests/jobs/selectReport.ts',
    exportName: 'selectReport',
  };
  const entry = join('packages', 'serverless-plugin', 'tests', 'jobs', 'selectReport.ts');

  it('stops sls package, naming the command and the switch that bundles event streams', async () => {
    const failure = await synthesize({ job }).then(
      async (synthesis) => {
        await synthesis.dispose();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SynthesisError);
    expect((failure as Error).message).toMatch(
      /SelectObjectContentCommand has an event stream, .*no-event-streams leaves out of the bundle: set custom\.sdkSlimming: \{ no-event-streams: false \} in serverless\.yml/,
    );
  }, 120_000);

  it('builds with the switch off, the event-stream codec bundled', async () => {
    const result = await bundle(
      entry,
      pluginsFor({ discovery: false, slimming: { 'no-event-streams': false } }),
    );
    expect(result.errors).toEqual([]);
    expect(result.outputFiles?.[0]?.text).toContain('EventStreamCodec');
  });
});

describe('a job that reads through a Multi-Region Access Point (SigV4a)', () => {
  const job = {
    path: 'packages/serverless-plugin/tests/jobs/readThroughMultiRegionAccessPoint.ts',
    exportName: 'readThroughMultiRegionAccessPoint',
  };

  it('stops sls package, naming the access point and the package that signs for it', async () => {
    const failure = await synthesize({ job }).then(
      async (synthesis) => {
        await synthesis.dispose();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SynthesisError);
    expect((failure as Error).message).toMatch(
      /Multi-Region Access Point \(arn:.*\.mrap\/object\/\*\), which S3 signs with SigV4a: npm i -E @aws-sdk\/signature-v4a/,
    );
  }, 120_000);
});

describe("the shipped handler's first invocation, under Lambda's flags", () => {
  // Node modules the SDK would load for what never happens on Lambda (see esbuild-plugins.js): a
  // config file, WHATWG streams, WebCrypto. Each is compiled from source under --expose-gc.
  const UNUSED = ['fs/promises', 'internal/webstreams/readablestream', 'internal/crypto/webcrypto'];

  it('loads none of the Node modules it does not use, and serves the call', async () => {
    const synthesis = await synthesize({ stage: 'local' });
    const { warmUpWorld } = await import('@cross-account-lambda/offline/codeCacheWarmUp');
    const world = await warmUpWorld({ stage: 'local', region: 'us-east-1', params: [] });
    try {
      const files = await readArtefact(synthesis.artefactPath);
      const dir = mkdtempSync(join(tmpdir(), 'xacct-slim-'));
      try {
        writeFileSync(join(dir, 'crossAccount.js'), files.get('handlers/crossAccount.js') ?? '');
        const probe = `const { handler } = require(${JSON.stringify(join(dir, 'crossAccount.js'))});
handler({}, { awsRequestId: 'slim', getRemainingTimeInMillis: () => 10000 }).then((result) => {
  require('node:fs').writeSync(3, JSON.stringify({ failed: result.summary.failed, loaded: process.moduleLoadList }));
});`;
        const { NODE_OPTIONS: _ignored, ...env } = world.env;
        const report = await new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [...lambdaNodeFlags(256), '-e', probe], {
            env,
            stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
          });
          let out = '';
          child.stdio[3]?.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('error', reject);
          child.on('close', () => resolve(out));
        });
        const { failed, loaded } = JSON.parse(report) as { failed: number; loaded: string[] };
        expect(failed).toBe(0);
        expect(UNUSED.filter((name) => loaded.includes(`NativeModule ${name}`))).toEqual([]);
        // The probe sees what it should: the modules the SDK does use.
        expect(loaded).toContain('NativeModule https');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await world.close();
      await synthesis.dispose();
    }
  }, 120_000);
});
