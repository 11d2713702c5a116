// The Lambda entry point: the cross-account core (@cross-account-lambda/core) running the job of
// job/index.ts.

import { createHandler } from '@cross-account-lambda/core';
import { job } from '../job';

export type { CrossAccountResponse, TargetResult } from '@cross-account-lambda/core';

// Cold start: the configuration is read and validated here, once.
const crossAccount = createHandler(job);

export const { handler, config, jobConfig } = crossAccount;
