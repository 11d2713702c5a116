// esbuild plugins for the Lambda bundle (serverless.yml: custom.esbuild.plugins). Each one keeps
// code out of the bundle that this function never runs, or lets esbuild see that it is unused;
// none changes what the code that stays does. Where a job could need what one leaves out (an
// event stream, SigV4a), the build checks the job and stops, naming the switch that keeps it in:
// `custom.sdkSlimming.<plugin name>: false` in serverless.yml. `npm run bench` measures the
// artefact (each plugin's share is noted below) and runs it against the offline stand-in.
const { existsSync } = require('node:fs');
const { readFile } = require('node:fs/promises');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');

// The service's folder: serverless-esbuild and the benchmark build from there.
const PROJECT_ROOT = process.cwd();

/**
 * The SDK's default credential chain (@aws-sdk/credential-provider-node) tries env vars, SSO, ini
 * files, credential_process, web identity, then container and instance metadata. Every client
 * references it as its `credentials` default, so all of it is bundled (~120 KB minified, with the
 * SSO, OIDC and sign-in clients and a JSON protocol), yet Lambda always hands the execution role's
 * credentials over in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, and
 * `sls invoke local` and `npm start` pass them the same way. This keeps the chain's first link.
 * The target-account clients never use it: they get the assumed-role credentials explicitly.
 */
const envOnlyCredentialChain = {
  name: 'env-only-credential-chain',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) => ({
      path: 'credential-provider-node',
      namespace: 'env-only-credential-chain',
      pluginData: { resolveDir: args.resolveDir },
    }));
    build.onLoad({ filter: /.*/, namespace: 'env-only-credential-chain' }, (args) => ({
      // Resolved from the SDK package that asked, so fromEnv and the error class are the copies
      // the full chain would have used.
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
      contents: `
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { CredentialsProviderError } from '@smithy/core/config';

export const defaultProvider = (init = {}) => async () => {
  try {
    return await fromEnv(init)();
  } catch {
    // The full chain's class and opening words, so callers recognise and map it the same way.
    throw new CredentialsProviderError(
      'Could not load credentials from any providers: this bundle reads the home credentials ' +
        'from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only, as Lambda ' +
        'sets them (profiles, SSO and instance metadata are left out by @cross-account-lambda/serverless-plugin)',
      { tryNextLink: false, logger: init.logger },
    );
  }
};
export const credentialsWillNeedRefresh = (credentials) => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300000;
`,
    }));
  },
};

/**
 * Dynamic import()s of modules this bundle already imports statically (so they are evaluated at
 * load either way). esbuild decides before tree shaking that every module an import() can reach
 * must be wrapped in a lazy initialiser, which costs bytes and start-up time for nothing: the HTTP
 * protocol's import() of the event-stream serde (which S3Client imports), and the HTTP handler's
 * of node:http (which src/clientSettings.ts imports). Made static here.
 */
const STATIC_IMPORTS = [
  {
    file: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]protocols[\\/]HttpProtocol\.js$/,
    specifier: '@smithy/core/event-streams',
  },
  // The HTTP handler loads node:https statically but node:http with import(), which in a CommonJS
  // bundle starts Node's ESM loader on the first request (~2 ms of a cold start) for a built-in.
  {
    file: /[\\/]@smithy[\\/]node-http-handler[\\/]dist-es[\\/]node-http-handler\.js$/,
    specifier: 'node:http',
  },
];

const staticSdkImports = {
  name: 'static-sdk-imports',
  setup(build) {
    const filter = new RegExp(STATIC_IMPORTS.map(({ file }) => file.source).join('|'));
    build.onLoad({ filter }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const { specifier } = STATIC_IMPORTS.find(({ file }) => file.test(args.path));
      const call = `await import(${JSON.stringify(specifier)})`;
      if (!source.includes(call)) {
        // A newer SDK changed the call: the bundle still works, it is only bigger.
        return {
          contents: source,
          loader: 'js',
          warnings: [{ text: `${call} not found; the bundle will be larger (npm run bench)` }],
        };
      }
      const contents = `import * as staticImport from ${JSON.stringify(specifier)};\n${source
        .split(call)
        .join('staticImport')}`;
      return { contents, loader: 'js' };
    });
  },
};

