/**
 * Defaulting and validation on create, as the real API server does it for the fields Lantern and
 * kubectl look at. Invalid objects get 422 with field causes, like the real API.
 */
import { ApiError } from './store';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, randomSuffix, type K8sObject, type ResourceDef } from './resources';

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export function invalid(def: ResourceDef, name: string, causes: Cause[]): ApiError {
  const msg = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(
    422,
    'Invalid',
    `${def.kind} "${name}" is invalid: ${causes.length > 1 ? '[' + msg + ']' : msg}`,
    {
      name,
      group: def.group,
      kind: def.kind,
      causes,
    },
  );
}

function required(field: string): Cause {
  return { reason: 'FieldValueRequired', message: 'Required value', field };
}
function bad(field: string, value: unknown, why: string): Cause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field };
}

export function validateMeta(def: ResourceDef, o: K8sObject): Cause[] {
  const c: Cause[] = [];
  const name = o.metadata?.name;
  const rbac = def.group === 'rbac.authorization.k8s.io';
  if (!name) c.push(required('metadata.name'));
  else if (rbac) {
    if (name === '.' || name === '..' || /[/%]/.test(name))
      c.push(bad('metadata.name', name, "may not contain '/' or '%'"));
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))
    c.push(
      bad(
        'metadata.name',
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      ),
    );
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v))
      c.push(bad(`metadata.labels`, v, 'a valid label must be an empty string or consist of alphanumeric characters'));
    if (k.length > 316) c.push(bad('metadata.labels', k, 'name part must be no more than 63 characters'));
  }
  return c;
}

/** Fills generateName and metadata basics. */
export function prepareMeta(o: K8sObject, ns: string | undefined): void {
  o.metadata ??= {};
  if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + randomSuffix(5);
  if (ns) o.metadata.namespace = ns;
  for (const k of [
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'generation',
    'selfLink',
    'managedFields',
  ])
    delete o.metadata[k];
}

function validateContainers(list: Any, path: string, c: Cause[], mustHave: boolean): void {
  if (!Array.isArray(list) || list.length === 0) {
    if (mustHave) c.push(required(path));
    return;
  }
  const seen = new Set<string>();
  list.forEach((ct: Any, i: number) => {
    const p = `${path}[${i}]`;
    if (!ct || typeof ct !== 'object') return c.push(required(p));
    if (!ct.name) c.push(required(`${p}.name`));
    else if (typeof ct.name !== 'string' || ct.name.length > 63 || !DNS1123_LABEL.test(ct.name))
      c.push(
        bad(
          `${p}.name`,
          ct.name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
        ),
      );
    else if (seen.has(ct.name))
      c.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: "${ct.name}"`, field: `${p}.name` });
    else seen.add(ct.name);
    if (!ct.image || typeof ct.image !== 'string') c.push(required(`${p}.image`));
    for (const k of ['command', 'args'] as const)
      if (ct[k] !== undefined && (!Array.isArray(ct[k]) || ct[k].some((x: unknown) => typeof x !== 'string')))
        c.push(bad(`${p}.${k}`, ct[k], 'must be a list of strings'));
    if (ct.imagePullPolicy && !['Always', 'IfNotPresent', 'Never'].includes(ct.imagePullPolicy))
      c.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${ct.imagePullPolicy}": supported values: "Always", "IfNotPresent", "Never"`,
        field: `${p}.imagePullPolicy`,
      });
    for (const [j, e] of (Array.isArray(ct.env) ? ct.env : []).entries())
      if (!e?.name) c.push(required(`${p}.env[${j}].name`));
  });
}

function defaultContainer(ct: Any): void {
  ct.terminationMessagePath ??= '/dev/termination-log';
  ct.terminationMessagePolicy ??= 'File';
  ct.imagePullPolicy ??= /:latest$/.test(ct.image) || !/:[^/]+$/.test(ct.image) ? 'Always' : 'IfNotPresent';
  ct.resources ??= {};
  for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const pr = ct[p];
    if (pr) {
      pr.timeoutSeconds ??= 1;
      pr.periodSeconds ??= 10;
      pr.successThreshold ??= 1;
      pr.failureThreshold ??= 3;
      if (pr.httpGet) pr.httpGet.scheme ??= 'HTTP';
    }
  }
  for (const port of ct.ports ?? []) port.protocol ??= 'TCP';
}

