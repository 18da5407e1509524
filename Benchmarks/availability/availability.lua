-- Benchmarks/availability/availability.lua — wrk script for Benchmarks/availability/run.sh.
--
--   wrk ... -s availability.lua URL -- VENDORS_FILE WINDOWS_FILE
--
-- Every request is GET /v1/vendors/{id}/availability for a vendor picked at random from
-- VENDORS_FILE (lines "ID SLOT_MINUTES") and a window picked at random from WINDOWS_FILE (lines
-- "startTime=...&endTime=..."). The few windows keep the set of distinct answers small enough
-- for the responder's cache; the uncached run sends exactly the same mix.
--
-- Every request is formatted once, in init, and request() only picks one: formatting it anew each
-- time (Lua string building on every request) cost wrk 4-7 µs of the two shared cores per request,
-- which the ping target (wrk's built-in request, no script) does not pay.

local requests = {}
local count = 0

-- Each wrk thread has its own Lua state; give each a different random sequence.
-- (setup runs in the main Lua state; `tid` becomes a global of the thread's own state.)
local threads_set_up = 0
function setup(thread)
    threads_set_up = threads_set_up + 1
    thread:set("tid", threads_set_up)
end

function init(args)
    local vendors_file, windows_file = args[1], args[2]
    if not vendors_file or not windows_file then
        error("usage: wrk ... -s availability.lua URL -- VENDORS_FILE WINDOWS_FILE")
    end
    local windows = {}
    for line in io.lines(windows_file) do
        if line ~= "" then windows[#windows + 1] = line end
    end
    for line in io.lines(vendors_file) do
        local id, slot = line:match("^(%S+)%s+(%d+)$")
        if id then
            for _, window in ipairs(windows) do
                requests[#requests + 1] = wrk.format(nil, "/v1/vendors/" .. id .. "/availability?" .. window
                    .. "&slotDuration=" .. slot .. "&includeConfidence=true")
            end
        end
    end
    count = #requests
    if count == 0 then error("no vendors or windows read from " .. vendors_file .. " and " .. windows_file) end
    math.randomseed(os.time() * 100 + (tid or 0))
end

function request()
    return requests[math.random(count)]
end
