// Standing workload: a controller-like pod that talks to the API server with its service account,
// as operators do: it lists pods and watches config maps in its namespace.
import https from 'node:https';
import fs from 'node:fs';

const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
const host = process.env.KUBERNETES_SERVICE_HOST;
const port = process.env.KUBERNETES_SERVICE_PORT || '443';

function get(path, onData) {
  const token = fs.readFileSync(`${dir}/token`, 'utf8');
  const ca = fs.readFileSync(`${dir}/ca.crt`);
  return https
    .get({ host, port, path, ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (d) => (onData ? onData(d) : (body += d)));
      res.on('end', () => {
        if (!onData) {
          try {
            const j = JSON.parse(body);
            console.log(`reconcile: ${res.statusCode} ${j.kind} items=${(j.items || []).length}`);
          } catch {
            console.log(`reconcile: ${res.statusCode}`);
          }
        }
      });
    })
    .on('error', (e) => console.log(`api error: ${e.message}`));
}

const ns = fs.readFileSync(`${dir}/namespace`, 'utf8');
setInterval(() => get(`/api/v1/namespaces/${ns}/pods`), 15000);
get(`/api/v1/namespaces/${ns}/pods`);
function watch() {
  const req = get(`/api/v1/namespaces/${ns}/configmaps?watch=true&timeoutSeconds=120`, (d) => {
    for (const line of String(d).split('\n').filter(Boolean)) {
      try {
        const e = JSON.parse(line);
        console.log(`watch: ${e.type} configmap/${e.object?.metadata?.name}`);
      } catch {}
    }
  });
  req.on('close', () => setTimeout(watch, 2000));
}
watch();
process.on('SIGTERM', () => process.exit(0));
