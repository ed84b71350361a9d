-- bench/conf/wrk.lua: the wrk side of `bench/run --generator wrk`. bench/run
-- sets these environment variables (the same request h2load sends):
--   WRK_METHOD    GET, PUT or POST
--   WRK_BODY      a file whose bytes are the request body (empty: none)
--   WRK_HEADERS   header lines, one per line ("Name: value")
--   WRK_EXPECT    the status class every answer must have: 2 or 5
--   WRK_PIPELINE  requests sent in one write per connection (1: no pipelining)
-- done() prints one machine-readable line:
--   wrk-result requests=N bad=N duration_us=N p50_us=N p99_us=N
--              connect=N read=N write=N status=N timeout=N
-- where bad counts the answers whose status is not in WRK_EXPECT's class
-- (counted in response(), one by one; wrk calls response() only for an
-- answer with at least one header, hence answered), and the rest is wrk's
-- own summary (status: answers with a status above 399).

local method = os.getenv("WRK_METHOD") or "GET"
local body_file = os.getenv("WRK_BODY") or ""
local expect = tonumber(os.getenv("WRK_EXPECT") or "2")
local pipeline = tonumber(os.getenv("WRK_PIPELINE") or "1")

local body = nil
if body_file ~= "" then
   local f = assert(io.open(body_file, "rb"))
   body = f:read("*a")
   f:close()
end

local headers = {}
for line in (os.getenv("WRK_HEADERS") or ""):gmatch("[^\n]+") do
   local name, value = line:match("^([^:]+):%s*(.*)$")
   if name then headers[name] = value end
end

wrk.method = method
wrk.body = body
for k, v in pairs(headers) do wrk.headers[k] = v end

if pipeline > 1 then
   -- The classic pipeline script: N requests in one buffer, written at once;
   -- wrk waits for the N answers before it writes the next N.
   local batch = nil
   init = function(args)
      local reqs = {}
      for i = 1, pipeline do
         reqs[i] = wrk.format(method, nil, headers, body)
      end
      batch = table.concat(reqs)
   end
   request = function()
      return batch
   end
end

local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

answered = 0
bad = 0
function response(status, hdrs, resp_body)
   answered = answered + 1
   if math.floor(status / 100) ~= expect then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local n_bad, n_answered = 0, 0
   for _, t in ipairs(threads) do
      n_bad = n_bad + (t:get("bad") or 0)
      n_answered = n_answered + (t:get("answered") or 0)
   end
   local e = summary.errors
   io.write(string.format("wrk-result requests=%d answered=%d bad=%d duration_us=%d p50_us=%d p99_us=%d " ..
                          "connect=%d read=%d write=%d status=%d timeout=%d\n",
                          summary.requests, n_answered, n_bad, summary.duration,
                          latency:percentile(50), latency:percentile(99),
                          e.connect, e.read, e.write, e.status, e.timeout))
end
