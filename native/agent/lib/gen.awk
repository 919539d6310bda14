# Assemble the bpftrace program: common.bt, then each selected probe file, with the
# @@NAME@@ placeholders replaced. Values come in as -v assignments or files (never
# from attacker-controlled text: cgroup ids are numbers, prefixes are the operator's).
#   awk -f gen.awk -v P=... -v SCOPE=... -v MAXARGS=16 -v TICK=5 -v FLUSH=5 \
#       -v DFL_ROOT=0 -v MKDIR_FILE=... -v SC_FILE=... -v SK_FILE=... -v END_FILE=... files...
function slurp(f,   l, s) { s = ""; while ((getline l < f) > 0) s = s l "\n"; close(f); return s }
function subst(line, name, val,   out, i, key) {
  key = "@@" name "@@"; out = ""
  while ((i = index(line, key)) > 0) { out = out substr(line, 1, i - 1) val; line = substr(line, i + length(key)) }
  return out line
}
BEGIN { SC = slurp(SC_FILE); SK = slurp(SK_FILE); END_ = slurp(END_FILE); SENS = slurp(SENS_FILE); WRT = slurp(WRITE_FILE); MKDIR = slurp(MKDIR_FILE) }
# Probe blocks whose tracepoints this kernel lacks (e.g. init_module without
# CONFIG_MODULES) are left out and listed in MISSING_FILE, so the agent still starts.
function tp_ok(line,   n, a, i, p, parts, f) {
  n = split(line, a, /[ ,\/{]+/)
  for (i = 1; i <= n; i++) {
    p = a[i]
    if (p !~ /^tracepoint:/) continue
    split(p, parts, ":")
    f = TRACEFS "/events/" parts[2] "/" parts[3] "/format"
    if ((getline tmp < f) < 0) { missing = missing parts[2] ":" parts[3] "\n"; return 0 }
    close(f)
  }
  return 1
}
skip { if ($0 ~ /^}/ || $0 ~ /}[ \t]*$/) skip = 0; next }
/^tracepoint:/ && TRACEFS != "" && !tp_ok($0) { if ($0 !~ /}[ \t]*$/) skip = 1; next }
{
  l = $0
  if (index(l, "@@") == 0) { print l; next }
  l = subst(l, "MKDIR_PROGRAMS", MKDIR); l = subst(l, "BEGIN_SC", SC); l = subst(l, "SK", SK); l = subst(l, "SENSITIVE", SENS); l = subst(l, "WRITETARGET", WRT); l = subst(l, "END", END_)
  l = subst(l, "P", P); l = subst(l, "SCOPE", SCOPE); l = subst(l, "MAXARGS", MAXARGS)
  l = subst(l, "TICK", TICK); l = subst(l, "FLUSH", FLUSH); l = subst(l, "DFL_ROOT", DFL_ROOT)
  l = subst(l, "NR_INIT_MODULE", NR_INIT_MODULE); l = subst(l, "NR_FINIT_MODULE", NR_FINIT_MODULE)
  l = subst(l, "NR_DELETE_MODULE", NR_DELETE_MODULE); l = subst(l, "MOD_RESULT", MOD_RESULT)
  if (index(l, "@@") > 0) { print "gen.awk: unknown placeholder in " FILENAME ": " l > "/dev/stderr"; bad = 1 }
  print l
}
END { if (MISSING_FILE != "") { printf "%s", missing > MISSING_FILE; close(MISSING_FILE) } if (bad) exit 1 }
