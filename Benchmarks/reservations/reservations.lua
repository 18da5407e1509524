-- Benchmarks/reservations/reservations.lua — wrk script for Benchmarks/reservations/run.sh.
--
--   wrk ... -s reservations.lua URL -- VENDORS_FILE FIRST_INDEX THREADS FIRST_DAY OPEN SLOT SLOTS
--
-- Every request is POST /v1/reservations for a slot no other request of the run asks for:
-- request number n of wrk thread t (1-based) of THREADS gets the global index
-- g = FIRST_INDEX + n * THREADS + (t - 1), and g picks
--   vendor  g mod V                      (V = lines of VENDORS_FILE, one vendor id each)
--   slot    (g div V) mod SLOTS          (SLOT seconds long, the first OPEN seconds after midnight)
--   day     FIRST_DAY + (g div V div SLOTS) days  (FIRST_DAY: epoch seconds of a UTC midnight)
-- so consecutive requests go to different vendors and, on vendors open every day from OPEN for
-- SLOTS slots of SLOT seconds, every request is valid and conflicts with none.
--
-- Statuses are counted per thread and printed at the end as "status CODE COUNT" lines, followed
-- by "next_index N": the FIRST_INDEX of a later run that must not reuse this run's slots.

local ids = {}
local vendor_count, thread_count, first_day, open, slot, slots
-- Globals, so that done() can read them from each thread's state with thread:get().
first_index, sent, statuses = 0, 0, {}

-- setup runs in the main Lua state; `tid` becomes a global of each thread's own state.
local threads = {}
function setup(thread)
    threads[#threads + 1] = thread
    thread:set("tid", #threads)
end

function init(args)
    if #args < 7 then
        error("usage: wrk ... -s reservations.lua URL -- VENDORS_FILE FIRST_INDEX THREADS FIRST_DAY OPEN SLOT SLOTS")
    end
    for line in io.lines(args[1]) do
        if line ~= "" then ids[#ids + 1] = line end
    end
    vendor_count = #ids
    if vendor_count == 0 then error("no vendor ids in " .. args[1]) end
    first_index, thread_count = tonumber(args[2]), tonumber(args[3])
    first_day, open, slot, slots = tonumber(args[4]), tonumber(args[5]), tonumber(args[6]), tonumber(args[7])
end

local function iso(t)
    return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function request()
    local g = first_index + sent * thread_count + (tid - 1)
    sent = sent + 1
    local vendor = g % vendor_count
    local rest = math.floor(g / vendor_count)
    local start = first_day + math.floor(rest / slots) * 86400 + open + (rest % slots) * slot
    local body = string.format(
        '{"vendorId":"%s","slotStartTime":"%s","slotEndTime":"%s","requesterId":"bench-%d"}',
        ids[vendor + 1], iso(start), iso(start + slot), g)
    return wrk.format("POST", "/v1/reservations", nil, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total, most, first = {}, 0, 0
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            total[status] = (total[status] or 0) + count
        end
        most = math.max(most, thread:get("sent"))
        first = thread:get("first_index")
    end
    for status, count in pairs(total) do
        io.write(string.format("status %d %d\n", status, count))
    end
    io.write(string.format("next_index %d\n", first + most * #threads))
end
