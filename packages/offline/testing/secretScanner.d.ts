// Types of secretScanner.js for the TypeScript side (tests and runRecord.ts).
export const RUN_DIR_VARIABLE: string;
export const FRAGMENT_LENGTH: number;

export interface SecretRecord {
  readonly label: string;
  readonly length: number;
  readonly hashes: readonly string[];
}

/** Opaque: built by indexSecrets, read by findSecrets. */
export interface SecretIndex {
  readonly byLength: Map<number, Map<string, string>>;
}

export function fragmentHashes(value: string): string[];
export function indexSecrets(records: readonly SecretRecord[]): SecretIndex;
export function findSecrets(text: string, secretIndex: SecretIndex): string[];
