-- GET /healthz: the ceiling every other scenario is compared with. Built per request
-- through the same Lua path as the other scenarios, so wrk's own cost is comparable.
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

bench.scenario {
   init = function(opts, tid, nthreads) end,
   request = function()
      return wrk.format("GET", "/healthz", {})
   end,
}
