-- wrk script: GET /api/v1/cases/{id} for a random id in [LB_CASE_FIRST, LB_CASE_LAST].
-- Usage: LB_TOKEN=... LB_CASE_FIRST=2 LB_CASE_LAST=1000001 wrk -t2 -c64 -d4s -s bench/get_random_case.lua URL
-- Used by `make bench-scale`: reads spread over the whole data set, not one hot record.
local token = os.getenv("LB_TOKEN") or ""
local first = tonumber(os.getenv("LB_CASE_FIRST") or "1")
local last = tonumber(os.getenv("LB_CASE_LAST") or "1")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  return wrk.format("GET", "/api/v1/cases/" .. math.random(first, last),
                    {["Authorization"] = "Bearer " .. token})
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", errors))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
