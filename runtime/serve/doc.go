// Package serve runs a webhook receiver (any http.Handler) in production:
// bounded timeouts and header sizes, a cap on concurrent deliveries, a cap on
// open connections that evicts the slowest ones instead of refusing new
// clients, operations endpoints on their own listener, and a graceful stop.
//
// A Server has two listeners. The webhook listener serves only the handler.
// The operations listener serves GET /healthz (200 while the process runs),
// GET /readyz (200 until shutdown starts and while every readiness check
// passes, else 503), GET /metrics (the Prometheus registry given with
// WithRegistry) and the admin API given with WithAdmin under /admin/. With
// WithOpsToken those paths require "Authorization: Bearer TOKEN"; with
// WithOpsAddr("") they are served on the webhook listener instead, and a
// token is then required.
//
// Protection against slow and idle clients:
//
//   - ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout and
//     MaxHeaderBytes are always set (see Timeouts for the defaults).
//   - A request takes one of the MaxConcurrent delivery slots when it
//     arrives and holds it while the handler works, but not while the handler
//     waits for body bytes from the network: a client trickling its body
//     holds a goroutine, never a slot. The handler still sees the headers
//     first, so a receiver authenticates them before reading the body.
//   - When all slots are taken, the request is answered at once with 503, a
//     Retry-After header and an RFC 9457 problem document.
//   - At most MaxConnections connections are open (default: derived from the
//     process's file descriptor limit). When a new client connects at the
//     cap, the connection that has been idle or sending its request for the
//     longest time is closed to make room; connections whose request is being
//     handled are never closed. A server at its file descriptor limit thus
//     keeps answering clients that send a whole request promptly.
//
// App is the whole main function of a generated receiver: flags, a -config
// file and the environment (HOOKGEN_ADDR, HOOKGEN_OPS_ADDR, HOOKGEN_STORE,
// HOOKGEN_MODE, HOOKGEN_OPS_TOKEN, HOOKGEN_SECRET_<SCHEME>), the store
// (OpenStore: memory:, bolt:PATH, redis://…, postgres://…), the inbox admin
// API on the operations listener, logging and signals. EnvSecrets is the one
// way secrets are read from the environment, shared with the hookgen CLI.
//
// A Server is safe for concurrent use; Run blocks until its context is done
// and the server has drained.
package serve
