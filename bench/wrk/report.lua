-- wrk -s bench/wrk/report.lua: POST /v1/reports as bench/samples.py builds them (townships and domains spread,
-- a unique 交办编号 per report in the run's batch), signed with the token in the environment variable TOKEN.
-- Every answer but 202 is counted and printed at the end (the first three of each thread), with the 202s.
local townships = {"城关镇", "河口镇", "石门镇", "桥头乡", "杨柳镇", "新港镇", "白沙乡", "龙潭镇"}
local domains = {"quarrying_sand", "brick_tile", "ready_mix_concrete", "livestock_aquaculture",
  "dust_construction_waste", "rural_living_environment", "water", "air", "solid_waste", "noise", "other"}
local sources = {"hotline_12369", "county_hotline", "central_inspection", "mailbox"}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  batch = os.getenv("BATCH") or ("wrk-" .. os.time())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")
  others = 0
  accepted = 0
end

function request()
  counter = counter + 1
  local n = counter * 64 + id
  local body = string.format(
    '{"source":"%s","title":"群众反映环境问题（第%d号）","description":"群众反映附近有环境问题，请核实处理",' ..
    '"township":"%s","domain":"%s","batch":"%s","external_ref":"%s-%d"}',
    sources[n % #sources + 1], n, townships[n % #townships + 1], domains[math.floor(n / #townships) % #domains + 1],
    batch, batch, n)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  else
    others = others + 1
    if others <= 3 then print(status, body) end
  end
end

function done(summary, latency, requests)
  for _, p in pairs({50, 90, 99}) do
    io.write(string.format("p%d %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("rps %.1f errors %d\n", summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  local total_accepted, total_others = 0, 0
  for _, thread in ipairs(threads) do
    total_accepted = total_accepted + (thread:get("accepted") or 0)
    total_others = total_others + (thread:get("others") or 0)
  end
  io.write(string.format("accepted %d others %d seconds %.3f\n", total_accepted, total_others,
    summary.duration / 1e6))
end