/**
 * S3's event streams (SelectObjectContent's response is the only one) need @smithy/core's
 * event-stream codec and marshaller (~15 KB minified, ~5 KiB zipped). S3Client imports them for
 * its `eventStreamMarshaller` and builds one per client, and the HTTP protocol loads the serde for
 * commands with an event-stream member; no command this function imports has one, so neither is
 * ever used. Replaced by a module of the same exports that builds nothing and says what is missing
 * should a job ever send such a command.
 */
const noEventStreams = {
  name: 'no-event-streams',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({
      path: 'event-streams',
      namespace: 'no-event-streams',
    }));
    build.onLoad({ filter: /.*/, namespace: 'no-event-streams' }, () => ({
      loader: 'js',
      contents: `
const missing = () => {
  throw new Error(
    'event streams (S3 SelectObjectContent) are left out of this bundle by @cross-account-lambda/serverless-plugin ' +
      '(no-event-streams); remove that plugin to send a command with an event-stream member',
  );
};
const marshaller = { serialize: missing, deserialize: missing };
export const eventStreamSerdeProvider = () => marshaller;
export const resolveEventStreamSerdeConfig = (input) =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });
export class EventStreamSerde {
  constructor() {
    missing();
  }
}
`,
    }));
  },
};

/**
 * The SDK's Node hashes (Sha256Node, Sha1Node) fall back to pure-JavaScript SHA-256 and SHA-1
 * (~5.5 KB minified, 2.6 KiB zipped) when node:crypto cannot create the hash. Node on Lambda always can, so the
 * fallback is never taken; it is replaced by a class that says what is missing should it ever be.
 */
const nativeHashesOnly = {
  name: 'native-hashes-only',
  setup(build) {
    build.onResolve({ filter: /^\.\/Sha(1|256)Js$/ }, (args) =>
      /[\\/]Sha(1|256)Node\.js$/.test(args.importer)
        ? { path: args.path, namespace: 'native-hashes-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'native-hashes-only' }, (args) => {
      const name = args.path.slice(2);
      return {
        loader: 'js',
        contents: `
export class ${name} {
  constructor() {
    throw new Error('node:crypto cannot create this hash, and the pure-JavaScript ${name} is left out of this bundle by @cross-account-lambda/serverless-plugin (native-hashes-only)');
  }
}
`,
      };
    });
  },
};

// `const _LOVR = "ListObjectsV2Request";` at the top of an SDK schemas file.
const STRING_CONSTANT = /^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm;
// `{ [_hQ]: _mk }`: a computed key naming one of those constants.
const COMPUTED_KEY = /\[(_\w+)\]:/g;

/**
 * A client's schemas file declares every shape of the service (S3: ~1,000) as top-level arrays
 * and each command module refers to the few it needs. esbuild drops unused declarations only when
 * they are free of side effects, and an object literal with a computed key (`{ [_hQ]: _mk }`) is
 * not, since evaluating a key may call toString(). Every such key here names a string constant of
 * the same file, so writing the string in its place changes nothing at run time and lets esbuild
 * drop the unused shapes (~60 KB minified for S3).
 */
const literalSchemaKeys = {
  name: 'literal-sdk-schema-keys',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/].+[\\/]schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, 'utf8');
        const constants = new Map();
        for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) {
          constants.set(name, literal);
        }
        const contents = source.replace(COMPUTED_KEY, (key, name) =>
          constants.has(name) ? `${constants.get(name)}:` : key,
        );
        return { contents, loader: 'js' };
      },
    );
  },
};

/**
 * The SDK's default credential chain, were any of it bundled, signs its own STS calls with the
 * client of @aws-sdk/nested-clients, a second copy of STS (client, schemas, endpoint rules: ~14 KB
 * minified) next to @aws-sdk/client-sts, which the function imports for AssumeRole. client-sts
 * exports the same names generated from the same service model.
 */
const oneStsClient = {
  name: 'one-sts-client',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/nested-clients\/sts$/ }, (args) =>
      build.resolve('@aws-sdk/client-sts', { kind: args.kind, resolveDir: PROJECT_ROOT }),
    );
  },
};

