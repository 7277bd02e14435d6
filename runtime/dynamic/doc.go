// Package dynamic runs a webhook spec with no code generated: it loads an
// OpenAPI document (3.0 or 3.1, relative $refs, an overlay), builds the
// spec's meanings (webhooks, operations, events, keys, ordering, security,
// delivery) as a small immutable Spec, and turns that into a runtime.Family
// whose validators interpret the schemas with the same semantics as the
// compiled ones.
//
// It is what `hookgen serve`, `hookgen validate`, `hookgen send` and the
// test kit (runtime/webhooktest) run on. It depends on kin-openapi for
// loading and on the runtime, never on the code generator: the generator
// renders Go source from the same meanings, this package interprets them.
package dynamic
