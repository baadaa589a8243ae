-- wrk script: send absolute-form proxy requests (GET http://HOST/ HTTP/1.1), as an app whose
-- HTTP_PROXY points at its sidecar would. Target is taken from env WEFT_BENCH_TARGET (e.g. http://server/).
local target = os.getenv("WEFT_BENCH_TARGET") or "http://server/"
local host = target:match("^https?://([^/]+)") or "server"
request = function()
  return wrk.format("GET", target, { ["Host"] = host })
end
