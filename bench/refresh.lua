-- POST /api/users/{partner_id} for existing users (seeded PREFIX1..PREFIXN): a new token each time.
-- Args: key=<API key> users=<N> prefix=<p> threads=<wrk -t>
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local headers, prefix, users, i, step

bench.scenario {
   init = function(opts, tid, nthreads)
      headers = { ["Authorization"] = "Bearer " .. assert(opts.key, "key=<API key> missing"), ["Content-Type"] = "application/json" }
      prefix = opts.prefix or "p"
      users = tonumber(opts.users or "10000")
      i, step = tid, nthreads
   end,
   request = function()
      local id = prefix .. (i % users + 1)
      i = i + step
      local body = '{"email":"' .. id .. '@bench.example","first_name":"Bench","last_name":"Refreshed"}'
      return wrk.format("POST", "/api/users/" .. id, headers, body)
   end,
}
