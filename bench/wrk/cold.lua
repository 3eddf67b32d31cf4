-- Cold verification: every request carries the next token of a pre-minted pool
-- ($BENCH_TOKENS, one per line), so the gate's token cache misses. Threads take
-- disjoint slices of the pool; a slice wraps around only if the run outlasts it
-- (the report shows the gate's own hit/miss counters for the run).
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
local body = f:read("*a")
f:close()
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local index, first, last
function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  local per = math.floor(#tokens / n)
  first = id * per + 1
  last = first + per - 1
  index = first
end

function request()
  local token = tokens[index]
  index = index + 1
  if index > last then index = first end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")
