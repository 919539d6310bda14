# Body of snapshot.sh (see there). Needs json.awk.
function inscope(cg,   r) {
  if (cg == "" || cg == own) return 0
  if (scope == "host") return 1
  for (r in root) if (cg == root[r] || substr(cg, 1, length(root[r]) + 1) == root[r] "/") return 1
  return 0
}
function readall(f,   l, s, first) { s = ""; first = 1; while ((getline l < f) > 0) { s = s (first ? "" : "\n") l; first = 0 } close(f); return s }
function pairs(f, arr, strip,   k, v) {
  RS = "\0"
  while ((getline k < f) > 0) { if ((getline v < f) <= 0) break; sub(/^\.\//, "", k); sub(strip, "", k); arr[k] = v }
  close(f); RS = "\n"
}
BEGIN {
  nr = 0; while ((getline l < roots) > 0) if (l != "") root[++nr] = l
  close(roots)
  pairs(tmp "/exe", exe, "/.*$")
  pairs(tmp "/cwd", cwd, "/.*$")
  pairs(tmp "/netns", netns, "/.*$")
  # socket inode -> pid
  RS = "\0"
  while ((getline k < (tmp "/socks")) > 0) {
    if ((getline v < (tmp "/socks")) <= 0) break
    sub(/^\.\//, "", k); sub(/\/.*$/, "", k)
    if (v ~ /^socket:\[[0-9]+\]$/) { gsub(/[^0-9]/, "", v); sockpid[v] = k }
  }
  close(tmp "/socks"); RS = "\n"
  while ((getline pid < (tmp "/pids")) > 0) {
    cg = ""
    while ((getline l < (pid "/cgroup")) > 0) if (substr(l, 1, 3) == "0::") cg = substr(l, 4)
    close(pid "/cgroup")
    if (!inscope(cg)) continue
    st = readall(pid "/stat")
    if (st == "") continue
    # comm is between the first "(" and the LAST ")": it may contain spaces and parens
    lp = index(st, "("); rp = 0
    for (i = length(st); i > 0; i--) if (substr(st, i, 1) == ")") { rp = i; break }
    if (!lp || !rp) continue
    comm = substr(st, lp + 1, rp - lp - 1)
    n = split(substr(st, rp + 2), f, " ")
    ppid = f[2]; start = f[20] * (1000000000 / clk)
    uid = -1; gid = -1
    while ((getline l < (pid "/status")) > 0) {
      if (l ~ /^Uid:/) { split(l, u, /[ \t]+/); uid = u[2] }
      if (l ~ /^Gid:/) { split(l, u, /[ \t]+/); gid = u[2] }
    }
    close(pid "/status")
    # argv within a budget so that the line stays short (the writer bounds every line):
    # each argument at most 1 KiB, all of them at most ~5 KiB escaped; cut = marked
    RS = "\0"; args = ""; na = 0; cut = 0
    while ((getline a < (pid "/cmdline")) > 0) {
      if (length(a) > 1024) { a = substr(a, 1, 1024); cut = 1 }
      ja = jstr(a)
      if (length(args) + length(ja) > 5000) { cut = 1; break }
      args = args (na ? "," : "") ja; na++
    }
    close(pid "/cmdline"); RS = "\n"
    e = exe[pid]; if (length(e) > 512) e = substr(e, 1, 512)
    w = cwd[pid]; if (length(w) > 512) w = ""
    inscope_pid[pid] = 1; pstart[pid] = start
    printf "proc {\"pid\":%d,\"ppid\":%d,\"start\":%.0f,\"uid\":%d,\"gid\":%d,\"comm\":%s,\"exe\":%s,\"args\":[%s]%s,\"cwd\":%s,\"cgroup\":%s}\n", pid, ppid, start, uid, gid, jstr(comm), jstr(e), args, (cut ? ",\"argsTruncated\":true" : ""), jstr(w), jstr(cg)
    # one reader per network namespace
    ns = netns[pid]
    if (ns != "" && !(ns in nspid)) nspid[ns] = pid
  }
  close(tmp "/pids")
  for (ns in nspid) {
    p = nspid[ns]
    for (v = 4; v <= 6; v += 2) {
      tf = p "/net/tcp" (v == 6 ? "6" : "")
      first = 1
      while ((getline l < tf) > 0) {
        if (first) { first = 0; continue }
        split(l, c, /[ \t]+/)
        # fields: "" sl local remote st ... inode(10th after the leading blank)
        st = c[5]; ino = c[11]
        if ((st != "0A" && st != "01") || !(ino in sockpid)) continue
        sp = sockpid[ino]
        if (!(sp in inscope_pid)) continue
        printf "sock {\"pid\":%d,\"start\":%.0f,\"netns\":%s,\"v\":%d,\"st\":\"%s\",\"local\":\"%s\",\"remote\":\"%s\",\"inode\":%s}\n", sp, pstart[sp], jstr(ns), v, st, c[3], c[4], ino
      }
      close(tf)
    }
  }
}
