-- verify.lua, and counts the verdicts that said `"valid":true` (the spends keygated acknowledged).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "verify.lua")

valid = 0

function response(status, headers, body)
   if status == 200 and body:find('"valid":true', 1, true) then
      valid = valid + 1
   end
end
