// Package templates embeds the text/template files the generator renders.
// It exists because //go:embed cannot reach a parent folder; the generator
// is its only user.
package templates

import "embed"

// FS holds every *.tmpl file of this folder.
//
//go:embed *.tmpl
var FS embed.FS
