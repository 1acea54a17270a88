-- wrk script: GET /api/v1/search with a two-word query drawn at random per request from
-- the bench_scale_gen data set: "<locality> lagerhall" (the cases of one company in 16,
-- found by their company's locality and their subject) or "roslagens <N>" (company N by
-- its name, and its 10 cases by their company's name; the number is the prefix).
-- Usage: LB_TOKEN=... LB_COMPANIES=100000 [LB_LIMIT=20] wrk -t2 -c64 -d4s -s bench/search_two_words.lua URL
local token = os.getenv("LB_TOKEN") or ""
local companies = tonumber(os.getenv("LB_COMPANIES") or "100")
local limit = os.getenv("LB_LIMIT") or "20"
local places = {"norrtalje", "hallstavik", "grisslehamn", "almsta", "edsbro", "herrang",
                "bergshamra", "riala", "svanberga", "spillersboda", "blido", "furusund",
                "graddo", "kopmanholm", "osthammar", "vaddo"}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local q
  if math.random(2) == 1 then
    q = places[math.random(#places)] .. "+lagerhall"
  else
    q = "roslagens+" .. math.random(1, companies)
  end
  return wrk.format("GET", "/api/v1/search?q=" .. q .. "&limit=" .. limit,
                    {["Authorization"] = "Bearer " .. token})
end

local errors = 0
local empty = 0
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
  if body:sub(1, 12) == '{"items": []' then empty = empty + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", errors))
  io.write(string.format("empty answers: %d\n", empty))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
