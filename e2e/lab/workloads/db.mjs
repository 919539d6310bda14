// Standing workload: a database-like StatefulSet ("db"): a line-protocol key/value store on :5432.
import net from 'node:net';
import fs from 'node:fs';

const data = new Map();
const port = Number(process.env.PORT || 5432);
net
  .createServer((c) => {
    c.setEncoding('utf8');
    let buf = '';
    c.on('data', (d) => {
      buf += d;
      if (buf.length > 65536) return c.destroy();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const [cmd, k, ...v] = buf.slice(0, i).trim().split(' ');
        buf = buf.slice(i + 1);
        if (cmd === 'SET' && k) {
          data.set(k, v.join(' '));
          c.write('OK\n');
        } else if (cmd === 'GET' && k) c.write((data.get(k) ?? '') + '\n');
        else c.write('ERR\n');
      }
    });
    c.on('error', () => {});
  })
  .listen(port, () => console.log(`db listening on :${port}`));
// A database reads its config now and then.
setInterval(() => {
  try {
    fs.readFileSync('/etc/hostname');
  } catch {}
  console.log(`checkpoint keys=${data.size}`);
}, 30000);
process.on('SIGTERM', () => process.exit(0));
