-- POST /v1/verify spending an amount with a fresh `idempotency_key` on every request (so each one
-- claims a key and spends, never replays), a token drawn at random from a file of tokens (one a line);
-- counts the verdicts that said `"valid":true`, like verify_counting.lua.
-- Arguments after `--`: the token file, the amount, its currency, and a tag unique in the database
-- (the run's label): request n of wrk thread t sends `<tag>-<t>-<n>`.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local tokens = {}
local headers = { ["Content-Type"] = "application/json" }
local prefix, suffix
local sent = 0
valid = 0

function init(args)
   local file = assert(io.open(args[1], "r"))
   assert(args[2] and args[3] and args[4], "arguments: token file, amount, currency, tag")
   -- keygated asks for a service credential: bench-client's seed writes one next to the tokens.
   local service = io.open((args[1]:match("^(.*/)") or "./") .. "service.txt", "r")
   if service then
      headers["Authorization"] = "Bearer " .. service:read("*l")
      service:close()
   end
   for line in file:lines() do
      if #line > 0 then
         tokens[#tokens + 1] = string.format('{"key":"%s","amount":"%s","currency":"%s","idempotency_key":"', line,
            args[2], args[3])
      end
   end
   file:close()
   assert(#tokens > 0, "no token in " .. args[1])
   prefix = string.format("%s-%d-", args[4], id or 0)
   suffix = '"}'
   math.randomseed(os.time() + 7919 * (id or 0))
end

function request()
   sent = sent + 1
   return wrk.format("POST", "/v1/verify", headers, tokens[math.random(#tokens)] .. prefix .. sent .. suffix)
end

function response(status, headers, body)
   if status == 200 and body:find('"valid":true', 1, true) then
      valid = valid + 1
   end
end