/**
 * Each client imports its whole package.json (dependencies, scripts: ~5 KB for the two) for one
 * field, `packageInfo.version`, which goes into the user agent; nothing in the SDK reads another.
 */
const packageVersionOnly = {
  name: 'sdk-package-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

/**
 * S3Client signs every request with SignatureV4MultiRegion, which adds SigV4a (signing region
 * `*`) for Multi-Region Access Points on top of SigV4, with its loaders for the CRT or JS SigV4a
 * signers and their long error texts (~1 KiB zipped). SigV4a needs one of those optional packages,
 * which this bundle does not carry, so the SDK could only fail there anyway; the replacement keeps
 * the SigV4 signer (and S3 Express's signWithCredentials, which is never SigV4a) and says what
 * is missing. Its
 * share paid for the per-target metrics and the region fan-out within the 100 KiB target.
 */
const s3SigV4Only = {
  name: 's3-sigv4-only',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/signature-v4-multi-region$/ }, async (args) => {
      if (args.namespace === 's3-sigv4-only') return undefined;
      const real = await build.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        namespace: 's3-sigv4-only',
      });
      return { path: real.path, namespace: 's3-sigv4-only' };
    });
    build.onLoad({ filter: /.*/, namespace: 's3-sigv4-only' }, (args) => ({
      resolveDir: dirname(args.path),
      loader: 'js',
      contents: `
import { SignatureV4SignWithCredentials } from './SignatureV4SignWithCredentials.js';
const noSigV4a = (options = {}) => {
  if (options.signingRegion === '*') {
    throw new Error(
      'SigV4a (S3 Multi-Region Access Points) is left out by @cross-account-lambda/serverless-plugin (s3-sigv4-only)',
    );
  }
};
export class SignatureV4MultiRegion extends SignatureV4SignWithCredentials {
  static sigv4aDependency() {
    return 'none';
  }
  async sign(request, options) {
    noSigV4a(options);
    return super.sign(request, options);
  }
  async presign(request, options) {
    noSigV4a(options);
    return super.presign(request, options);
  }
}
export const signatureV4CrtContainer = { CrtSignerV4: null };
export { SignatureV4SignWithCredentials };
`,
    }));
  },
};

// The module of src/ that lists the accounts of OUs, and the variable that asks for it.
const DISCOVERY_MODULE = /^\.\/discovery$/;
const DISCOVERY_VARIABLE = 'TARGET_ORGANIZATIONAL_UNITS';

/**
 * Account discovery (src/discovery.ts) needs @aws-sdk/client-organizations, ~13 KiB zipped: with
 * it the bundle would not fit the 100 KiB target (`npm run bench` prints both sizes). A stage that
 * names its accounts never runs it, so its bundle gets a module of the same export that says how
 * to get the real one; a stage with targetOrganizationalUnits gets src/discovery.ts itself.
 */
function discoveryOnlyWhenConfigured(discovery) {
  return {
    name: 'discovery-only-when-configured',
    setup(build) {
      if (discovery) return;
      build.onResolve({ filter: DISCOVERY_MODULE }, (args) =>
        /[\\/]src[\\/]crossAccount\.ts$/.test(args.importer)
          ? { path: 'discovery', namespace: 'discovery-only-when-configured' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'discovery-only-when-configured' }, () => ({
        loader: 'js',
        contents: `
export function createAccountDiscovery() {
  throw new Error(
    '${DISCOVERY_VARIABLE} is set, but this bundle was built without account discovery ' +
      '(@cross-account-lambda/serverless-plugin, discovery-only-when-configured): build and deploy with ' +
      '--param targetOrganizationalUnits=<OU ids> so sls package bundles it',
  );
}
`,
      }));
    },
  };
}

/** Whether any function of the resolved service configuration discovers its accounts. */
function discoversAccounts(serverless) {
  const functions = Object.values(serverless?.service?.functions ?? {});
  return functions.some((fn) => String(fn?.environment?.[DISCOVERY_VARIABLE] ?? '').trim() !== '');
}

