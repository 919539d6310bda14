/**
 * Enrichment from the capture's inventory snapshot: which pod a process ran in, and what an
 * IP address is (pod, service, node, the cluster API, cloud metadata, loopback, outside).
 *
 * Pure (no I/O). All indexes are built once in `createEnricher`; each `enrich`/`classify` call is
 * a few Map lookups. Inventory text is attacker-controlled, so indexes are `Map`s (no object keys
 * that could be `__proto__`).
 *
 * Address classes, in the order they win when one IP matches several things:
 *   cluster-api  inventory.apiServer.addresses, the ClusterIP(s) and endpoint addresses of the
 *                `default/kubernetes` service
 *   metadata     169.254.169.254 and fd00:ec2::254 (cloud instance metadata: credential theft target)
 *   loopback     127.0.0.0/8, ::1
 *   service      any other service ClusterIP (label names the port when `port` matches one)
 *   pod          IPs of pods that are not hostNetwork (hostNetwork pods share the node's IP)
 *   node         node addresses (InternalIP, ExternalIP, ...)
 *   unknown      not in the inventory but in a private/non-routable range (RFC 1918, CGNAT
 *                100.64/10, link-local, IPv6 ULA/link-local, 0.0.0.0/::): most likely something
 *                inside the cluster or its VPC that the inventory did not see (a pod that came and
 *                went, another node pool), so calling it "external" would mislead the analyst
 *   external     everything else (publicly routable)
 *
 * Labels (for display; graph keys are built from ip:port elsewhere):
 *   pod `ns/name`, service `svc ns/name` or `svc ns/name:portName` (or `:port` when the port is
 *   not named), node `node name`, cluster-api `kubernetes API`, metadata `cloud metadata`,
 *   loopback `loopback`, unknown/external: the normalised IP itself.
 */
import type { Inventory, InvPod } from '../common/capture';
import type { LanternEvent, PodRef } from '../common/events';
import type { EndpointClass } from '../common/graph';

export interface AddressInfo {
  class: EndpointClass;
  label: string;
  pod?: { uid: string; name: string; namespace: string; workload?: { kind: string; name: string } };
  service?: { namespace: string; name: string };
  node?: string;
}

export interface Enricher {
  /** Fills `ev.pod` from the inventory (by container.podUid, else container.id) when absent; mutates and returns `ev`. */
  enrich(ev: LanternEvent): LanternEvent;
  /** What an address is. `port` picks the service port name for ClusterIPs. */
  classify(ip: string, port?: number): AddressInfo;
}

/** Container ids as short as this are accepted as prefixes (Falco prints 12 hex). */
const SHORT_ID_LEN = 12;

interface PodContainerHit {
  pod: InvPod;
  container?: string;
  image?: string;
}

/** Canonical text form: lowercase, no brackets/zone, IPv4-mapped IPv6 unwrapped. */
export function normaliseIp(ip: string): string {
  let s = ip.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('::ffff:') && s.indexOf('.') > 0) s = s.slice(7);
  return s;
}

function parseV4(s: string): [number, number, number, number] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out as [number, number, number, number];
}

type RangeClass = 'loopback' | 'metadata' | 'private' | 'public';

/** Range class of an address that is not in the inventory. */
function rangeClass(s: string): RangeClass {
  const v4 = parseV4(s);
  if (v4) {
    const [a, b, c, d] = v4;
    if (a === 127) return 'loopback';
    if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
    if (a === 10 || a === 0) return 'private';
    if (a === 172 && b >= 16 && b <= 31) return 'private';
    if (a === 192 && b === 168) return 'private';
    if (a === 169 && b === 254) return 'private'; // link-local
    if (a === 100 && b >= 64 && b <= 127) return 'private'; // CGNAT, used by some CNIs
    return 'public';
  }
  if (s.includes(':')) {
    if (s === '::1') return 'loopback';
    if (s === 'fd00:ec2::254') return 'metadata';
    if (s === '::') return 'private';
    const first = parseInt(s.split(':')[0] || '0', 16);
    if ((first & 0xfe00) === 0xfc00) return 'private'; // ULA fc00::/7
    if ((first & 0xffc0) === 0xfe80) return 'private'; // link-local fe80::/10
    return 'public';
  }
  // Not an IP at all (a hostname, garbage from a file): do not pretend to know.
  return 'private';
}

const CLUSTER_API: AddressInfo = Object.freeze({ class: 'cluster-api', label: 'kubernetes API' });
const METADATA: AddressInfo = Object.freeze({ class: 'metadata', label: 'cloud metadata' });
const LOOPBACK: AddressInfo = Object.freeze({ class: 'loopback', label: 'loopback' });

/** Unresolved addresses repeat a lot (the same external peer); cache them, bounded. */
const UNRESOLVED_CACHE_MAX = 50_000;

