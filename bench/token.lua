-- POST /oauth/token with distinct pre-issued authorization codes (client_secret_basic):
-- each code once. Line i of the file goes to thread i % threads; a thread whose codes
-- run out stops.
-- Args: file=<codes file> basic=<base64 of client_id:client_secret> redirect=<urlencoded redirect URI> threads=<wrk -t>
local bench = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local codes, i, headers, redirect

bench.scenario {
   init = function(opts, tid, nthreads)
      codes = bench.partition(assert(opts.file, "file=<codes file> missing"), tid, nthreads)
      headers = { ["Authorization"] = "Basic " .. assert(opts.basic, "basic=<base64> missing"),
                  ["Content-Type"] = "application/x-www-form-urlencoded" }
      redirect = assert(opts.redirect, "redirect=<urlencoded URI> missing")
      i = 0
   end,
   request = function()
      i = i + 1
      local code = codes[i]
      if code == nil then return nil end
      return wrk.format("POST", "/oauth/token", headers, "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect)
   end,
}
