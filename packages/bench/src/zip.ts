// Reads the artefact `sls package` wrote and zips the other variants the way it zipped its own,
// so that their sizes compare like for like: serverless-esbuild writes the artefact with archiver,
// every entry dated 1980 for reproducible zips, and the kit's serverless plugin deflates it again
// at level 9; the plugin's own writer is used here (the bench checks that it reproduces the
// shipped zip's size).

import { readArtefact } from '@cross-account-lambda/offline/synth';

export { readArtefact };

export interface ZipFile {
  readonly name: string;
  readonly data: Buffer;
}

// serverless-esbuild's `date: new Date(0)`: archiver clamps it to the zip epoch, 1980-01-01.
const ENTRY_DATE = new Date(0);
const FILE_MODE = 0o100644;

const { writeZip: pluginWriteZip } =
  require('@cross-account-lambda/serverless-plugin/plugins/recompress-artifact') as {
    writeZip(
      entries: readonly { name: string; data: Buffer; date: Date; mode: number }[],
    ): Promise<Buffer>;
  };

/** A zip of `files` as `sls package` writes one. */
export function writeZip(files: readonly ZipFile[]): Promise<Buffer> {
  return pluginWriteZip(files.map((file) => ({ ...file, date: ENTRY_DATE, mode: FILE_MODE })));
}
