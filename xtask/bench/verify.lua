-- POST /v1/verify with a token drawn at random for every request from a file of tokens (one a line).
-- Arguments after `--`: the token file, then optionally an amount and its currency.
-- Every request is formatted once, in init, so drawing one costs a table look-up.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local requests = {}

function init(args)
   local file = assert(io.open(args[1], "r"))
   local amount, currency = args[2], args[3]
   local headers = { ["Content-Type"] = "application/json" }
   -- keygated asks for a service credential: bench-client's seed writes one next to the tokens.
   local service = io.open((args[1]:match("^(.*/)") or "./") .. "service.txt", "r")
   if service then
      headers["Authorization"] = "Bearer " .. service:read("*l")
      service:close()
   end
   for line in file:lines() do
      if #line > 0 then
         local body
         if amount then
            body = string.format('{"key":"%s","amount":"%s","currency":"%s"}', line, amount, currency)
         else
            body = string.format('{"key":"%s"}', line)
         end
         requests[#requests + 1] = wrk.format("POST", "/v1/verify", headers, body)
      end
   end
   file:close()
   assert(#requests > 0, "no token in " .. args[1])
   math.randomseed(os.time() + 7919 * (id or 0))
end

function request()
   return requests[math.random(#requests)]
end
