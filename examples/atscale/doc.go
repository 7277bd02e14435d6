// Package atscale is the hookgen-generated receiver and sender for
// AtScale engine webhooks: aggregate batches, prunes, schema publishing, slow queries and slow aggregate builds.
//
// Everything in the *.gen.go files is generated from openapi/atscale.yaml by
// `make generate`; do not edit them. The runnable receiver is in
// cmd/atscale-receiver.
package atscale

//go:generate go run ../../generator/cmd/hookgen generate -q -spec ../../openapi/atscale.yaml -package atscale -out .
