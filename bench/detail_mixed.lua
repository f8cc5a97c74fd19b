-- wrk script: GET /api/v1/items/{id} over random ids from IDS_FILE, with per-status counts.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/status.lua")
local ids = {}

function init(args)
  for line in io.lines(os.getenv("IDS_FILE") or "/tmp/egd-soak/ids.txt") do
    ids[#ids + 1] = tonumber(line)
  end
  math.randomseed(os.time() + tid * 7919)
end

function request()
  return wrk.format("GET", "/api/v1/items/" .. ids[math.random(1, #ids)])
end
