-- One Hrana pipeline request, repeated: POST to the URL's path with the body in
-- $BENCH_BODY (a file) and the bearer token in $BENCH_TOKEN (the same token every
-- time: the warm path). Prints one machine-readable line at the end.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "result.lua")
