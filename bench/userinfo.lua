-- GET /oauth/userinfo with pre-issued access tokens, round robin (a token serves many requests).
-- Args: file=<access tokens file> threads=<wrk -t>
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local tokens, i

bench.scenario {
   init = function(opts, tid, nthreads)
      tokens = bench.partition(assert(opts.file, "file=<access tokens file> missing"), tid, nthreads)
      assert(#tokens > 0, "no access tokens for this thread")
      i = 0
   end,
   request = function()
      i = i + 1
      return wrk.format("GET", "/oauth/userinfo", { ["Authorization"] = "Bearer " .. tokens[(i - 1) % #tokens + 1] })
   end,
}
