// Package specserver serves loaded specs as recording receivers
// ([Serve]): every family is mounted on one router with its interpreted
// validators, deliveries are acknowledged as the sender needs, and each
// processed delivery is recorded ([ReadRecords]) with its credentials
// stripped.
//
// It is the engine of `hookgen serve` and `hookgen deliveries`; callers
// pass configuration, clocks and writers in. A *Server must be closed with
// Shutdown.
package specserver
