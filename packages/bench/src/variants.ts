// The handler variants the bench compares, each built into its own folder with its artefact size.
// `shipped` is the zip `sls package` produced, unzipped; the others are built with esbuild from
// the same options (serverless.yml custom.esbuild) with one thing changed, and zipped the same way.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { HANDLER_ENTRY, type ShippedBuild } from './buildOptions';
import { median } from './statistics';
import { readArtefact, writeZip } from './zip';

const { writeCodeCache } = require('@cross-account-lambda/serverless-plugin/code-cache') as {
  writeCodeCache(options: {
    node: string;
    bundlePath: string;
    cachePath: string;
    warmUp: { export: string; event: unknown; timeoutMs: number };
    env: Readonly<Record<string, string>>;
    flags: readonly string[];
  }): Promise<{ builtBy: string; headerCheck: boolean }>;
};

export type VariantName =
  | 'shipped'
  | 'codeCache'
  | 'cacheRejected'
  | 'compileFree'
  | 'discovery'
  | 'sourcemap'
  | 'naive'
  | 'external'
  | 'article';
/** What the handler module is: this starter's handler or the port of the AWS article's. */
export type HandlerKind = 'starter' | 'article';

export interface Variant {
  readonly name: VariantName;
  readonly label: string;
  readonly kind: HandlerKind;
  /** Absolute path of the module Lambda would load. */
  readonly handlerPath: string;
  /** Artefact contents: file name -> bytes (raw). */
  readonly files: ReadonlyMap<string, number>;
  readonly rawBytes: number;
  readonly zipBytes: number;
  /** Extra `node` flags and environment for a process running it. */
  readonly nodeArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Cold starts load the module with the V8 code cache kept here (the compile-free floor). */
  readonly codeCachePath?: string;
  /** The code cache loader's INFO line this variant must print once (refused) or never (none). */
  readonly loaderLine?: 'none' | 'refused';
  /** Median time to read and inflate its zip here (shipped and code cache variants). */
  readonly unpackMs?: number;
}

export interface BuiltVariants {
  readonly variants: ReadonlyMap<VariantName, Variant>;
  /** Whether re-zipping the shipped files as serverless-esbuild does gives the shipped size. */
  readonly zipReproduced: boolean;
  /** The bench's esbuild rebuild of the shipped bundle is byte-identical to `sls package`'s. */
  readonly replicaMatches: boolean;
  /** Bytes in the shipped bundle per package (from esbuild's metafile), largest first. */
  readonly composition: readonly { module: string; bytes: number }[];
}

export const ARTICLE_ENTRY = join(__dirname, 'articleHandler.ts');
const HANDLER_JS = 'handlers/crossAccount.js';

