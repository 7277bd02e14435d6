package generator

import (
	"context"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

// ErrSpec marks errors about the input document (unreadable, invalid, or
// using a construct hookgen does not support); the CLI reports them with
// the spec's path and exits 1. It is dynamic.ErrSpec: loading is shared
// with the interpreted path.
var ErrSpec = dynamic.ErrSpec

// Load reads, overlays and validates the OpenAPI document of cfg. Relative
// $refs to sibling files are followed; remote $refs are refused (a spec must
// not make the generator fetch from the network). External component schemas
// are internalised so that every type lands in the one generated package.
func Load(ctx context.Context, cfg Config) (*openapi3.T, error) {
	return dynamic.Load(ctx, cfg.Dynamic())
}
