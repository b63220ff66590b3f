-- Shared by the wrk scripts of `cargo xtask bench`: numbers each thread, and at the end prints one
-- line of `name=value` words (latencies in microseconds) for the xtask to read. A script that counts
-- verdicts keeps a global `valid` per thread; it is summed here.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function done(summary, latency, requests)
   local valid, counted = 0, false
   for _, thread in ipairs(threads) do
      local v = thread:get("valid")
      if v then
         valid = valid + v
         counted = true
      end
   end
   local e = summary.errors
   io.write(string.format(
      "KGBENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
      "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f%s\n",
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      counted and string.format(" valid=%d", valid) or ""))
end
