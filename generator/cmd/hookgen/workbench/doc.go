// Package workbench is the engine behind hookgen's validate, serve, send and
// deliveries subcommands: a spec loaded with no code generated ([LoadSpec]),
// payload validation ([Spec.Validate]), a recording receiver ([Serve]), the
// delivery records it keeps ([ReadRecords]) and a vendor-faithful delivery
// simulator ([Replay]).
//
// The CLI (generator/cmd/hookgen) parses flags and prints; everything it
// does lives here so that internal/demo runs the very same code in-process.
// Nothing here reads flags, the environment or the wall clock deep inside
// logic: callers pass configuration, clocks and writers in.
//
// Every exported function is safe for concurrent use unless its doc says
// otherwise; a *Server must be closed with Shutdown.
package workbench
