// For a service's tests: the plugin's params.js run in-process, as `sls` runs it while variables
// resolve: the parameters given with --param, the stage's block of serverless.yml, the command on
// the command line.

type Load = (context: {
  options: { param?: string[] };
  resolveVariable: (name: string) => Promise<unknown>;
  resolveConfigurationProperty: (path: string[]) => Promise<unknown>;
}) => Promise<{ environment: Record<string, string> }>;

// sls loads the job and the core through tsx; here jest already compiles TypeScript, so tsx hands
// its requires to jest's (two TypeScript loaders in one process do not mix).
jest.mock('tsx/cjs/api', () => ({
  require: (id: string, from: string) =>
    jest.requireActual(
      id.startsWith('.')
        ? require('node:path').resolve(require('node:path').dirname(from), id)
        : id,
    ),
}));

const load = require('./params.js') as Load;

/** What `sls <command> --stage <stage> --param …` resolves, or the error it stops with. */
export async function deployTime(
  params: Record<string, string>,
  { stage = 'dev', command = 'package' }: { stage?: string; command?: string } = {},
): Promise<{ environment?: Record<string, string>; error?: Error }> {
  const argv = process.argv;
  process.argv = ['node', 'sls', ...command.split(' ')];
  const variables: Record<string, string> = {
    'sls:stage': stage,
    'self:service': 'cross-account-lambda',
    'self:provider.region': 'us-east-1',
  };
  try {
    const { environment } = await load({
      options: { param: Object.entries(params).map(([name, value]) => `${name}=${value}`) },
      resolveVariable: async (name) => variables[name],
      resolveConfigurationProperty: async () => undefined,
    });
    return { environment };
  } catch (error) {
    return { error: error as Error };
  } finally {
    process.argv = argv;
  }
}
