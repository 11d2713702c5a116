// The service as a whole, offline, as `npm run check` and `npm start` run it: both stacks let the
// job do exactly what it declares, and the job runs through the real `sls invoke local` against
// the stand-in. A change to the job, its fixtures or a template that breaks either fails here.
import { execFile } from 'node:child_process';

function npm(script: string): Promise<{ code: number; output: string }> {
  // Never the caller's AWS credentials: the tools bring the stand-in's own.
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '--silent', script],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

test('npm run check proves both stacks against the job', async () => {
  const { code, output } = await npm('check');
  expect(output).toMatch(/All \d+ cases match/);
  expect(code).toBe(0);
});

test('npm start runs the job in every target account, through sls invoke local', async () => {
  const { code, output } = await npm('start');
  expect(output).toMatch(/"failed": 0/);
  expect(output).toMatch(/AssumeRole 1\)/);
  expect(code).toBe(0);
});
