// Package stackstate is the hookgen-generated receiver and sender for
// StackState (SUSE Observability) notification channel webhooks: notifications opened, updated and closed.
//
// Everything in the *.gen.go files is generated from openapi/stackstate.yaml by
// `make generate`; do not edit them. The runnable receiver is in
// cmd/stackstate-receiver.
package stackstate

//go:generate go run ../../generator/cmd/hookgen generate -q -spec ../../openapi/stackstate.yaml -package stackstate -out .
