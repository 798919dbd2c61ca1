-- wrk script: a flood of distinct URLs, each a city by id never asked
-- before (BENCH_FIRST_ID up, threads interleaved), to fill the response
-- cache past its budget.
dofile("bench/report.lua")

local threads = 0
setup = function(thread)
  thread:set("first", threads)
  threads = threads + 1
end

local n, step = 0, 2
init = function(args)
  n = (first or 0) + tonumber(os.getenv("BENCH_FIRST_ID") or "1")
end

request = function()
  n = n + step
  return wrk.format("GET", "/api/v1/cities/" .. n)
end