export function createEnricher(inv: Inventory | undefined): Enricher {
  const podsByUid = new Map<string, InvPod>();
  const podsByName = new Map<string, InvPod>(); // `${ns}/${name}`
  const containers = new Map<string, PodContainerHit>(); // full id and 12-char prefix
  const byIp = new Map<string, AddressInfo>();
  const servicePorts = new Map<string, AddressInfo>(); // `${ip}|${port}`

  // Lowest priority first: later `set`s override earlier ones.
  for (const n of inv?.nodes ?? []) {
    const info: AddressInfo = Object.freeze({ class: 'node', label: `node ${n.name}`, node: n.name });
    for (const a of n.addresses ?? []) byIp.set(normaliseIp(a), info);
  }
  for (const p of inv?.pods ?? []) {
    podsByUid.set(p.uid.toLowerCase(), p);
    podsByName.set(`${p.namespace}/${p.name}`, p);
    for (const c of p.containers ?? []) {
      if (!c.id) continue;
      const id = stripRuntimePrefix(c.id);
      const hit: PodContainerHit = { pod: p, container: c.name, image: c.image };
      containers.set(id, hit);
      if (id.length > SHORT_ID_LEN) {
        const short = id.slice(0, SHORT_ID_LEN);
        // Two containers sharing a 12-hex prefix is astronomically unlikely; if it happens, refuse to guess.
        const prev = containers.get(short);
        if (prev && prev.pod !== p) containers.delete(short);
        else if (!prev) containers.set(short, hit);
      }
    }
    if (p.hostNetwork) continue;
    const info: AddressInfo = Object.freeze({
      class: 'pod',
      label: `${p.namespace}/${p.name}`,
      pod: Object.freeze({ uid: p.uid, name: p.name, namespace: p.namespace, workload: p.workload }),
      node: p.node,
    });
    for (const ip of p.ips ?? []) byIp.set(normaliseIp(ip), info);
  }
  for (const s of inv?.services ?? []) {
    const isApi = s.namespace === 'default' && s.name === 'kubernetes';
    const service = Object.freeze({ namespace: s.namespace, name: s.name });
    const base: AddressInfo = isApi
      ? Object.freeze({ ...CLUSTER_API, service })
      : Object.freeze({ class: 'service', label: `svc ${s.namespace}/${s.name}`, service });
    for (const rawIp of s.clusterIPs ?? []) {
      if (!rawIp || rawIp.toLowerCase() === 'none') continue; // headless
      const ip = normaliseIp(rawIp);
      byIp.set(ip, base);
      if (isApi) continue;
      for (const sp of s.ports ?? []) {
        servicePorts.set(
          `${ip}|${sp.port}`,
          Object.freeze({ ...base, label: `svc ${s.namespace}/${s.name}:${sp.name || sp.port}` }),
        );
      }
    }
    if (isApi) for (const ep of s.endpoints ?? []) byIp.set(normaliseIp(ep.ip), CLUSTER_API);
  }
  for (const a of inv?.apiServer?.addresses ?? []) byIp.set(normaliseIp(a), CLUSTER_API);

  const unresolved = new Map<string, AddressInfo>();

  function classify(ip: string, port?: number): AddressInfo {
    // Fast path: addresses from our agent are already in canonical form.
    let s = ip;
    let hit = byIp.get(s);
    if (!hit) {
      const cached = unresolved.get(s);
      if (cached) return cached;
      s = normaliseIp(ip);
      if (s !== ip) hit = byIp.get(s);
    }
    if (hit) {
      if (port !== undefined && hit.class === 'service') return servicePorts.get(`${s}|${port}`) ?? hit;
      return hit;
    }
    const rc = rangeClass(s);
    const info: AddressInfo =
      rc === 'metadata'
        ? METADATA
        : rc === 'loopback'
          ? LOOPBACK
          : Object.freeze({ class: rc === 'public' ? 'external' : 'unknown', label: s });
    if (unresolved.size >= UNRESOLVED_CACHE_MAX) unresolved.clear();
    unresolved.set(ip, info);
    return info;
  }

  function podRef(p: InvPod, container?: string, image?: string): PodRef {
    const ref: PodRef = { uid: p.uid, name: p.name, namespace: p.namespace };
    if (container !== undefined) ref.container = container;
    if (image !== undefined) ref.image = image;
    if (p.workload) ref.workload = { kind: p.workload.kind, name: p.workload.name };
    if (p.serviceAccount !== undefined) ref.serviceAccount = p.serviceAccount;
    return ref;
  }

  function enrich(ev: LanternEvent): LanternEvent {
    const c = ev.container;
    if (ev.pod) {
      // An importer may give name/namespace only: complete what the inventory knows, never overwrite.
      const p = ev.pod;
      if (p.uid !== undefined && p.workload !== undefined && p.serviceAccount !== undefined) return ev;
      const inv = podsByName.get(`${p.namespace}/${p.name}`);
      if (!inv) return ev;
      if (p.uid === undefined) p.uid = inv.uid;
      if (p.workload === undefined && inv.workload) p.workload = { kind: inv.workload.kind, name: inv.workload.name };
      if (p.serviceAccount === undefined && inv.serviceAccount !== undefined) p.serviceAccount = inv.serviceAccount;
      return ev;
    }
    if (!c) return ev;
    const hit = c.id ? containers.get(stripRuntimePrefix(c.id)) : undefined;
    if (hit) {
      ev.pod = podRef(hit.pod, hit.container, hit.image);
      return ev;
    }
    if (c.podUid) {
      const p = podsByUid.get(c.podUid.toLowerCase());
      if (p) {
        // One-container pods: the container is unambiguous even without its id.
        const only = p.containers?.length === 1 ? p.containers[0] : undefined;
        ev.pod = podRef(p, only?.name, only?.image);
      }
    }
    return ev;
  }

  return { enrich, classify };
}

/** `containerd://<id>` → `<id>`, lowercase. */
export function stripRuntimePrefix(id: string): string {
  const i = id.indexOf('://');
  return (i >= 0 ? id.slice(i + 3) : id).toLowerCase();
}
