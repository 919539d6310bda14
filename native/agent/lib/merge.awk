# The agent's single writer. Reads bpftrace's -f json stdout (one line per record) and
# writes every output line of the agent, each with the next sequence number, so that
# the laptop detects gaps and drops duplicates after resuming a log stream.
# Also: status at start (after attach, with the start-of-capture snapshot) and stop,
# stderr of bpftrace (as "stderr" lines, read on every tick), cgroup paths in scope.
#
# Every line is at most MAXLINE bytes (a kubelet's log path may split longer ones): a
# map that bpftrace prints as one line is split into several map lines of bounded size
# (same shape, a subset of the entries each); any other line that would be longer is
# replaced by an "oversize" line that says so (never silent).
# Each line is written with ONE printf "%s": under -W interactive mawk writes stdout
# unbuffered, and a printf format is written piece by piece (one write(2) per literal
# character), which cost ~10 system calls per line and limited the event rate.
function emit(type, data,   l) {
  l = "{\"seq\":" (seq + 1) ",\"type\":\"" type "\",\"data\":" data "}"
  if (length(l) > MAXLINE) { oversize(type, length(l)); return }
  seq++; printf "%s", l "\n"; fflush()
}
function oversize(type, n) {
  seq++; printf "%s", sprintf("{\"seq\":%d,\"type\":\"oversize\",\"data\":{\"type\":%s,\"bytes\":%d}}\n", seq, jstr(substr(type, 1, 40)), n); fflush()
}
function pass(line) {
  # bpftrace lines are {"type": ...}: splice the seq in front, keep the rest verbatim.
  if (substr(line, 1, 8) == "{\"type\":") {
    if (length(line) + 20 <= MAXLINE) { seq++; printf "%s", sprintf("{\"seq\":%d,%s\n", seq, substr(line, 2)); fflush() }
    else if (!split_map(line)) oversize(substr(line, 11, index(substr(line, 11), "\"") - 1), length(line))
  }
  else if (line != "") emit("text", jstr(substr(line, 1, 512)))
}
# {"type": "map", "data": {"@NAME": {"key": value, ...}}} -> one line per chunk of entries.
# Inside a JSON string a quote is always escaped and control bytes never appear raw, so
# a digit followed by `, "` is an entry boundary, and \001 is free as a marker.
function split_map(line,   rest, i, name, body, n, parts, k, ent, chunk) {
  if (substr(line, 1, 24) != "{\"type\": \"map\", \"data\": ") return 0
  rest = substr(line, 25)
  i = index(rest, "\": {")
  if (substr(rest, 1, 3) != "{\"@" || i == 0) return 0
  name = substr(rest, 3, i - 3)
  if (name !~ /^@[A-Za-z0-9_]+$/ || substr(rest, length(rest) - 2) != "}}}") return 0
  body = substr(rest, i + 4, length(rest) - i - 6)
  gsub(/[0-9], "/, "&\001", body)
  n = split(body, parts, "\001")
  chunk = ""
  for (k = 1; k <= n; k++) {
    ent = parts[k]
    if (k < n) ent = substr(ent, 1, length(ent) - 3)
    if (k > 1) ent = "\"" ent
    if (length(ent) + 60 > MAXLINE) { oversize("map entry", length(ent)); continue }
    if (chunk != "" && length(chunk) + length(ent) + 60 > MAXLINE) { map_line(name, chunk); chunk = "" }
    chunk = chunk (chunk == "" ? "" : ", ") ent
  }
  if (chunk != "") map_line(name, chunk)
  return 1
}
function map_line(name, entries) {
  seq++; printf "%s", sprintf("{\"seq\":%d,\"type\": \"map\", \"data\": {\"%s\": {%s}}}\n", seq, name, entries); fflush()
}
function read_err(   l, n) {
  n = 0
  while ((getline l < errfile) > 0) {
    n++
    if (n <= err_seen) continue
    err_seen = n
    # Only errors are worth a line: bpftrace's warnings echo the program source, and
    # the RLIMIT_MEMLOCK message is harmless on kernels that account BPF memory by cgroup.
    if (l !~ /ERROR|[Ee]rror|[Ll]ost|[Ff]ail/ || l ~ /RLIMIT_MEMLOCK/) continue
    emit("stderr", jstr(substr(l, 1, 512)))
  }
  close(errfile)
}
function list(s,   a, n, i, out) {
  n = split(s, a, /[,\n]/); out = ""
  for (i = 1; i <= n; i++) if (a[i] != "") out = out (out == "" ? "" : ",") jstr(a[i])
  return "[" out "]"
}
function status(phase, extra) {
  emit("status", "{\"phase\":\"" phase "\",\"node\":" jstr(node) ",\"agentVersion\":" jstr(agent) \
    ",\"kernel\":" jstr(kernel) ",\"bpftrace\":" jstr(bpftrace) ",\"bootTimeNs\":" boot_off ",\"startedNs\":" started \
    ",\"probes\":" list(probes) ",\"modules\":" jstr(modwatch) ",\"moduleSyscalls\":" jstr(modsys) ",\"scope\":" jstr(scope) ",\"duration\":" duration extra "}")
}
BEGIN {
  seq = 0; err_seen = 0; attached = 0
  if (MAXLINE + 0 < 1024) MAXLINE = 8192
  miss = ""
}
{
  # Start on BEGIN's "begin" tuple, not on "attached_probes": bpftrace prints that one
  # before it attaches, and BEGIN (which also fills the scope map) runs once all are attached.
  if (!attached && index($0, "[\"begin\",") > 0) {
    attached = 1
    pass($0)
    while ((getline l < missing) > 0) miss = miss (miss == "" ? "" : ",") l
    close(missing)
    while ((getline l < cgfile) > 0) {
      i = index(l, " ")
      emit("cg", "{\"id\":" substr(l, 1, i - 1) ",\"path\":" jstr(substr(l, i + 1)) "}")
    }
    close(cgfile)
    # The snapshot runs after the probes are attached, so nothing falls between the two.
    nproc = 0; nsock = 0
    while ((snapshot | getline l) > 0) {
      if (substr(l, 1, 5) == "proc ") { nproc++; emit("proc", substr(l, 6)) }
      else if (substr(l, 1, 5) == "sock ") { nsock++; emit("sock", substr(l, 6)) }
    }
    close(snapshot)
    read_err()
    status("start", ",\"missing\":" list(miss) ",\"snapshot\":{\"procs\":" nproc ",\"socks\":" nsock "}")
    next
  }
  pass($0)
  if (index($0, "[\"tick\",") > 0) read_err()
}
END {
  read_err()
  if (!attached) status("error", ",\"message\":\"bpftrace did not start (see stderr lines)\"")
  status("stop", ",\"lines\":" seq + 1)
}
