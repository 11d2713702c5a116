// The S3 side's data: buckets owned by target accounts, with objects kept in memory.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { findServiceRoot } from '../serviceRoot';
import { s3Error } from './awsErrors';

export interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
  /** Quoted MD5, as S3 reports for a single-part upload. */
  readonly etag: string;
  readonly lastModified: number;
  readonly contentType: string;
}

export interface Bucket {
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly objects: Map<string, StoredObject>;
}

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  readonly maxKeys: number;
  readonly startAfter: string | undefined;
  readonly continuationToken: string | undefined;
}

export interface Listing {
  readonly contents: StoredObject[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  readonly nextContinuationToken: string | undefined;
}

// The same files `aws s3 sync resources/demo-objects ...` puts into a real demo bucket (README,
// "Deploy to two accounts"), so an offline listing and a real one show the same keys.
const DEMO_OBJECTS_DIR = join(findServiceRoot(), 'resources', 'demo-objects');

/** What a demo bucket holds unless a seed says otherwise: a few objects under two prefixes. */
// A service without them (a job that lists no bucket) gets empty demo buckets.
export const DEFAULT_OBJECTS: Readonly<Record<string, string>> = Object.fromEntries(
  (existsSync(DEMO_OBJECTS_DIR)
    ? readdirSync(DEMO_OBJECTS_DIR, { recursive: true, withFileTypes: true })
    : []
  )
    .filter((entry) => entry.isFile())
    .map((entry): [string, string] => {
      const path = join(entry.parentPath, entry.name);
      return [relative(DEMO_OBJECTS_DIR, path).split(sep).join('/'), readFileSync(path, 'utf8')];
    })
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);

export class BucketStore {
  private readonly buckets = new Map<string, Bucket>();
  /** Sorted key lists, rebuilt only after a write, so listing stays cheap for the benchmark. */
  private readonly sortedKeys = new Map<string, string[]>();

  create(
    name: string,
    accountId: string,
    region: string,
    objects: Record<string, string>,
    now: number,
  ): Bucket {
    const bucket: Bucket = { name, accountId, region, objects: new Map() };
    this.buckets.set(name, bucket);
    for (const [key, text] of Object.entries(objects))
      this.put(bucket, key, Buffer.from(text), now);
    return bucket;
  }

  get(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  names(): string[] {
    return [...this.buckets.keys()];
  }

  put(bucket: Bucket, key: string, body: Buffer, now: number, contentType?: string): StoredObject {
    const object: StoredObject = {
      key,
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: Math.floor(now / 1000) * 1000,
      contentType: contentType ?? guessContentType(key),
    };
    bucket.objects.set(key, object);
    this.sortedKeys.delete(bucket.name);
    return object;
  }

  /** ListObjectsV2 semantics: UTF-8 binary key order, prefix, delimiter, paging by opaque token. */
  list(bucket: Bucket, options: ListOptions): Listing {
    const after = options.continuationToken
      ? decodeToken(options.continuationToken)
      : options.startAfter;
    const contents: StoredObject[] = [];
    const commonPrefixes: string[] = [];
    let lastReturned: string | undefined;
    let isTruncated = false;
    for (const key of this.keysOf(bucket)) {
      if (!key.startsWith(options.prefix)) continue;
      if (after !== undefined && compareKeys(key, after) <= 0) continue;
      const rolledUp = rollUp(key, options.prefix, options.delimiter);
      if (rolledUp !== undefined && commonPrefixes.at(-1) === rolledUp) continue;
      if (contents.length + commonPrefixes.length >= options.maxKeys) {
        isTruncated = true;
        break;
      }
      if (rolledUp === undefined) {
        const object = bucket.objects.get(key);
        if (object) contents.push(object);
        lastReturned = key;
      } else {
        commonPrefixes.push(rolledUp);
        // Everything under a rolled-up prefix sorts before this sentinel, so the next page skips it.
        lastReturned = `${rolledUp}\u{10FFFF}`;
      }
    }
    return {
      contents,
      commonPrefixes,
      isTruncated,
      nextContinuationToken:
        isTruncated && lastReturned !== undefined ? encodeToken(lastReturned) : undefined,
    };
  }

  private keysOf(bucket: Bucket): string[] {
    let keys = this.sortedKeys.get(bucket.name);
    if (!keys) {
      keys = [...bucket.objects.keys()].sort(compareKeys);
      this.sortedKeys.set(bucket.name, keys);
    }
    return keys;
  }
}

function rollUp(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at === -1 ? undefined : key.slice(0, at + delimiter.length);
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const TOKEN_PREFIX = 'standin:';

function encodeToken(lastKey: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${lastKey}`, 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith(TOKEN_PREFIX)) {
    throw s3Error.invalidArgument(
      'The continuation token provided is incorrect',
      'continuation-token',
      token,
    );
  }
  return text.slice(TOKEN_PREFIX.length);
}

function guessContentType(key: string): string {
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.csv')) return 'text/csv';
  if (key.endsWith('.txt')) return 'text/plain';
  return 'application/octet-stream';
}
