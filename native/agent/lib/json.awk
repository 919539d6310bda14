# JSON string escaping for the agent's own lines (run with LC_ALL=C: bytes, not chars).
# Printable ASCII stays, \ and " are escaped, control bytes become \u00XX, and bytes
# >= 0x80 are written the way bpftrace 0.17 writes them (\uffffffXX), so that every
# line is pure ASCII and the laptop restores the original bytes in one place.
function json_init(   i) {
  for (i = 1; i < 256; i++) _ord[sprintf("%c", i)] = i
  _json_ready = 1
}
function jstr(s,   out, i, n, c, o) {
  if (!_json_ready) json_init()
  if (s !~ /[^ -~]/ && index(s, "\\") == 0 && index(s, "\"") == 0) return "\"" s "\""
  out = ""; n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\") out = out "\\\\"
    else if (c == "\"") out = out "\\\""
    else if (c ~ /[ -~]/) out = out c
    else {
      o = _ord[c]
      if (o == 10) out = out "\\n"
      else if (o == 9) out = out "\\t"
      else if (o < 128) out = out sprintf("\\u%04x", o)
      else out = out sprintf("\\uffffff%02x", o)
    }
  }
  return "\"" out "\""
}
