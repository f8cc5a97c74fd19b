-- wrk hooks shared by the mixed-load soak: per-status counts over all threads (503s apart from
-- other errors) and one machine-readable RESULT line.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

s2xx, s503, s_other = 0, 0, 0

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 503 then
    s503 = s503 + 1
  else
    s_other = s_other + 1
  end
end

function done(summary, latency, requests)
  local ok, n503, other = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("s2xx")
    n503 = n503 + t:get("s503")
    other = other + t:get("s_other")
  end
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "RESULT rps=%.0f ok_rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.1f requests=%d ok=%d s503=%d other_status=%d socket_errors=%d\n",
    summary.requests / secs, ok / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, ok, n503, other, errors))
end
