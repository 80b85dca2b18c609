-- wrk script for bench.load: every connection POSTs the body in $BENCH_BODY with the headers listed in
-- $BENCH_HEADERS (one "name<TAB>value" a line), one request at a time; at the end one JSON line on stdout.
wrk.method = "POST"
local body = io.open(os.getenv("BENCH_BODY"), "rb")
wrk.body = body:read("*a")
body:close()
for line in io.lines(os.getenv("BENCH_HEADERS")) do
  local name, value = line:match("^([^\t]+)\t(.*)$")
  if name then wrk.headers[name] = value end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "errors": ' ..
    '{"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
