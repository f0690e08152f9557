-- wrk script: every request wrk sends is `depth` pipelined GET / requests
-- in one write (default 16); wrk counts each response, so Requests/sec is
-- responses per second.
--   wrk -t1 -c50 -d5s -s bench/http/pipeline.lua http://127.0.0.1:PORT/ -- 16

local batch

init = function(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format(nil, "/")
  local all = {}
  for i = 1, depth do
    all[i] = one
  end
  batch = table.concat(all)
end

request = function()
  return batch
end
