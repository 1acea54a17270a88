-- wrk script: POST /api/v1/cases/{id}/contacts with a Bearer token.
-- Usage: LB_TOKEN=... LB_CASE=1 wrk -t2 -c64 -d10s -s bench/post_contact.lua http://127.0.0.1:8080
-- Durable writes: every 201 was committed (group commit) before it was sent.
local token = os.getenv("LB_TOKEN") or ""
local case_id = os.getenv("LB_CASE") or "1"
wrk.method = "POST"
wrk.path = "/api/v1/cases/" .. case_id .. "/contacts"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"channel":"phone","direction":"inbound","summary":"Frågade om bygglov för lagerhall","minutes":5}'

local errors = 0
function response(status, headers, body)
  if status ~= 201 then errors = errors + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-201 answers: %d\n", errors))
  io.write(string.format("p50 %.3f ms, p99 %.3f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
  io.write(string.format("mean %.3f ms\n", latency.mean / 1000))
end
