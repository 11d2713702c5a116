// Types of scripts/lambdaNode.js (plain CommonJS, loaded by jest.config.js before any transform).
export interface NodeFacts {
  version?: string;
  execPath?: string;
  platform?: string;
  arch?: string;
  /** Project root whose node_modules is looked at. */
  root?: string;
}
export function lambdaNodeMajor(): number;
export function lambdaNodeProblem(facts?: NodeFacts): string | undefined;
export function lockedNodePackage(
  platform?: string,
  arch?: string,
): { name: string; version: string } | undefined;
export function requireLambdaNode(): void;
