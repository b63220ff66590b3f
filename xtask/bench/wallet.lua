-- GET one wallet route, with `Authorization: Bearer <token>` when a token is given.
-- Arguments after `--`: the path, then optionally the token.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

function init(args)
   wrk.method = "GET"
   wrk.path = args[1]
   if args[2] and #args[2] > 0 then
      wrk.headers["Authorization"] = "Bearer " .. args[2]
   end
end
