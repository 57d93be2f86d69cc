-- wrk script: every request GETs a path drawn at random from the file named after `--`, and the
-- run ends with one machine-readable line: RESULT|requests/s|p50 ms|p99 ms|errors|bytes/response.
-- A line is a path, optionally followed by request headers, each after a tab:
--   /v1/articles?limit=20<TAB>Accept-Encoding: br<TAB>If-None-Match: "…-br"
-- (errors: socket errors and statuses of 400 and above; a 304 is not one, and shows in the bytes
-- per response, headers included, which are then those of a response without a body.)
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      local fields = {}
      for field in line:gmatch("[^\t]+") do fields[#fields + 1] = field end
      local headers = nil
      for i = 2, #fields do
        local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
        if name then
          headers = headers or {}
          headers[name] = value
        end
      end
      paths[#paths + 1] = { path = fields[1], headers = headers }
    end
  end
end

function request()
  local p = paths[math.random(#paths)]
  return wrk.format("GET", p.path, p.headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT|%.0f|%.2f|%.2f|%d|%.0f|%.2f\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout,
    summary.requests > 0 and summary.bytes / summary.requests or 0,
    latency:percentile(95) / 1000))
end
