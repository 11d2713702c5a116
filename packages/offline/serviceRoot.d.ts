/** The folder of the nearest serverless.yml at or above `from` (default: the working directory). */
export function findServiceRoot(from?: string): string;
