-- HTTP/1.1 pipelining for wrk: every write carries DEPTH GET / requests
-- (default 16; override with `wrk -s pipeline.lua URL -- DEPTH`).
-- wrk parses the responses one by one, so Requests/sec counts requests,
-- not batches; a latency sample spans one whole batch.

local depth = 16
local batch

init = function(args)
  if args[1] ~= nil then
    depth = tonumber(args[1])
  end
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format("GET", "/")
  end
  batch = table.concat(requests)
end

request = function()
  return batch
end
