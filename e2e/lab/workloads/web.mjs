// Standing workload: a small web app (Deployment "web", 3 replicas behind Service "web").
import http from 'node:http';
import os from 'node:os';

const port = Number(process.env.PORT || 8080);
let served = 0;
http
  .createServer((req, res) => {
    served++;
    if (req.url === '/healthz') return res.end('ok\n');
    const body = JSON.stringify({ host: os.hostname(), path: req.url, served, time: new Date().toISOString() });
    res.setHeader('Content-Type', 'application/json');
    res.end(body + '\n');
    if (served % 20 === 0) console.log(`served ${served} requests`);
  })
  .listen(port, () => console.log(`web listening on :${port}`));
process.on('SIGTERM', () => process.exit(0));
