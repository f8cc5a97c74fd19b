-- wrk script: the command-line URL plus a unique, ignored `_nc` parameter on every request, so
-- the server's catalog micro-cache (keyed by the raw query string) never hits and every request
-- runs the listing SQL.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
local n = 0
local counter = 0

function setup(thread)
  n = n + 1
  thread:set("tid", n)
end

function request()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&_nc=" .. tid .. "-" .. counter)
end
