// Reads the artefact `sls package` wrote and zips the other variants the way it zipped its own,
// so that their sizes compare like for like. serverless-esbuild writes the artefact with archiver
// (`archiver.create('zip')`, every entry dated 1980 for reproducible zips); the same library and
// options are used here (the bench checks that they reproduce the shipped zip's size).

import { readArtefact } from '@cross-account-lambda/offline/synth';
import archiver from 'archiver';

export { readArtefact };

export interface ZipFile {
  readonly name: string;
  readonly data: Buffer;
}

// serverless-esbuild's `date: new Date(0)`: archiver clamps it to the zip epoch, 1980-01-01.
const ENTRY_DATE = new Date(0);
const FILE_MODE = 0o100644;

/** A zip of `files` as serverless-esbuild writes one. */
export async function writeZip(files: readonly ZipFile[]): Promise<Buffer> {
  const archive = archiver('zip');
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const file of files) {
    archive.append(file.data, { name: file.name, date: ENTRY_DATE, mode: FILE_MODE });
  }
  await archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}
