// Package butler is the hookgen-generated receiver and sender for
// Butler (Qlik Sense) alerts: reload task failed/aborted, Windows service monitor and server licence, by GET query or POST/PUT JSON.
//
// Everything in the *.gen.go files is generated from openapi/butler.yaml by
// `make generate`; do not edit them. The runnable receiver is in
// cmd/butler-receiver.
package butler

//go:generate go run ../../generator/cmd/hookgen generate -q -spec ../../openapi/butler.yaml -package butler -out .