export function qosClass(spec: Any): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  let any = false;
  let guaranteed = true;
  for (const ct of spec.containers ?? []) {
    const r = ct.resources ?? {};
    const req = r.requests ?? {};
    const lim = r.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const k of ['cpu', 'memory']) {
      if (lim[k] === undefined || (req[k] !== undefined && req[k] !== lim[k])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function validatePodSpec(spec: Any, path: string): Cause[] {
  const c: Cause[] = [];
  if (!spec || typeof spec !== 'object') return [required(path)];
  validateContainers(spec.containers, `${path}.containers`, c, true);
  validateContainers(spec.initContainers, `${path}.initContainers`, c, false);
  if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy))
    c.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.restartPolicy}": supported values: "Always", "OnFailure", "Never"`,
      field: `${path}.restartPolicy`,
    });
  if (
    spec.activeDeadlineSeconds !== undefined &&
    (!Number.isInteger(spec.activeDeadlineSeconds) || spec.activeDeadlineSeconds <= 0)
  )
    c.push(
      bad(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'),
    );
  if (
    spec.terminationGracePeriodSeconds !== undefined &&
    (!Number.isInteger(spec.terminationGracePeriodSeconds) || spec.terminationGracePeriodSeconds < 0)
  )
    c.push(
      bad(
        `${path}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  if (spec.nodeName !== undefined && (typeof spec.nodeName !== 'string' || !DNS1123_SUBDOMAIN.test(spec.nodeName)))
    c.push(bad(`${path}.nodeName`, spec.nodeName, 'a lowercase RFC 1123 subdomain'));
  return c;
}

export function defaultPodSpec(spec: Any, forTemplate = false): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  if (!forTemplate) {
    spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
    spec.serviceAccount = spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    spec.priority ??= 0;
    spec.tolerations ??= [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ];
  }
  for (const ct of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) defaultContainer(ct);
}

/** The service account token volume the real ServiceAccount admission adds. */
export function addTokenVolume(spec: Any): void {
  if (spec.automountServiceAccountToken === false) return;
  const vname = `kube-api-access-${randomSuffix(5)}`;
  spec.volumes ??= [];
  spec.volumes.push({
    name: vname,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  });
  for (const ct of spec.containers ?? []) {
    ct.volumeMounts ??= [];
    if (!ct.volumeMounts.some((m: Any) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'))
      ct.volumeMounts.push({ name: vname, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
  }
}

export function validateTemplateOwner(def: ResourceDef, o: Any): Cause[] {
  const c: Cause[] = [];
  const spec = o.spec;
  if (!spec) return [required('spec')];
  const tmpl = def.kind === 'CronJob' ? spec.jobTemplate?.spec?.template : spec.template;
  const tpath = def.kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template';
  if (!tmpl) return [required(tpath)];
  c.push(...validatePodSpec(tmpl.spec, `${tpath}.spec`));
  if (def.kind === 'CronJob') {
    if (!spec.schedule) c.push(required('spec.schedule'));
  } else if (def.kind !== 'Job') {
    if (!spec.selector) c.push(required('spec.selector'));
    else {
      const ml = spec.selector.matchLabels ?? {};
      for (const [k, v] of Object.entries(ml))
        if (tmpl.metadata?.labels?.[k] !== v)
          c.push(
            bad(
              'spec.template.metadata.labels',
              tmpl.metadata?.labels ?? {},
              '`selector` does not match template `labels`',
            ),
          );
    }
  }
  return c;
}

export function defaultWorkload(def: ResourceDef, o: Any): void {
  const s = o.spec;
  const tmpl = def.kind === 'CronJob' ? s.jobTemplate.spec.template : s.template;
  tmpl.metadata ??= {};
  tmpl.metadata.creationTimestamp ??= null;
  defaultPodSpec(tmpl.spec, true);
  if (def.kind === 'Deployment') {
    s.replicas ??= 1;
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    s.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  } else if (def.kind === 'StatefulSet') {
    s.replicas ??= 1;
    s.podManagementPolicy ??= 'OrderedReady';
    s.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    s.revisionHistoryLimit ??= 10;
    s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  } else if (def.kind === 'DaemonSet') {
    s.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
    s.revisionHistoryLimit ??= 10;
  } else if (def.kind === 'ReplicaSet') {
    s.replicas ??= 1;
  } else if (def.kind === 'Job') {
    s.parallelism ??= 1;
    s.completions ??= 1;
    s.backoffLimit ??= 6;
    s.completionMode ??= 'NonIndexed';
    s.suspend ??= false;
    s.podReplacementPolicy ??= 'TerminatingOrFailed';
    if (tmpl.spec.restartPolicy === 'Always') tmpl.spec.restartPolicy = 'Never';
    // The real Job controller labels pods with the job's uid; done at create time in the API.
  } else if (def.kind === 'CronJob') {
    s.concurrencyPolicy ??= 'Allow';
    s.suspend ??= false;
    s.successfulJobsHistoryLimit ??= 3;
    s.failedJobsHistoryLimit ??= 1;
    const js = s.jobTemplate.spec;
    js.backoffLimit ??= 6;
    if (tmpl.spec.restartPolicy === 'Always') tmpl.spec.restartPolicy = 'OnFailure';
  }
  o.status ??= {};
}

export function validateService(o: Any): Cause[] {
  const c: Cause[] = [];
  const s = o.spec;
  if (!s) return [required('spec')];
  const type = s.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type))
    c.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: "${type}"`, field: 'spec.type' });
  if (type !== 'ExternalName' && s.clusterIP !== 'None' && (!Array.isArray(s.ports) || s.ports.length === 0))
    c.push(required('spec.ports'));
  (s.ports ?? []).forEach((p: Any, i: number) => {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
      c.push(bad(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
  });
  return c;
}

export function defaultService(o: Any, allocate: () => string): void {
  const s = o.spec;
  s.type ??= 'ClusterIP';
  s.sessionAffinity ??= 'None';
  if (s.type !== 'ExternalName') {
    if (!s.clusterIP) s.clusterIP = allocate();
    s.clusterIPs ??= [s.clusterIP];
    s.ipFamilies ??= ['IPv4'];
    s.ipFamilyPolicy ??= 'SingleStack';
    s.internalTrafficPolicy ??= 'Cluster';
  }
  for (const p of s.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  o.status ??= { loadBalancer: {} };
}
