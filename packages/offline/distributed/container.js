// One Lambda container of `npm start`'s distributed mode: loads the handler bundle once (the cold
// start), then runs one invocation at a time as the parent sends them over IPC, as Lambda runs a
// warm container. Plain CommonJS and Node built-ins only: nothing here may load what the bundle
// would not have in Lambda.
const { dirname } = require('node:path');

const file = process.env.XACCT_CONTAINER_HANDLER_FILE;
const exportName = process.env.XACCT_CONTAINER_HANDLER_EXPORT;
const timeoutMs = Number(process.env.XACCT_CONTAINER_TIMEOUT_MS);
for (const name of Object.keys(process.env))
  if (name.startsWith('XACCT_CONTAINER_')) delete process.env[name];

let handler;
try {
  process.chdir(dirname(file));
  handler = require(file)[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no function ${exportName}`);
} catch (error) {
  // The cold start failed: every invocation of this container reports it, as Lambda's Init error.
  handler = async () => {
    throw error;
  };
}

let sequence = 0;
process.on('message', async ({ id, event }) => {
  sequence += 1;
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: `offline-${process.pid}-${sequence}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    process.send({ id, ok: true, result });
  } catch (error) {
    const { name = 'Error', message = String(error) } = error ?? {};
    process.send({ id, ok: false, error: { errorType: name, errorMessage: message } });
  }
});
process.send({ ready: true });