/**
 * Stops the build when a bundled SDK command has an event-stream member (S3 SelectObjectContent,
 * Kinesis SubscribeToShard, Bedrock's ...WithResponseStream, ...) while no-event-streams leaves
 * the codec out: such a command could only fail at run time. Which commands are bundled comes
 * from esbuild's metafile; whether one streams, from the operation's schema in its SDK client.
 */
const eventStreamGuard = {
  name: 'event-stream-guard',
  setup(build) {
    build.initialOptions.metafile = true;
    build.onEnd((result) => {
      if (!result.metafile) return;
      const streaming = streamingCommands(result.metafile);
      if (streaming.length === 0) return;
      throw new Error(
        `${streaming.join(', ')} ${streaming.length === 1 ? 'has' : 'have'} an event stream, which ` +
          "@cross-account-lambda/serverless-plugin's no-event-streams leaves out of the bundle: " +
          'set custom.sdkSlimming: { no-event-streams: false } in serverless.yml to bundle it',
      );
    });
  },
};

const COMMAND_MODULE =
  /^(.*[\\/]node_modules[\\/](@aws-sdk[\\/]client-[a-z0-9-]+))[\\/]dist-[a-z]+[\\/]commands[\\/](\w+Command)\.js$/;

/** The bundled commands (`Client.Command`) whose input or output has an event-stream member. */
function streamingCommands(metafile) {
  const used = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput > 0) used.add(input);
    }
  }
  const found = [];
  for (const input of used) {
    const match = COMMAND_MODULE.exec(join(PROJECT_ROOT, input));
    if (!match) continue;
    const [, packageDir, , command] = match;
    const requireThere = createRequire(join(packageDir, 'package.json'));
    const client = requireThere(packageDir);
    const { NormalizedSchema } = requireThere('@smithy/core/schema');
    const schema = new client[command]({}).schema;
    const sides = [schema?.input ?? schema?.[4], schema?.output ?? schema?.[5]];
    if (sides.some((side) => side && NormalizedSchema.of(side).getEventStreamMember?.())) {
      found.push(command);
    }
  }
  return found.sort();
}

// An S3 Multi-Region Access Point, which S3 signs with SigV4a: arn:aws:s3::<account>:accesspoint/<alias>.mrap
const MULTI_REGION_ACCESS_POINT = /:accesspoint\/[^/]+\.mrap\b/;
const SIGV4A_PACKAGE = '@aws-sdk/signature-v4a';

/** The first resource of the job's permissions that only SigV4a can sign for, if any. */
function sigV4aResource(job) {
  for (const permission of Object.values(job?.permissions ?? {})) {
    const resources = [permission?.resource].flat().filter((r) => typeof r === 'string');
    const found = resources.find((resource) => MULTI_REGION_ACCESS_POINT.test(resource));
    if (found) return found;
  }
  return undefined;
}

/** Stops the build: the job needs SigV4a, which the service has not installed. */
function sigV4aMissing(resource) {
  return {
    name: 'sigv4a-missing',
    setup() {
      throw new Error(
        `The job's permissions name a Multi-Region Access Point (${resource}), which S3 signs with ` +
          `SigV4a: npm i -E ${SIGV4A_PACKAGE} and import '${SIGV4A_PACKAGE}' in the job, and the ` +
          'build bundles it (s3-sigv4-only then steps aside)',
      );
    },
  };
}

/**
 * Under Lambda's `--expose-gc`, V8 refuses the code cache Node embeds for its own modules, so each
 * Node module the function loads is compiled from source at first use (measured: node:https 30-39
 * ms instead of 16-17). Three SDK spots load modules the function never uses on Lambda: the ini
 * reader imports node:fs/promises (about 6 ms) for a config file Lambda does not have; a type
 * check of request and response bodies touches the global ReadableStream, which loads Node's WHATWG
 * streams (about 6 ms), though the bodies are strings, bytes and Node streams; and the UUID helper
 * touches the global crypto, which loads WebCrypto, for what node:crypto does. Each patch below
 * rewrites one expression to one that decides the same for every value without that load, and
 * applies only while the pinned SDK has the expression word for word (a test checks each applies).
 */
