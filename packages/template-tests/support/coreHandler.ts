// The Lambda entry point as handlers/crossAccount.ts writes it, running the core's own job: what
// the core's handler tests load as a cold start, whatever job job/index.ts selects.
import { createHandler } from '@cross-account-lambda/core/src/crossAccount';
import { coreJob } from './coreJob';

export const { handler, config, jobConfig } = createHandler(coreJob);
