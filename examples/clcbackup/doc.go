// Package clcbackup is the hookgen-generated receiver and sender for
// CenturyLink (Lumen) Simple Backup Service webhooks: backup failed, partially succeeded, succeeded and missing, one URL each.
//
// Everything in the *.gen.go files is generated from openapi/clcbackup.yaml by
// `make generate`; do not edit them. The runnable receiver is in
// cmd/clcbackup-receiver.
package clcbackup

//go:generate go run ../../generator/cmd/hookgen generate -q -spec ../../openapi/clcbackup.yaml -package clcbackup -out .
