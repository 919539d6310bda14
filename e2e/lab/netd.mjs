// The lab network daemon. Runs inside the lab's own "router" network namespace (never the host's),
// which holds the pod bridge and has no other interface: nothing here can reach outside the lab.
// It plays, on addresses that exist only in that namespace:
//   - kube-proxy: a userspace TCP proxy on every Service ClusterIP:port to its endpoints
//     (and to the API server's unix socket for the `kubernetes` Service);
//   - a fake cloud metadata server on 169.254.169.254:80;
//   - a fake "external" host on 203.0.113.10 (TEST-NET-3): HTTP payloads on :80, a reverse-shell
//     catcher on :4444, a stratum-like mining pool on :3333;
//   - a minimal DNS server on the gateway (:53/udp) for <svc>.<ns>.svc.cluster.local names;
//   - the kubelet's HTTP readiness probes (the host cannot reach pod addresses).
// Control: JSON lines on stdin; replies as JSON lines on stdout.
//
// Every socket here belongs to a pod, and pods misbehave on purpose (scenarios reset connections,
// kill clients mid-reply): no socket error may escape. One unhandled 'error' ends this process,
// and with it every Service, DNS and the fake hosts of the whole lab. Note that a readline
// interface re-emits its input's errors as its own 'error' event: it needs its own handler.
import net from 'node:net';
import http from 'node:http';
import dgram from 'node:dgram';
import readline from 'node:readline';

const cfg = JSON.parse(process.argv[2]);
const proxies = new Map(); // "ip:port" -> { server, backends, rr }
let dnsNames = new Map(); // name -> ip

function reply(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function listenTcp(host, port, onConn) {
  const srv = net.createServer(onConn);
  srv.on('error', (e) => reply({ event: 'error', message: `listen ${host}:${port}: ${e.message}` }));
  srv.listen(port, host);
  return srv;
}

function forward(client, target) {
  const up = target.unix ? net.connect(target.unix) : net.connect(target.port, target.ip);
  client.pipe(up).pipe(client);
  const done = () => {
    client.destroy();
    up.destroy();
  };
  client.on('error', done);
  up.on('error', done);
  client.on('close', done);
  up.on('close', done);
}

function setServices(list) {
  const want = new Set();
  for (const s of list) {
    const key = `${s.ip}:${s.port}`;
    want.add(key);
    let p = proxies.get(key);
    if (!p) {
      p = { backends: [], rr: 0 };
      p.server = listenTcp(s.ip, s.port, (c) => {
        if (!p.backends.length) return c.destroy();
        const b = p.backends[p.rr++ % p.backends.length];
        forward(c, b);
      });
      proxies.set(key, p);
    }
    p.backends = s.backends;
  }
  for (const [k, p] of proxies) {
    if (!want.has(k)) {
      p.server.close();
      proxies.delete(k);
    }
  }
}

function probe(m) {
  const req = http.get(
    {
      host: m.ip,
      port: m.port,
      path: m.path || '/',
      timeout: m.timeoutMs || 1000,
      headers: { 'User-Agent': 'kube-probe/1.35' },
    },
    (res) => {
      res.resume();
      reply({ id: m.id, ok: res.statusCode >= 200 && res.statusCode < 400, status: res.statusCode });
    },
  );
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => reply({ id: m.id, ok: false, error: e.message }));
}

// --- fake metadata server (IMDS-like paths for AWS and GCE)
const creds = JSON.stringify({
  Code: 'Success',
  LastUpdated: new Date().toISOString(),
  Type: 'AWS-HMAC',
  AccessKeyId: 'ASIALABFAKEKEY000000',
  SecretAccessKey: 'lab/fake/secret/not/a/real/credential/000',
  Token: 'lab-fake-session-token',
  Expiration: new Date(Date.now() + 3600e3).toISOString(),
});
http
  .createServer((req, res) => {
    const u = req.url || '/';
    if (u === '/latest/api/token' && req.method === 'PUT') return res.end('lab-imds-v2-token');
    if (u === '/latest/meta-data/iam/security-credentials/') return res.end('lab-node-role');
    if (u.startsWith('/latest/meta-data/iam/security-credentials/')) return res.end(creds);
    if (u.startsWith('/latest/meta-data/')) return res.end('ami-id\ninstance-id\niam/\nlocal-ipv4\n');
    if (u.startsWith('/computeMetadata/v1/instance/service-accounts/default/token'))
      return res.end(JSON.stringify({ access_token: 'lab-fake-gce-token', expires_in: 3599, token_type: 'Bearer' }));
    res.statusCode = 404;
    res.end('not found\n');
  })
  .on('error', (e) => reply({ event: 'error', message: `metadata: ${e.message}` }))
  .listen(80, '169.254.169.254');

