-- wrk script: the bare secret_names GraphQL call.
wrk.method = "POST"
wrk.body = '{"query":"query { secret_names }"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
