-- wrk script: set_secret, rotating the values of the seeded names
-- BENCH_SECRET_0001 .. BENCH_SECRET_<BENCH_SECRETS> in turn (so the team
-- never grows past them).
local secrets = tonumber(os.getenv("BENCH_SECRETS") or "100")
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")

request = function()
  n = n + 1
  local body = string.format(
    '{"query":"mutation { set_secret(input: {name: \\"BENCH_SECRET_%04d\\", value: \\"rotated-%d\\"}) { success } }"}',
    (n % secrets) + 1, n)
  return wrk.format(nil, nil, nil, body)
end