// --- fake external host
const EXT = cfg.external;
http
  .createServer((req, res) => {
    const u = req.url || '/';
    if (u.startsWith('/payload.sh')) {
      res.setHeader('Content-Type', 'text/x-shellscript');
      return res.end('#!/bin/sh\necho "lab payload ran as $(id -u) on $(hostname)"\n');
    }
    if (u.startsWith('/xmrig')) return res.end('#!/bin/sh\necho fake-miner\n');
    res.end('lab external host\n');
  })
  .on('error', (e) => reply({ event: 'error', message: `external http: ${e.message}` }))
  .listen(80, EXT);
// Reverse-shell catcher: sends a couple of commands, then hangs up.
listenTcp(EXT, 4444, (c) => {
  c.on('error', () => {});
  c.write('id\nuname -a\nexit\n');
  c.resume();
  setTimeout(() => c.destroy(), 5000);
});
// Stratum-like pool: answers JSON-RPC lines.
listenTcp(EXT, 3333, (c) => {
  c.on('error', () => {});
  const rl = readline.createInterface({ input: c });
  // A miner that hangs up with a reply unread sends a reset: readline re-emits it here.
  rl.on('error', () => c.destroy());
  rl.on('line', (line) => {
    let id = null;
    try {
      id = JSON.parse(line).id ?? null;
    } catch {}
    c.write(JSON.stringify({ id, result: [['mining.notify', 'lab'], '08000002', 4], error: null }) + '\n');
  });
  setTimeout(() => c.destroy(), 30000);
});

// --- API server endpoint (the `kubernetes` Service's endpoint: gateway:6443)
listenTcp(cfg.gateway, 6443, (c) => forward(c, { unix: cfg.apiSocket }));

// --- DNS (A records for services, NXDOMAIN otherwise). Every query gets an answer: a query this
// parser cannot read gets FORMERR (and is reported), because a silent drop costs the pod's resolver
// its whole timeout and surfaces as an unexplained EAI_AGAIN far away.
const dns = dgram.createSocket('udp4');
dns.on('error', (e) => reply({ event: 'error', message: `dns: ${e.message}` }));
/** The question section's name, type and end offset, or null when the query cannot be read. */
function readQuestion(msg) {
  let off = 12;
  const labels = [];
  while (off < msg.length && msg[off] !== 0) {
    const len = msg[off];
    if (len > 63 || off + 1 + len > msg.length) return null;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += len + 1;
  }
  off += 1;
  if (off + 4 > msg.length) return null;
  return { name: labels.join('.').toLowerCase(), qtype: msg.readUInt16BE(off), end: off + 4 };
}
function answer(msg) {
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  const q = readQuestion(msg);
  if (!q) {
    header.writeUInt16BE(0x8181, 2); // FORMERR, no question echoed
    return header;
  }
  const ip = dnsNames.get(q.name);
  const rcode = ip ? 0 : 3;
  header.writeUInt16BE(0x8180 | rcode, 2);
  header.writeUInt16BE(1, 4);
  const withA = ip && q.qtype === 1;
  header.writeUInt16BE(withA ? 1 : 0, 6);
  const parts = [header, msg.subarray(12, q.end)];
  if (withA) {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xc00c, 0);
    a.writeUInt16BE(1, 2);
    a.writeUInt16BE(1, 4);
    a.writeUInt32BE(5, 6);
    a.writeUInt16BE(4, 10);
    ip.split('.').forEach((p, i) => (a[12 + i] = Number(p)));
    parts.push(a);
  }
  return Buffer.concat(parts);
}
dns.on('message', (msg, rinfo) => {
  if (msg.length < 12) return; // not even a header to answer
  let out;
  try {
    out = answer(msg);
  } catch (e) {
    reply({ event: 'error', message: `dns: query from ${rinfo.address} not answered: ${e.message}` });
    return;
  }
  if (out.readUInt16BE(2) === 0x8181)
    reply({ event: 'error', message: `dns: unreadable query from ${rinfo.address} (FORMERR)` });
  dns.send(out, rinfo.port, rinfo.address, (e) => {
    if (e) reply({ event: 'error', message: `dns: reply to ${rinfo.address} failed: ${e.message}` });
  });
});
dns.bind(53, cfg.gateway);

const control = readline.createInterface({ input: process.stdin });
// A broken control pipe means the lab is gone: the 'end' handler below exits.
control.on('error', () => process.exit(0));
control.on('line', (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.op === 'services') setServices(m.services);
  else if (m.op === 'dns') dnsNames = new Map(Object.entries(m.names));
  else if (m.op === 'probe') probe(m);
  else if (m.op === 'ping') reply({ id: m.id, ok: true });
});
process.stdin.on('end', () => process.exit(0));
reply({ event: 'ready' });
