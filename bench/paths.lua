-- wrk script: every request GETs a path drawn at random from the file named after `--`, and the
-- run ends with one machine-readable line: RESULT|requests/s|p50 ms|p99 ms|errors.
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT|%.0f|%.2f|%.2f|%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
