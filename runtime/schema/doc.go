// Package schema holds the small, fixed set of checks that hookgen's
// generated validators call. The generator turns every JSON Schema in a spec
// into straight-line Go code at generation time; at run time nothing
// interprets a schema: generated functions walk the decoded JSON value and
// call the helpers here for each keyword.
//
// A Checker collects findings. Hard findings reject the payload; soft
// findings (an unknown enum or discriminator value, an unrecognised format)
// reject it only in strict mode and are otherwise reported as warnings, which
// is how hookgen stays lenient where vendors are sloppy.
package schema
