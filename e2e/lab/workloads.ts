/**
 * The standing benign workload: what a small real cluster runs, so captures show normal noise.
 *   shop:        Deployment web ×3 (node HTTP server, HTTP readiness probe) behind Service web;
 *                Deployment client calling web by DNS name every few seconds (curl);
 *                StatefulSet db (key/value server on :5432, exec readiness probe) + headless Service.
 *   monitoring:  DaemonSet node-agent (reads /proc, exec readiness probe).
 *   ops:         CronJob report (every minute); Deployment ops-controller using its service
 *                account token against the API (list pods, watch configmaps), with a Role.
 * Commands under /lab/ map to e2e/lab/workloads/ (see kubelet.ts).
 */
import { findResource, type ResourceDef } from './resources';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const R = (g: string, r: string) => findResource(g, 'v1', r)!;

function labels(app: string, part: string): Record<string, string> {
  return { app, 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': part };
}

export function standingWorkload(): { def: ResourceDef; ns?: string; obj: Any }[] {
  const out: { def: ResourceDef; ns?: string; obj: Any }[] = [];
  const add = (def: ResourceDef, ns: string | undefined, obj: Any) => out.push({ def, ns, obj });
  for (const ns of ['shop', 'monitoring', 'ops'])
    add(R('', 'namespaces'), undefined, {
      metadata: {
        name: ns,
        labels: { 'pod-security.kubernetes.io/enforce': ns === 'monitoring' ? 'privileged' : 'baseline' },
      },
    });

  add(R('apps', 'deployments'), 'shop', {
    metadata: { name: 'web', labels: labels('web', 'shop') },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: labels('web', 'shop') },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'registry.lab/shop/web:1.4.2',
              command: ['node', '/lab/web.mjs'],
              env: [{ name: 'PORT', value: '8080' }],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
            },
          ],
        },
      },
    },
  });
  add(R('', 'services'), 'shop', {
    metadata: { name: 'web', labels: labels('web', 'shop') },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  add(R('apps', 'deployments'), 'shop', {
    metadata: { name: 'client', labels: labels('client', 'shop') },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'client' } },
      template: {
        metadata: { labels: labels('client', 'shop') },
        spec: {
          containers: [
            {
              name: 'client',
              image: 'registry.lab/shop/client:2.0',
              command: [
                '/bin/sh',
                '-c',
                'while :; do curl -s -m 2 -o /dev/null -w "%{http_code}\\n" http://web.shop.svc.cluster.local/ || echo fail; sleep 5; done',
              ],
            },
          ],
        },
      },
    },
  });
  add(R('', 'services'), 'shop', {
    metadata: { name: 'db', labels: labels('db', 'shop') },
    spec: { selector: { app: 'db' }, clusterIP: 'None', ports: [{ name: 'db', port: 5432 }] },
  });
  add(R('apps', 'statefulsets'), 'shop', {
    metadata: { name: 'db', labels: labels('db', 'shop') },
    spec: {
      serviceName: 'db',
      replicas: 1,
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: labels('db', 'shop') },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'registry.lab/shop/kv:7.2',
              command: ['node', '/lab/db.mjs'],
              ports: [{ name: 'db', containerPort: 5432 }],
              readinessProbe: { exec: { command: ['/bin/sh', '-c', 'test -r /proc/1/status'] }, periodSeconds: 15 },
            },
          ],
        },
      },
    },
  });

  add(R('apps', 'daemonsets'), 'monitoring', {
    metadata: { name: 'node-agent', labels: labels('node-agent', 'monitoring') },
    spec: {
      selector: { matchLabels: { app: 'node-agent' } },
      template: {
        metadata: { labels: labels('node-agent', 'monitoring') },
        spec: {
          containers: [
            {
              name: 'agent',
              image: 'registry.lab/monitoring/node-agent:0.9',
              command: [
                '/bin/sh',
                '-c',
                'while :; do read l1 l5 l15 rest < /proc/loadavg; echo "load $l1 $l5 $l15"; sleep 20; done',
              ],
              readinessProbe: { exec: { command: ['cat', '/proc/loadavg'] }, periodSeconds: 20 },
            },
          ],
        },
      },
    },
  });

  add(R('', 'serviceaccounts'), 'ops', { metadata: { name: 'ops-controller' } });
  add(R('rbac.authorization.k8s.io', 'roles'), 'ops', {
    metadata: { name: 'ops-controller' },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'update'] },
    ],
  });
  add(R('rbac.authorization.k8s.io', 'rolebindings'), 'ops', {
    metadata: { name: 'ops-controller' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ops-controller' },
    subjects: [{ kind: 'ServiceAccount', name: 'ops-controller', namespace: 'ops' }],
  });
  add(R('', 'configmaps'), 'ops', { metadata: { name: 'ops-settings' }, data: { interval: '15s' } });
  add(R('apps', 'deployments'), 'ops', {
    metadata: { name: 'ops-controller', labels: labels('ops-controller', 'ops') },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'ops-controller' } },
      template: {
        metadata: { labels: labels('ops-controller', 'ops') },
        spec: {
          serviceAccountName: 'ops-controller',
          containers: [
            { name: 'controller', image: 'registry.lab/ops/controller:3.1', command: ['node', '/lab/controller.mjs'] },
          ],
        },
      },
    },
  });
  add(R('batch', 'cronjobs'), 'ops', {
    metadata: { name: 'report', labels: labels('report', 'ops') },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels: labels('report', 'ops') },
            spec: {
              restartPolicy: 'OnFailure',
              containers: [
                {
                  name: 'report',
                  image: 'registry.lab/ops/report:1.0',
                  command: ['/bin/sh', '-c', 'date -u; ls /etc > /dev/null; wc -l /proc/mounts; echo report done'],
                },
              ],
            },
          },
        },
      },
    },
  });
  return out;
}
