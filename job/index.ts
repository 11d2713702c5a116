// The job this function runs in every target account. To run your own, write a module shaped like
// ./listObjects.ts and export it here as `job` (README, "Make it yours"); the handler, `npm start`
// and `npm run check` all take the job from this line.
export { listObjects as job } from './listObjects';
