-- GET each path of a file once: pre-issued single-use tokens (/login/sso?token=…) or
-- launch codes (/jsp/api/getUserId/?t=…&k=…). Line i goes to thread i % threads, so no
-- two requests carry the same token; a thread whose lines run out stops.
-- Args: file=<paths file> threads=<wrk -t> [success=2xx3xx]
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local paths, i

bench.scenario {
   init = function(opts, tid, nthreads)
      paths = bench.partition(assert(opts.file, "file=<paths file> missing"), tid, nthreads)
      i = 0
   end,
   request = function()
      i = i + 1
      local path = paths[i]
      if path == nil then return nil end
      return wrk.format("GET", path, {})
   end,
}
