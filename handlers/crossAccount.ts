// The Lambda entry point: the cross-account core (src/) running the job of job/index.ts.

import { job } from '../job';
import { createHandler } from '../src/crossAccount';

export type { CrossAccountResponse, TargetResult } from '../src/crossAccount';

// Cold start: the configuration is read and validated here, once.
const crossAccount = createHandler(job);

export const { handler, config, jobConfig } = crossAccount;
