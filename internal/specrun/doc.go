// Package specrun is an OpenAPI webhook spec loaded to run with no code
// generated ([Load]): its webhooks and operations, its vendor examples as
// test vectors, and payload validation against it ([Spec.Validate]) with
// the interpreted validators of runtime/dynamic.
//
// hookgen's validate, serve and send subcommands and internal/demo use it.
// A *Spec is immutable after Load and safe for concurrent use.
package specrun