export async function buildVariants(
  workDir: string,
  shippedZip: string,
  shipped: ShippedBuild,
  /** The artefact `sls package --param codeCache=true` wrote: loader, bundle and V8 code cache. */
  codeCacheZip?: string,
): Promise<BuiltVariants> {
  const [entry, ...others] = [...(await readArtefact(shippedZip))].map(([name, data]) => ({
    name,
    data,
  }));
  if (!entry || others.length > 0 || entry.name !== HANDLER_JS) {
    throw new Error(`expected ${shippedZip} to hold only ${HANDLER_JS}`);
  }
  const shippedZipBytes = (await readFile(shippedZip)).length;
  const zipReproduced = (await writeZip([entry])).length === shippedZipBytes;
  const variants = new Map<VariantName, Variant>();

  const shippedDir = join(workDir, 'shipped');
  await writeFiles(shippedDir, new Map([[HANDLER_JS, entry.data]]));
  const shippedVariant: Variant = {
    name: 'shipped',
    label: 'shipped (sls package)',
    kind: 'starter',
    handlerPath: join(shippedDir, HANDLER_JS),
    files: new Map([[HANDLER_JS, entry.data.length]]),
    rawBytes: entry.data.length,
    zipBytes: shippedZipBytes,
    nodeArgs: [],
    env: {},
    unpackMs: await unpackTime(shippedZip),
  };
  variants.set('shipped', shippedVariant);
  // Not a build: the shipped file run with every function it needs already compiled (a V8 code
  // cache), which shows how much of its cold start is compilation and how much is running code.
  const compileFreeDir = join(workDir, 'compile-free');
  await mkdir(compileFreeDir, { recursive: true });
  variants.set('compileFree', {
    ...shippedVariant,
    name: 'compileFree',
    label: 'shipped, nothing compiled (floor)',
    codeCachePath: join(compileFreeDir, 'v8-code-cache.bin'),
  });

  if (codeCacheZip) {
    // The artefact as shipped, and the same artefact with a cache V8 refuses (writeRefusedCache),
    // as after a runtime update the cache was not built for: the loader then compiles the bundle.
    const files = await readArtefact(codeCacheZip);
    const artefact = {
      kind: 'starter' as const,
      files: new Map([...files].map(([file, data]) => [file, data.length])),
      rawBytes: [...files.values()].reduce((sum, data) => sum + data.length, 0),
      zipBytes: (await readFile(codeCacheZip)).length,
      nodeArgs: [],
      env: {},
      unpackMs: await unpackTime(codeCacheZip),
    };
    const cached = [
      ['codeCache', 'shipped with its V8 code cache (codeCache=true)', 'none'],
      ['cacheRejected', 'code cache refused by V8 (written under other flags)', 'refused'],
    ] as const;
    for (const [name, label, loaderLine] of cached) {
      const dir = join(workDir, name);
      await writeFiles(dir, files);
      variants.set(name, {
        ...artefact,
        name,
        label,
        loaderLine,
        handlerPath: join(dir, HANDLER_JS),
      });
    }
  }

  const replica = await bundle(HANDLER_ENTRY, { ...shipped.options, metafile: true });
  const replicaMatches = replica.files.get(HANDLER_JS)?.equals(entry.data) ?? false;

  const add = async (
    name: VariantName,
    label: string,
    kind: HandlerKind,
    built: Bundle,
    extra: Pick<Variant, 'nodeArgs' | 'env'> = { nodeArgs: [], env: {} },
  ) => {
    const dir = join(workDir, name);
    await writeFiles(dir, built.files);
    const files = [...built.files].map(([file, data]) => ({ name: file, data }));
    variants.set(name, {
      name,
      label,
      kind,
      handlerPath: join(dir, built.main),
      files: new Map(files.map((file) => [file.name, file.data.length])),
      rawBytes: files.reduce((sum, file) => sum + file.data.length, 0),
      zipBytes: (await writeZip(files)).length,
      ...extra,
    });
  };

  // As a stage with targetOrganizationalUnits builds it: the Organizations client in.
  await add(
    'discovery',
    'shipped + account discovery',
    'starter',
    await bundle(HANDLER_ENTRY, shipped.withDiscovery),
  );
  // As shipped, plus the source map serverless.yml leaves out (and the flag that uses it).
  await add(
    'sourcemap',
    'shipped + source map',
    'starter',
    await bundle(HANDLER_ENTRY, { ...shipped.options, sourcemap: true }),
    { nodeArgs: ['--enable-source-maps'], env: {} },
  );
  // What a first bundle usually looks like: everything in, CommonJS entry points (no tree
  // shaking possible), not minified, no plugins.
  await add(
    'naive',
    'naive bundle',
    'starter',
    await bundle(HANDLER_ENTRY, {
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: shipped.options.target,
      mainFields: ['main'],
      minify: false,
    }),
  );
  // The SDK left to the runtime: only our code is bundled; the SDK resolves from node_modules
  // (CommonJS, as the runtime's /var/runtime/node_modules provides it; here the project's versions).
  await add(
    'external',
    'SDK external',
    'starter',
    await bundle(HANDLER_ENTRY, {
      ...shipped.options,
      plugins: [],
      external: ['@aws-sdk/*', '@smithy/*'],
    }),
    { nodeArgs: [], env: { NODE_PATH: join(PROJECT_ROOT, 'node_modules') } },
  );
  // The AWS article's handler, ported, built exactly as the shipped one.
  await add(
    'article',
    'article-style port',
    'article',
    await bundle(ARTICLE_ENTRY, shipped.options),
  );

  return { variants, zipReproduced, replicaMatches, composition: composition(replica.metafile) };
}

interface Bundle {
  /** Path of the handler module inside the artefact. */
  readonly main: string;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly metafile: Metafile | undefined;
}

/** Builds `entry` as the artefact's handlers/<name>.js (plus its .map when asked for). */
async function bundle(entry: string, options: BuildOptions): Promise<Bundle> {
  const main = `handlers/${basename(entry).replace(/\.ts$/, '.js')}`;
  const result = await build({
    ...options,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entry],
    outfile: join(PROJECT_ROOT, main),
    write: false,
    logLevel: 'error',
  });
  const files = new Map<string, Buffer>();
  for (const file of result.outputFiles) {
    files.set(relative(PROJECT_ROOT, file.path), Buffer.from(file.contents));
  }
  return { main, files, metafile: result.metafile };
}

async function writeFiles(dir: string, files: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [name, data] of files) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  }
}

function composition(metafile: Metafile | undefined): { module: string; bytes: number }[] {
  const output = metafile ? Object.values(metafile.outputs)[0] : undefined;
  if (!output) return [];
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const key = pkg ?? input.split('/')[0] ?? input;
    totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([module, bytes]) => ({ module, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Lambda unpacks the artefact before Init: what it takes here to read and inflate it, median of 9. */
async function unpackTime(zip: string): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 9; run += 1) {
    const started = performance.now();
    await readArtefact(zip);
    times.push(performance.now() - started);
  }
  return median(times);
}

/**
 * Replaces the refused variant's cache with one V8 will not take under Lambda's flags: the same
 * bundle after the same warm-up, written by the same Node without --expose-gc (a header V8
 * refuses, as it refuses one from another Node build; the payload is about as large).
 */
export async function writeRefusedCache(
  variant: Variant,
  env: Readonly<Record<string, string>>,
): Promise<void> {
  const dir = dirname(variant.handlerPath);
  await writeCodeCache({
    node: process.execPath,
    bundlePath: join(dir, 'crossAccount.bundle.js'),
    cachePath: join(dir, 'crossAccount.cache'),
    warmUp: { export: 'handler', event: {}, timeoutMs: 10_000 },
    env,
    flags: [],
  });
}
