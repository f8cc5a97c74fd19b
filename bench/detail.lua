-- wrk script: GET /api/v1/items/{id} over random ids read from IDS_FILE (one id a line).
dofile((os.getenv("BENCH_DIR") or "bench") .. "/report.lua")
local ids = {}

function init(args)
  local path = os.getenv("IDS_FILE") or "/tmp/egd-bench-http/ids.txt"
  for line in io.lines(path) do
    ids[#ids + 1] = tonumber(line)
  end
  -- a different sequence per thread
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

-- With TOKEN set the requests are signed in: the server never serves those from its micro-cache.
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  local id = ids[math.random(1, #ids)]
  return wrk.format("GET", "/api/v1/items/" .. id)
end
