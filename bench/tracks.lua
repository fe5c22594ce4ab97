-- GET /api/users/{partner_id}/tracks over the seeded users PREFIX1..PREFIXN.
-- Args: key=<API key> users=<N> prefix=<p> threads=<wrk -t>
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local headers, prefix, users, i, step

bench.scenario {
   init = function(opts, tid, nthreads)
      headers = { ["Authorization"] = "Bearer " .. assert(opts.key, "key=<API key> missing") }
      prefix = opts.prefix or "p"
      users = tonumber(opts.users or "10000")
      i, step = tid, nthreads
   end,
   request = function()
      local id = prefix .. (i % users + 1)
      i = i + step
      return wrk.format("GET", "/api/users/" .. id .. "/tracks", headers)
   end,
}