function sourcePatch(name, file, patches) {
  return {
    name,
    setup(build) {
      build.onLoad({ filter: file }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        for (const [find, replace] of patches) {
          if (!contents.includes(find)) return undefined;
          contents = contents.replace(find, replace);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

const noFsPromises = sourcePatch(
  'no-fs-promises',
  /[\\/]shared-ini-file-loader[\\/]readFile\.js$/,
  [
    [
      'import { readFile as fsReadFile } from "node:fs/promises";',
      'import { readFile as readFileCallback } from "node:fs";\n' +
        'const fsReadFile = (path, encoding) => new Promise((resolve, reject) => readFileCallback(path, encoding, (error, data) => (error ? reject(error) : resolve(data))));',
    ],
  ],
);

// A string, bytes or a Node stream is never a ReadableStream: only other objects need the class.
const MAYBE_WEB_STREAM = (value) =>
  `(typeof ${value} === "object" && ${value} !== null && !(${value} instanceof Readable) && !ArrayBuffer.isView(${value}))`;

const noWebStreamsForNodeBodies = sourcePatch(
  'no-web-streams-for-node-bodies',
  /[\\/]middleware-retry[\\/]isStreamingPayload[\\/]isStreamingPayload\.js$/,
  [
    [
      '(typeof ReadableStream !== "undefined" && request?.body instanceof ReadableStream)',
      `(${MAYBE_WEB_STREAM('request?.body')} && typeof ReadableStream !== "undefined" && request?.body instanceof ReadableStream)`,
    ],
  ],
);

const noWebStreamsForNodeStreams = sourcePatch(
  'no-web-streams-for-node-streams',
  /[\\/]util-stream[\\/]stream-type-check\.js$/,
  [
    [
      'export const isReadableStream = (stream) => typeof ReadableStream === "function" &&',
      'import { Readable } from "node:stream";\n' +
        `export const isReadableStream = (stream) => (stream?.constructor?.name === "ReadableStream" || ${MAYBE_WEB_STREAM('stream')}) && typeof ReadableStream === "function" &&`,
    ],
  ],
);

const nodeRandomUuid = sourcePatch('node-random-uuid', /[\\/]serde[\\/]uuid[\\/]v4\.js$/, [
  [
    'if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") {\n        return () => crypto.randomUUID();',
    'if (typeof nodeRandomUUID === "function") {\n        return () => nodeRandomUUID();',
  ],
  [
    'const decimalToHex',
    'import { randomUUID as nodeRandomUUID } from "node:crypto";\nconst decimalToHex',
  ],
]);

/**
 * The plugins for a build. `slimming` is serverless.yml's custom.sdkSlimming (`{ <plugin name>:
 * false }` keeps that part of the SDK); `job` is the job the function runs, whose permissions say
 * whether it signs with SigV4a.
 */
function pluginsFor({ discovery, slimming = {}, job }) {
  const on = (name) => slimming[name] !== false;
  const plugins = [
    envOnlyCredentialChain,
    staticSdkImports,
    ...(on('no-event-streams') ? [noEventStreams, eventStreamGuard] : []),
    nativeHashesOnly,
    literalSchemaKeys,
    oneStsClient,
    packageVersionOnly,
    ...[noFsPromises, noWebStreamsForNodeBodies, noWebStreamsForNodeStreams, nodeRandomUuid].filter(
      (plugin) => on(plugin.name),
    ),
  ];
  const mrap = sigV4aResource(job);
  if (mrap && !isInstalled(SIGV4A_PACKAGE)) plugins.push(sigV4aMissing(mrap));
  else if (!mrap && on('s3-sigv4-only')) plugins.push(s3SigV4Only);
  plugins.push(discoveryOnlyWhenConfigured(discovery));
  return plugins;
}

function isInstalled(name) {
  return existsSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'));
}

// serverless-esbuild calls an exported function with the resolved service (its `plugins` option):
// the parameters and the job decide what is bundled.
module.exports = (serverless) =>
  pluginsFor({
    discovery: discoversAccounts(serverless),
    slimming: serverless?.service?.custom?.sdkSlimming ?? {},
    // The job params.js loaded while the variables resolved (the same module, not read again).
    job: require('./params.js').job,
  });
module.exports.pluginsFor = pluginsFor;
