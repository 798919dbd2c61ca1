-- wrk script: walks the realistic mix (BENCH_PATHS, one path a line), each
-- thread from its own offset; with BENCH_ACCEPT_ENCODING, sends it as a
-- browser does.
dofile("bench/report.lua")

local threads = 0
setup = function(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

local paths, i = {}, 0
init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    paths[#paths + 1] = line
  end
  i = offset or 0
  local encoding = os.getenv("BENCH_ACCEPT_ENCODING")
  if encoding and encoding ~= "" then
    wrk.headers["Accept-Encoding"] = encoding
  end
end

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
