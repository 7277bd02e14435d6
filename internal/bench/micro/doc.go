// Package micro holds the benchmark's Go micro-benchmarks (run them with
// `go test -run '^$' -bench . -benchmem ./micro/` in internal/bench):
//
//   - BenchmarkDecode: for every family, all of its valid body vectors per
//     iteration, through the generated validate+decode (lenient, as the
//     receiver runs it), encoding/json decode into the same generated type,
//     and kin-openapi's openapi3filter.ValidateRequest; and the same three
//     on the StackState open payload alone. The per-payload figures are the
//     ns/payload and allocs/payload metrics.
//   - BenchmarkClaim: one idempotency claim and completion per iteration, on
//     every store mode the tree has (memory, bolt; redis and postgres when
//     they exist).
//   - BenchmarkPipeline: one delivery of the open payload, with a new id,
//     through the generated StackState receiver's ServeHTTP (httptest).
//   - BenchmarkMemoryStoreMillionKeys: the live heap of a memory store
//     holding one million completed keys, as the MB/1M-keys metric.
package micro
