/**
 * The lab API's object store: one resourceVersion counter for everything (like etcd's revision),
 * a bounded event log for watch resume, and in-process subscribers (the API's watch streams and
 * the lab's own controllers).
 */
import { randomUUID } from 'node:crypto';
import { apiVersionOf, clone, nowIso, type K8sObject, type ResourceDef } from './resources';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent {
  rv: number;
  type: WatchType;
  def: ResourceDef;
  obj: K8sObject;
  /** The object before this change (MODIFIED/DELETED), for selector transitions. */
  old?: K8sObject;
}
type Listener = (e: StoreEvent) => void;

export class ApiError extends Error {
  constructor(
    public code: number,
    public reason: string,
    message: string,
    public details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const LOG_MAX = 20_000;

export class Store {
  private rv = 1000;
  private objects = new Map<string, Map<string, K8sObject>>(); // resource key -> ns/name -> obj
  private log: StoreEvent[] = [];
  private listeners = new Set<Listener>();

  static key(def: ResourceDef): string {
    return `${def.group}/${def.resource}`;
  }
  private bucket(def: ResourceDef): Map<string, K8sObject> {
    const k = Store.key(def);
    let b = this.objects.get(k);
    if (!b) this.objects.set(k, (b = new Map()));
    return b;
  }
  currentRv(): number {
    return this.rv;
  }
  /** The oldest resourceVersion a watch can still resume from. */
  oldestRv(): number {
    return this.log.length ? this.log[0]!.rv - 1 : this.rv;
  }

  get(def: ResourceDef, ns: string | undefined, name: string): K8sObject | undefined {
    const o = this.bucket(def).get(`${ns ?? ''}/${name}`);
    return o ? clone(o) : undefined;
  }
  /** Live reference, read-only by convention (controllers scanning many objects). */
  peek(def: ResourceDef, ns: string | undefined, name: string): K8sObject | undefined {
    return this.bucket(def).get(`${ns ?? ''}/${name}`);
  }
  list(def: ResourceDef, ns?: string): K8sObject[] {
    const out: K8sObject[] = [];
    for (const o of this.bucket(def).values()) if (ns === undefined || o.metadata.namespace === ns) out.push(o);
    out.sort((a, b) =>
      (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '')
        ? (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
        : (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? ''),
    );
    return out;
  }

  private emit(e: StoreEvent): void {
    this.log.push(e);
    if (this.log.length > LOG_MAX) this.log.splice(0, this.log.length - LOG_MAX);
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        /* a broken subscriber must not break the store */
      }
    }
  }

  create(def: ResourceDef, obj: K8sObject): K8sObject {
    const o = clone(obj);
    o.apiVersion = apiVersionOf(def);
    o.kind = def.kind;
    const ns = def.namespaced ? o.metadata.namespace : undefined;
    if (!def.namespaced) delete o.metadata.namespace;
    const name = o.metadata.name!;
    const b = this.bucket(def);
    const k = `${ns ?? ''}/${name}`;
    if (b.has(k))
      throw new ApiError(
        409,
        'AlreadyExists',
        `${def.resource}${def.group ? '.' + def.group : ''} "${name}" already exists`,
        {
          name,
          group: def.group,
          kind: def.resource,
        },
      );
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = nowIso();
    o.metadata.resourceVersion = String(++this.rv);
    if (def.kind !== 'Pod' && def.kind !== 'Namespace' && def.kind !== 'Node' && 'spec' in o) o.metadata.generation = 1;
    b.set(k, o);
    this.emit({ rv: this.rv, type: 'ADDED', def, obj: o });
    return clone(o);
  }

  /** Replaces an object; `expectRv` enforces optimistic concurrency (409 Conflict). */
  update(def: ResourceDef, obj: K8sObject, expectRv?: string, bumpGeneration = false): K8sObject {
    const ns = def.namespaced ? obj.metadata.namespace : undefined;
    const name = obj.metadata.name!;
    const b = this.bucket(def);
    const k = `${ns ?? ''}/${name}`;
    const old = b.get(k);
    if (!old) throw notFound(def, name);
    if (expectRv && expectRv !== old.metadata.resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${def.resource}${def.group ? '.' + def.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: def.group, kind: def.resource },
      );
    const o = clone(obj);
    o.apiVersion = apiVersionOf(def);
    o.kind = def.kind;
    o.metadata.uid = old.metadata.uid;
    o.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) {
      o.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      o.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    }
    if (old.metadata.generation !== undefined)
      o.metadata.generation = (old.metadata.generation ?? 1) + (bumpGeneration ? 1 : 0);
    if (
      JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: '' } }) ===
      JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: '' } })
    ) {
      return clone(old); // no-op update: no new resourceVersion, no event (as the real API)
    }
    o.metadata.resourceVersion = String(++this.rv);
    b.set(k, o);
    this.emit({ rv: this.rv, type: 'MODIFIED', def, obj: o, old });
    return clone(o);
  }

  /** Read-modify-write helper for internal controllers (never conflicts). */
  mutate(
    def: ResourceDef,
    ns: string | undefined,
    name: string,
    fn: (o: K8sObject) => void,
    bumpGeneration = false,
  ): K8sObject | undefined {
    const cur = this.get(def, ns, name);
    if (!cur) return undefined;
    fn(cur);
    return this.update(def, cur, undefined, bumpGeneration);
  }

  remove(def: ResourceDef, ns: string | undefined, name: string): K8sObject {
    const b = this.bucket(def);
    const k = `${(def.namespaced ? ns : undefined) ?? ''}/${name}`;
    const old = b.get(k);
    if (!old) throw notFound(def, name);
    b.delete(k);
    const o = clone(old);
    o.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', def, obj: o, old });
    return clone(o);
  }

  /** Events after `rv` for one resource, or undefined when `rv` is older than the log keeps. */
  since(def: ResourceDef, rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestRv()) return undefined;
    const k = Store.key(def);
    return this.log.filter((e) => e.rv > rv && Store.key(e.def) === k);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export function notFound(def: ResourceDef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${def.resource}${def.group ? '.' + def.group : ''} "${name}" not found`, {
    name,
    group: def.group,
    kind: def.resource,
  });
}
