// Package netpulse is the hookgen-generated receiver and sender for
// NetPulse task-result webhooks across the 0.2, 0.3–0.4.1 and ≥0.4.2 payload generations, a JSON body on every method.
//
// Everything in the *.gen.go files is generated from openapi/netpulse.yaml by
// `make generate`; do not edit them. The runnable receiver is in
// cmd/netpulse-receiver.
package netpulse

//go:generate go run ../../generator/cmd/hookgen generate -q -spec ../../openapi/netpulse.yaml -package netpulse -out .
