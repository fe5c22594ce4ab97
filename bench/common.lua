-- Shared by the bench/*.lua wrk scripts (loaded with dofile; not a wrk script itself).
--
-- A scenario script calls bench.scenario{ init = f(opts, tid, nthreads), request = f() }
-- where request() returns a request string (wrk.format), or nil when the thread has
-- no more distinct work (pre-issued tokens or codes used up): the thread then stops
-- and the rate is computed from the threads' own clocks instead of wrk's duration.
--
-- Script arguments (after `--` on wrk's command line) are key=value pairs, e.g.
--   wrk ... -s bench/paths.lua http://127.0.0.1:8080 -- threads=2 file=/tmp/sso.txt success=2xx3xx
-- threads must be wrk's -t (it partitions the work between threads).
--
-- Statuses are counted per thread in response() (wrk itself counts only socket errors
-- and statuses >= 400) and summed in done(), which prints one line
--   BENCH_JSON {"requests": …, "ok": …, "non_success": …, "rps": …, "p50_ms": …, …}
-- for bench/run. success=2xx (default) counts 200-299 as success; success=2xx3xx also
-- 300-399 (GET /login/sso answers 303); success=2xx303 also exactly 303 (mixed load).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

local bench = {}

function bench.now()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- key=value arguments into a table.
function bench.options(args)
   local opts = {}
   for i = 1, #args do
      local k, v = string.match(args[i], "^([%w_]+)=(.*)$")
      if k then opts[k] = v end
   end
   return opts
end

-- Lines of `path` whose (0-based) index i has i % nthreads == tid.
function bench.partition(path, tid, nthreads)
   local mine = {}
   local f = io.open(path, "r")
   if not f then error("cannot read " .. tostring(path)) end
   local i = 0
   for line in f:lines() do
      if line ~= "" then
         if i % nthreads == tid then mine[#mine + 1] = line end
         i = i + 1
      end
   end
   f:close()
   return mine
end

local function json_string(s)
   return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

local function json_number(x)
   if x == nil or x ~= x or x == math.huge or x == -math.huge then return "null" end
   if x == math.floor(x) and math.abs(x) < 1e15 then return string.format("%d", x) end
   return string.format("%.6g", x)
end

-- Installs wrk's global hooks for a scenario.
function bench.scenario(spec)
   local threads = {}
   local next_tid = 0

   -- Main state: number the threads.
   function setup(thread)
      thread:set("bench_tid", next_tid)
      next_tid = next_tid + 1
      threads[#threads + 1] = thread
   end

   -- Thread states from here on (globals, read back in done() with thread:get).
   function init(args)
      local opts = bench.options(args)
      bench_nthreads = tonumber(opts.threads or "1") or 1
      bench_success = opts.success or "2xx"
      bench_ok, bench_bad, bench_sent = 0, 0, 0
      bench_statuses = {}
      bench_started_at, bench_stopped_at = nil, nil
      bench_exhausted = false
      spec.init(opts, bench_tid, bench_nthreads)
   end

   local make = spec.request
   function request()
      if bench_started_at == nil then bench_started_at = bench.now() end
      local req = nil
      if not bench_exhausted then req = make() end
      if req == nil then
         if not bench_exhausted then
            bench_exhausted = true
            bench_stopped_at = bench.now()
            wrk.thread:stop()
         end
         -- wrk wants a request anyway; its answer is not counted (see response()).
         return wrk.format("GET", "/healthz")
      end
      bench_sent = bench_sent + 1
      return req
   end

   function response(status, headers, body)
      if bench_exhausted then return end
      local ok = status >= 200 and status <= 299
      if not ok and bench_success == "2xx3xx" then ok = status >= 300 and status <= 399 end
      if not ok and bench_success == "2xx303" then ok = status == 303 end
      if ok then bench_ok = bench_ok + 1 else bench_bad = bench_bad + 1 end
      local key = tostring(status)
      bench_statuses[key] = (bench_statuses[key] or 0) + 1
   end

   function done(summary, latency, requests)
      local ok, bad, exhausted = 0, 0, false
      local statuses = {}
      local elapsed = summary.duration / 1e6
      local own_elapsed = 0
      for _, t in ipairs(threads) do
         ok = ok + (t:get("bench_ok") or 0)
         bad = bad + (t:get("bench_bad") or 0)
         for k, v in pairs(t:get("bench_statuses") or {}) do statuses[k] = (statuses[k] or 0) + v end
         local started, stopped = t:get("bench_started_at"), t:get("bench_stopped_at")
         if t:get("bench_exhausted") then
            exhausted = true
            if started and stopped then own_elapsed = math.max(own_elapsed, stopped - started) end
         else
            own_elapsed = math.max(own_elapsed, elapsed)
         end
      end
      local e = summary.errors
      local socket_errors = e.connect + e.read + e.write + e.timeout
      local counted, rps
      if exhausted then
         -- Threads stopped early: the rate over the time they actually ran.
         counted = ok + bad
         rps = own_elapsed > 0 and counted / own_elapsed or 0
      else
         counted = summary.requests
         rps = elapsed > 0 and summary.requests / elapsed or 0
      end
      local parts = {}
      for k, v in pairs(statuses) do parts[#parts + 1] = json_string(k) .. ": " .. json_number(v) end
      local fields = {
         '"requests": ' .. json_number(counted),
         '"ok": ' .. json_number(ok),
         '"bad_status": ' .. json_number(bad),
         '"socket_errors": {"connect": ' .. json_number(e.connect) .. ', "read": ' .. json_number(e.read)
            .. ', "write": ' .. json_number(e.write) .. ', "timeout": ' .. json_number(e.timeout) .. '}',
         '"non_success": ' .. json_number(bad + socket_errors),
         '"statuses": {' .. table.concat(parts, ", ") .. '}',
         '"duration_s": ' .. json_number(exhausted and own_elapsed or elapsed),
         '"rps": ' .. json_number(rps),
         '"exhausted": ' .. tostring(exhausted),
         '"p50_ms": ' .. json_number(latency:percentile(50) / 1000),
         '"p90_ms": ' .. json_number(latency:percentile(90) / 1000),
         '"p99_ms": ' .. json_number(latency:percentile(99) / 1000),
         '"max_ms": ' .. json_number(latency.max / 1000),
         '"wrk_requests": ' .. json_number(summary.requests),
         '"wrk_duration_s": ' .. json_number(elapsed),
      }
      io.write("BENCH_JSON {" .. table.concat(fields, ", ") .. "}\n")
   end
end

return bench
