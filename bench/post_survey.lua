-- wrk script: the public survey form's POST (an HTML form, as a browser sends it),
-- each request answering another follow-up's survey with its own token.
-- Usage: LB_TOKENS=FILE LB_OFFSET=0 wrk -t2 -c64 -d4s -s bench/post_survey.lua http://127.0.0.1:8080
-- FILE holds one token per line (bench_survey seed ... --issue FILE); thread k of n takes
-- tokens OFFSET + k, OFFSET + k + n, ... Every 200 was committed (group commit) before it
-- was sent; an answer past the end of the file is counted as non-200.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = 0
  tokens = {}
  for line in io.lines(os.getenv("LB_TOKENS")) do
    n = n + 1
    tokens[n] = line
  end
  offset = tonumber(os.getenv("LB_OFFSET") or "0")
  step = tonumber(os.getenv("LB_THREADS") or "2")
  next_i = offset + id + 1
  errors = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = "lots.reached_right_person=5&lots.easy_contact=ja&lots.usefulness=6" ..
             "&lots.treatment=5&lots.website_information=vet_ej"
end

function request()
  local tok = tokens[next_i] or "unknown"
  next_i = next_i + step
  return wrk.format(nil, "/enkat/" .. tok)
end

function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + (t:get("errors") or 0) end
  io.write(string.format("non-200 answers: %d\n", e))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
