-- POST /api/users/{partner_id} for partner ids that do not exist yet: create + token.
-- Args: key=<API key> run=<unique run tag> threads=<wrk -t>
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local headers, prefix, n

bench.scenario {
   init = function(opts, tid, nthreads)
      headers = { ["Authorization"] = "Bearer " .. assert(opts.key, "key=<API key> missing"), ["Content-Type"] = "application/json" }
      prefix = "c" .. (opts.run or "0") .. "-t" .. tid .. "-"
      n = 0
   end,
   request = function()
      n = n + 1
      local id = prefix .. n
      local body = '{"email":"' .. id .. '@bench.example","first_name":"Bench","last_name":"Created"}'
      return wrk.format("POST", "/api/users/" .. id, headers, body)
   end,
}
