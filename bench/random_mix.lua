-- wrk script: the random listing mix of issue #16 (item 6), as many neighbours browsing would
-- send it. Every request is `GET /api/v1/items?...` built from independent draws:
--
--   section     lend 70% / borrow 30% (always present)
--   category    in 60% of requests, uniform over the 13 category slugs of the migrations
--               (`GET /api/v1/categories` of a seeded server)
--   q           in 40%: a two-syllable word 80% of the time (텐트 의자 드릴 한복 요가 캠핑, 13.3% each),
--               a three/four-syllable word 20% of the time (자전거 카메라 프로젝터, 6.7% each);
--               percent-encoded here
--   동네         in 60%: region=1144066000 (서교동, the seed's centre) & radius_km uniform in 1/3/5/10
--   price       in 20%: one of five UI-style presets (below)
--   sort        recent / popular / price_asc / price_desc, uniform
--   page        1-3, uniform
--
-- The parameters always come in the same order, as a UI would write them. There is NO
-- cache-busting parameter: the variety of the URLs themselves (about 200,000 combinations) is what
-- keeps the server's 3 s micro-cache (keyed by the raw query string) from answering.
--
-- Each wrk thread seeds its own generator: SEED (env, default the clock) + thread number.
-- Reporting (done): status counts over all threads (2xx, 4xx, 503, other 5xx; non-2xx visible),
-- distinct URLs sent (requests still in flight at the end included), a few sample URLs
-- (`SAMPLE <path>` lines), and one machine-readable line:
--   RESULT rps= ok_rps= p50_ms= p90_ms= p99_ms= max_ms= requests= ok= non2xx= s4xx= s503=
--          s5xx_other= other_status= socket_errors= distinct_urls=
--
--   BENCH_DIR=bench wrk -t2 -c64 -d15s --latency -s bench/random_mix.lua http://127.0.0.1:8090
-- (bench/mix.sh seeds, serves and runs it beside /healthz.)

local sections = { "lend", "borrow" }  -- drawn 70/30 below
local categories = { "digital", "furniture", "camping", "tools", "kids", "fashion", "books",
  "hobby", "appliances", "sports", "pets", "party", "etc" }
local short_words = { "텐트", "의자", "드릴", "한복", "요가", "캠핑" }
local long_words = { "자전거", "카메라", "프로젝터" }
local SHORT_WORD_SHARE = 0.8
local radii = { 1, 3, 5, 10 }
local REGION = "1144066000"
-- Price presets (won), as a filter sheet would offer them: ~5천, 5천~1만, 1만~2만, 2만~5만, 5만~.
local prices = { "min_price=0&max_price=5000", "min_price=5000&max_price=10000",
  "min_price=10000&max_price=20000", "min_price=20000&max_price=50000", "min_price=50000" }
local sorts = { "recent", "popular", "price_asc", "price_desc" }

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
for i, w in ipairs(short_words) do short_words[i] = urlencode(w) end
for i, w in ipairs(long_words) do long_words[i] = urlencode(w) end

local function pick(t)
  return t[math.random(1, #t)]
end

-- Per-thread state (each wrk thread has its own Lua state; done() reads them through thread:get).
local threads = {}
statuses = {}      -- status code -> count
seen = {}          -- path -> true
samples = {}       -- the first few paths this thread sent
local MAX_SAMPLES = 4

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

function init(args)
  local seed = tonumber(os.getenv("SEED") or "") or os.time()
  math.randomseed(seed + tid * 1000003)
  for _ = 1, 10 do math.random() end
end

function request()
  local qs = { "section=" .. (math.random() < 0.7 and "lend" or "borrow") }
  if math.random() < 0.6 then qs[#qs + 1] = "category=" .. pick(categories) end
  if math.random() < 0.4 then
    qs[#qs + 1] = "q=" .. (math.random() < SHORT_WORD_SHARE and pick(short_words) or pick(long_words))
  end
  if math.random() < 0.6 then qs[#qs + 1] = "region=" .. REGION .. "&radius_km=" .. pick(radii) end
  if math.random() < 0.2 then qs[#qs + 1] = pick(prices) end
  qs[#qs + 1] = "sort=" .. pick(sorts)
  qs[#qs + 1] = "page=" .. math.random(1, 3)
  local path = "/api/v1/items?" .. table.concat(qs, "&")
  if not seen[path] then
    seen[path] = true
    if #samples < MAX_SAMPLES then samples[#samples + 1] = path end
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local all, urls, nurls, sample_list = {}, {}, 0, {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do all[code] = (all[code] or 0) + n end
    for path in pairs(t:get("seen")) do
      if not urls[path] then urls[path] = true; nurls = nurls + 1 end
    end
    for _, p in ipairs(t:get("samples")) do sample_list[#sample_list + 1] = p end
  end
  local ok, s4xx, s503, s5xx, other = 0, 0, 0, 0, 0
  local codes = {}
  for code, n in pairs(all) do
    codes[#codes + 1] = code
    if code >= 200 and code < 300 then ok = ok + n
    elseif code == 503 then s503 = s503 + n
    elseif code >= 500 then s5xx = s5xx + n
    elseif code >= 400 then s4xx = s4xx + n
    else other = other + n end
  end
  table.sort(codes)
  local parts = {}
  for _, code in ipairs(codes) do parts[#parts + 1] = code .. ":" .. all[code] end
  io.write("STATUS " .. table.concat(parts, " ") .. "\n")
  for _, p in ipairs(sample_list) do io.write("SAMPLE " .. p .. "\n") end
  local secs = summary.duration / 1e6
  local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "RESULT rps=%.0f ok_rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.1f requests=%d ok=%d non2xx=%d s4xx=%d s503=%d s5xx_other=%d other_status=%d socket_errors=%d distinct_urls=%d\n",
    summary.requests / secs, ok / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, ok,
    s4xx + s503 + s5xx + other, s4xx, s503, s5xx, other, socket_errors, nurls))
end
