import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

type Data = string | ArrayBuffer | ArrayBufferView;

/**
 * node:crypto in the shape @smithy/signature-v4 expects of its `sha256` constructor: SHA-256, or
 * HMAC-SHA-256 when constructed with a key (as the SDK's own Node hash does).
 */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: Data) {
    this.hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: Data): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    throw new Error('NodeSha256 is single-use');
  }
}

function toBuffer(data: Data): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
