-- wrk script: varied listings, as many users browsing would send them: random section, category,
-- 동네 + radius 1/3/5/10 km, sort (popular included), 2-syllable search words, pages 1-5.
-- Many combinations, so the 3 s micro-cache rarely answers; the slow families (radius, popular,
-- short words, unranged price sorts) are a large share on purpose.
dofile((os.getenv("BENCH_DIR") or "bench") .. "/status.lua")

local sections = { "", "lend", "borrow" }
local categories = { "", "", "", "digital", "furniture", "camping", "tools", "kids", "fashion",
  "books", "hobby", "appliances", "sports" }
local radii = { "", "", "1", "3", "5", "10" }
local sorts = { "recent", "recent", "popular", "price_asc", "price_desc" }
-- 드릴 텐트 의자 카메 자전 책상 공구 캠핑 유모 노트
local words = { "%EB%93%9C%EB%A6%B4", "%ED%85%90%ED%8A%B8", "%EC%9D%98%EC%9E%90",
  "%EC%B9%B4%EB%A9%94", "%EC%9E%90%EC%A0%84", "%EC%B1%85%EC%83%81", "%EA%B3%B5%EA%B5%AC",
  "%EC%BA%A0%ED%95%91", "%EC%9C%A0%EB%AA%A8", "%EB%85%B8%ED%8A%B8" }

local function pick(t)
  return t[math.random(1, #t)]
end

function init(args)
  math.randomseed(os.time() + tid * 104729)
end

function request()
  local qs = { "sort=" .. pick(sorts), "page=" .. math.random(1, 5) }
  local s = pick(sections)
  if s ~= "" then qs[#qs + 1] = "section=" .. s end
  local c = pick(categories)
  if c ~= "" then qs[#qs + 1] = "category=" .. c end
  local r = pick(radii)
  if r ~= "" then qs[#qs + 1] = "region=1144066000&radius_km=" .. r end
  if math.random() < 0.35 then qs[#qs + 1] = "q=" .. pick(words) end
  return wrk.format("GET", "/api/v1/items?" .. table.concat(qs, "&"))
end
