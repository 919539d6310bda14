/**
 * Just enough Kubernetes protobuf to read the request bodies kubectl's typed clients send as
 * `application/vnd.kubernetes.protobuf` (the access and subject reviews behind `kubectl auth`).
 * Envelope: "k8s\0" + runtime.Unknown{ typeMeta=1{apiVersion=1, kind=2}, raw=2, ... }.
 * The lab always answers in JSON (those clients accept it).
 */

type Fields = Map<number, (Buffer | number)[]>;

function varint(b: Buffer, pos: { i: number }): number {
  let x = 0;
  let shift = 0;
  for (;;) {
    if (pos.i >= b.length) throw new Error('truncated protobuf varint');
    const byte = b[pos.i++]!;
    x += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return x;
    shift += 7;
    if (shift > 63) throw new Error('protobuf varint too long');
  }
}

export function fields(b: Buffer): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const key = varint(b, pos);
    const no = Math.floor(key / 8);
    const wt = key & 7;
    let v: Buffer | number;
    if (wt === 0) v = varint(b, pos);
    else if (wt === 2) {
      const len = varint(b, pos);
      if (pos.i + len > b.length) throw new Error('truncated protobuf field');
      v = b.subarray(pos.i, pos.i + len);
      pos.i += len;
    } else if (wt === 1) {
      pos.i += 8;
      v = 0;
    } else if (wt === 5) {
      pos.i += 4;
      v = 0;
    } else throw new Error(`unsupported protobuf wire type ${wt}`);
    const list = out.get(no) ?? [];
    list.push(v);
    out.set(no, list);
  }
  return out;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const msg = (f: Fields, n: number): Fields | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? fields(v) : undefined;
};

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes the review kinds to their JSON shape; throws for anything else. */
export function decodeReview(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(PROTOBUF_MAGIC)) throw new Error('not a Kubernetes protobuf body');
  const unknown = fields(body.subarray(4));
  const tm = msg(unknown, 1);
  const kind = tm ? str(tm, 2) : undefined;
  const apiVersion = tm ? str(tm, 1) : undefined;
  const raw = unknown.get(2)?.[0];
  const obj = Buffer.isBuffer(raw) ? fields(raw) : new Map();
  const spec = msg(obj, 2);
  const out: Record<string, unknown> = { kind, apiVersion, metadata: {} };
  if (kind === 'SelfSubjectAccessReview') {
    const ra = spec && msg(spec, 1);
    const nra = spec && msg(spec, 2);
    const s: Record<string, unknown> = {};
    if (ra)
      s.resourceAttributes = {
        namespace: str(ra, 1),
        verb: str(ra, 2),
        group: str(ra, 3),
        version: str(ra, 4),
        resource: str(ra, 5),
        subresource: str(ra, 6),
        name: str(ra, 7),
      };
    if (nra) s.nonResourceAttributes = { path: str(nra, 1), verb: str(nra, 2) };
    out.spec = s;
  } else if (kind === 'SelfSubjectRulesReview') {
    out.spec = { namespace: spec ? str(spec, 1) : undefined };
  } else if (kind === 'SelfSubjectReview') {
    out.spec = {};
  } else throw new Error(`protobuf bodies are understood for reviews only, not ${kind ?? 'this object'}`);
  return out;
}
