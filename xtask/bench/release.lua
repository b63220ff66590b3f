-- POST /v1/spends/{spend_id}/release, each spend of a file (one id a line) released once: of n wrk
-- threads, thread t takes ids t, t + n, t + 2n, ... Past the end it repeats its last id (a release
-- that gives nothing back: the count below then falls short of the requests, and the xtask says the
-- file ran out). Counts the answers that gave an amount back (`"released":true`).
-- Arguments after `--`: the id file, then the number of wrk threads. keygated asks for a service
-- credential: bench-client's seed writes one next to the tokens, and the id file is put there too.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local requests = {}
local at, stride
valid = 0

function init(args)
   local file = assert(io.open(args[1], "r"))
   local headers = {}
   local service = io.open((args[1]:match("^(.*/)") or "./") .. "service.txt", "r")
   if service then
      headers["Authorization"] = "Bearer " .. service:read("*l")
      service:close()
   end
   for line in file:lines() do
      if #line > 0 then
         requests[#requests + 1] = wrk.format("POST", "/v1/spends/" .. line .. "/release", headers, "")
      end
   end
   file:close()
   assert(#requests > 0, "no spend id in " .. args[1])
   stride = tonumber(args[2]) or 1
   at = id or 1
end

function request()
   local r = requests[math.min(at, #requests)]
   at = at + stride
   return r
end

function response(status, headers, body)
   if status == 200 and body:find('"released":true', 1, true) then
      valid = valid + 1
   end
end
