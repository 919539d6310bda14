# The agent's single writer. Reads bpftrace's -f json stdout (one line per record) and
# writes every output line of the agent, each with the next sequence number, so that
# the laptop detects gaps and drops duplicates after resuming a log stream.
# Also: status at start (after attach, with the start-of-capture snapshot) and stop,
# stderr of bpftrace (as "stderr" lines, read on every tick), cgroup paths in scope.
function emit(type, data) { seq++; printf "{\"seq\":%d,\"type\":\"%s\",\"data\":%s}\n", seq, type, data; fflush() }
function pass(line) {
  # bpftrace lines are {"type": ...}: splice the seq in front, keep the rest verbatim.
  if (substr(line, 1, 8) == "{\"type\":") { seq++; printf "{\"seq\":%d,%s\n", seq, substr(line, 2); fflush() }
  else if (line != "") emit("text", jstr(line))
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
    emit("stderr", jstr(l))
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
    ",\"probes\":" list(probes) ",\"modules\":" jstr(modwatch) ",\"scope\":" jstr(scope) ",\"duration\":" duration extra "}")
}
BEGIN {
  seq = 0; err_seen = 0; attached = 0
  miss = ""
}
{
  if (!attached && index($0, "\"attached_probes\"") > 0) {
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
