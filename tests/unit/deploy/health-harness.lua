-- Runs an Argo CD health script as Argo CD does: the live object is the
-- global `obj` and the script's chunk returns `hs`. The object arrives on
-- stdin as a Lua table literal (tests/unit/deploy/lua-literal.ts). The script
-- sees only the libraries Argo CD offers health scripts, so an accidental
-- `os`, `io` or `require` fails here as it would there.
-- Usage: lua5.4 health-harness.lua SCRIPT < OBJECT
local literal = io.read("a")
local obj = assert(load("return " .. literal, "obj", "t", {}))()
local env = {
  obj = obj,
  ipairs = ipairs, pairs = pairs, next = next, select = select, type = type,
  tostring = tostring, tonumber = tonumber, error = error, pcall = pcall,
  string = string, table = table, math = math,
}
local chunk = assert(loadfile(arg[1], "t", env))
local hs = chunk()
assert(type(hs) == "table", "the script must return a table")
io.write(tostring(hs.status), "\n", tostring(hs.message or ""), "\n")
