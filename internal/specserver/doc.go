// Package specserver serves loaded specs as receivers ([Serve]): every
// family is mounted on one router with its interpreted validators, on one
// store shared by all families, behind runtime/serve's production limits.
// Deliveries are acknowledged as the sender needs and kept in the store's
// inbox, credential values redacted; [ReadRecords] reads them back, from the store
// or through the admin API of a running serve.
//
// It is the engine of `hookgen serve`, `hookgen deliveries` and `hookgen
// inbox`; callers pass configuration and writers in. A *Server must be
// closed with Shutdown.
package specserver
