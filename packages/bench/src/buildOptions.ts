// The esbuild options `sls package` uses, read from serverless.yml's `custom.esbuild` and turned
// into plain esbuild options the way serverless-esbuild does, so the bench can rebuild the shipped
// bundle (with a metafile, or a source map) and build the other variants from the same baseline.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import type { BuildOptions, Plugin } from 'esbuild';
import { yamlParse } from 'yaml-cfn';

export const HANDLER_ENTRY = 'handlers/crossAccount.ts';

// serverless-esbuild's own keys, which it removes before calling esbuild (dist/bundle.js).
const PLUGIN_ONLY_KEYS = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
]);

export interface ShippedBuild {
  /** The options as esbuild receives them from serverless-esbuild (entry and outdir aside). */
  readonly options: BuildOptions;
  /** `custom.esbuild` as written, for the report. */
  readonly declared: Record<string, unknown>;
  /** The same options as a stage with targetOrganizationalUnits builds them (discovery in). */
  readonly withDiscovery: BuildOptions;
}

export function shippedBuildOptions(): ShippedBuild {
  const config = yamlParse(readFileSync(join(PROJECT_ROOT, 'serverless.yml'), 'utf8')) as {
    custom?: { esbuild?: Record<string, unknown> };
  };
  const declared = config.custom?.esbuild;
  if (!declared) throw new Error('serverless.yml has no custom.esbuild block');
  const options: Record<string, unknown> = { platform: 'node' };
  for (const [key, value] of Object.entries(declared)) {
    if (!PLUGIN_ONLY_KEYS.has(key)) options[key] = value;
  }
  const exclude = Array.isArray(declared.exclude) ? (declared.exclude as string[]) : [];
  const external = Array.isArray(declared.external) ? (declared.external as string[]) : [];
  options.external = [...external, ...(exclude.includes('*') ? [] : exclude)];
  const withDiscovery: Record<string, unknown> = { ...options };
  if (typeof declared.plugins === 'string') {
    const path = join(PROJECT_ROOT, declared.plugins);
    options.plugins = loadPlugins(path, false);
    withDiscovery.plugins = loadPlugins(path, true);
  }
  return {
    options: options as BuildOptions,
    declared,
    withDiscovery: withDiscovery as BuildOptions,
  };
}

type PluginsExport = ((serverless: unknown) => Plugin[]) & {
  pluginsFor?: (choice: { discovery: boolean }) => Plugin[];
};

function loadPlugins(path: string, discovery: boolean): Plugin[] {
  // The file is CommonJS, as serverless-esbuild require()s it; it exports a function of the
  // resolved service, whose parameters decide whether account discovery is bundled.
  const loaded = require(path) as PluginsExport;
  const plugins = loaded.pluginsFor?.({ discovery });
  if (!Array.isArray(plugins)) {
    throw new Error(`${path} must export a function with pluginsFor({ discovery })`);
  }
  return plugins;
}
