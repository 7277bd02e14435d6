// Package generator is hookgen's code generator as a library: Load reads an
// OpenAPI document (3.0.x paths or 3.1 webhooks, multi-file, optionally with
// an Overlay), BuildModel turns it into one intermediate Model (family,
// webhooks, events, auth, keys, ordering, delivery semantics), and Render
// turns the model into Go files. Render is a pure function of the model:
// only the CLI in generator/cmd/hookgen touches the disk.
//
// Generated packages contain models (from oapi-codegen v2, used as a
// library), a Handler interface with one method per event, compiled
// validators, the binding to the hookgen runtime and a typed sender.
package generator
