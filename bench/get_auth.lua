-- wrk script: an authenticated GET (e.g. /api/v1/cases/{id}).
-- Usage: LB_TOKEN=... LB_PATH=/api/v1/cases/1 wrk -t2 -c64 -d10s -s bench/get_auth.lua URL
local token = os.getenv("LB_TOKEN") or ""
wrk.path = os.getenv("LB_PATH") or "/healthz"
wrk.headers["Authorization"] = "Bearer " .. token

local errors = 0
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", errors))
  io.write(string.format("p50 %.3f ms, p99 %.3f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
  io.write(string.format("mean %.3f ms\n", latency.mean / 1000))
end
