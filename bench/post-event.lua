-- wrk script: each request logs an event on one twinning (a write with its change record).
dofile("bench/report.lua")
local token = os.getenv("BENCH_TOKEN")
local twinning = os.getenv("BENCH_TWINNING")
local from = os.getenv("BENCH_FROM_CITY")
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.path = "/api/v1/twinnings/" .. twinning .. "/events"
request = function()
  counter = counter + 1
  local body = '{"kind":"letter","from_city_id":' .. from .. ',"status":"completed","date":"2020","title":"Bench letter ' .. counter .. '"}'
  return wrk.format(nil, nil, nil, body)
end
