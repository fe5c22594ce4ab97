-- Mixed load for the soak test (bench/run --soak): per 100 requests about
--   10 GET /healthz, 5 create, 25 refresh, 30 GET …/tracks, 10 GET /api/users/{id},
--   20 GET /login/sso with pre-issued tokens (while they last; then …/tracks instead).
-- Success is 2xx, or 303 (only /login/sso redirects).
-- Args: key=<API key> users=<N> prefix=<p> run=<tag> file=<sso paths> threads=<wrk -t>
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local auth, json_auth, prefix, users, run, tid_, i, step, sso, s, created, k

local plan = {}
for _ = 1, 10 do plan[#plan + 1] = "healthz" end
for _ = 1, 5 do plan[#plan + 1] = "create" end
for _ = 1, 25 do plan[#plan + 1] = "refresh" end
for _ = 1, 30 do plan[#plan + 1] = "tracks" end
for _ = 1, 10 do plan[#plan + 1] = "show" end
for _ = 1, 20 do plan[#plan + 1] = "sso" end

bench.scenario {
   init = function(opts, tid, nthreads)
      local key = assert(opts.key, "key=<API key> missing")
      auth = { ["Authorization"] = "Bearer " .. key }
      json_auth = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
      prefix = opts.prefix or "p"
      users = tonumber(opts.users or "10000")
      run = opts.run or "0"
      tid_ = tid
      i, step = tid, nthreads
      sso = opts.file and bench.partition(opts.file, tid, nthreads) or {}
      s, created, k = 0, 0, tid * 37
   end,
   request = function()
      k = k + 1
      local kind = plan[(k * 7) % #plan + 1]
      if kind == "sso" then
         s = s + 1
         local path = sso[s]
         if path then return wrk.format("GET", path, {}) end
         kind = "tracks"
      end
      if kind == "healthz" then return wrk.format("GET", "/healthz", {}) end
      if kind == "create" then
         created = created + 1
         local id = "m" .. run .. "-t" .. tid_ .. "-" .. created
         return wrk.format("POST", "/api/users/" .. id, json_auth,
            '{"email":"' .. id .. '@bench.example","first_name":"Soak","last_name":"Created"}')
      end
      local id = prefix .. (i % users + 1)
      i = i + step
      if kind == "refresh" then
         return wrk.format("POST", "/api/users/" .. id, json_auth, '{"first_name":"Soak"}')
      elseif kind == "show" then
         return wrk.format("GET", "/api/users/" .. id, auth)
      end
      return wrk.format("GET", "/api/users/" .. id .. "/tracks", auth)
   end,
}
