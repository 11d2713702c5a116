// The job this function runs in every target account. To run your own, write a module shaped like
// ./listObjects.ts (`defineJob({ permissions, run })`) and export it here as `job` (README, "Make
// it yours"); the handler, `npm start`, `npm run check` and the serverless plugin's params.js take the job from here.
export { listObjects as job } from './listObjects';
