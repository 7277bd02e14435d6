// Package openapi holds hookgen's OpenAPI 3.1 specs of the five webhook
// payload families (stackstate, atscale, butler, netpulse, clcbackup) and
// their test vectors, embedded in the binary.
//
// Each family is one document, <family>.yaml, whose receivable URLs are 3.1
// `webhooks:` entries annotated with the x-hookgen-* vocabulary described in
// README.md. The vectors live in examples/<family>/ and are listed by
// examples/<family>/manifest.yaml; [Vectors] reads a manifest and loads the
// bodies, [Load] parses and validates a spec with kin-openapi.
//
// Everything in the package is read-only and safe for concurrent use.
package openapi
