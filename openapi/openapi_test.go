package openapi_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/openapi"
)

// acceptAll is the AuthenticationFunc of the vector test: authentication is
// not what the vectors check.
func acceptAll(context.Context, *openapi3filter.AuthenticationInput) error { return nil }

// hookEvent is one entry of x-hookgen-events.
type hookEvent struct {
	Name   string
	Schema string
	Match  map[string]any
	Key    []any
}

// operationEvents decodes an operation's x-hookgen-events.
func operationEvents(t *testing.T, op *openapi3.Operation) []hookEvent {
	t.Helper()
	raw, ok := op.Extensions["x-hookgen-events"].([]any)
	require.True(t, ok, "operation %s has no x-hookgen-events list", op.OperationID)
	out := make([]hookEvent, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		require.True(t, ok)
		ev := hookEvent{}
		ev.Name, _ = m["name"].(string)
		ev.Schema, _ = m["schema"].(string)
		ev.Match, _ = m["match"].(map[string]any)
		ev.Key, _ = m["key"].([]any)
		require.NotEmpty(t, ev.Name)
		out = append(out, ev)
	}
	return out
}

// hookPath returns the operation's x-hookgen-path (operation wins over the
// path item).
func hookPath(t *testing.T, pi *openapi3.PathItem, op *openapi3.Operation) string {
	t.Helper()
	if p, ok := op.Extensions["x-hookgen-path"].(string); ok {
		return p
	}
	p, ok := pi.Extensions["x-hookgen-path"].(string)
	require.True(t, ok, "no x-hookgen-path")
	return p
}

func loadAll(t *testing.T) map[string]*openapi3.T {
	t.Helper()
	docs := map[string]*openapi3.T{}
	for _, fam := range openapi.Families() {
		doc, err := openapi.Load(context.Background(), fam)
		require.NoError(t, err, fam)
		docs[fam] = doc
	}
	return docs
}

func TestFamilies(t *testing.T) {
	assert.Equal(t, []string{"atscale", "butler", "clcbackup", "netpulse", "stackstate"}, openapi.Families())
	_, err := openapi.SpecBytes("nope")
	require.ErrorIs(t, err, openapi.ErrUnknownFamily)
	_, err = openapi.Load(context.Background(), "nope")
	require.ErrorIs(t, err, openapi.ErrUnknownFamily)
}

func TestSpecs(t *testing.T) {
	for fam, doc := range loadAll(t) {
		t.Run(fam, func(t *testing.T) {
			assert.Equal(t, "3.1.0", doc.OpenAPI)
			assert.True(t, doc.IsOpenAPI31OrLater())
			assert.Equal(t, fam, doc.Extensions["x-hookgen-family"])
			require.NotEmpty(t, doc.Webhooks)
			paths := map[string]string{}
			for name, pi := range doc.Webhooks {
				for method, op := range pi.Operations() {
					p := hookPath(t, pi, op)
					assert.True(t, strings.HasPrefix(p, "/"+fam+"/"), "%s %s: x-hookgen-path %q", name, method, p)
					if prev, dup := paths[p]; dup {
						assert.Equal(t, prev, name, "x-hookgen-path %q used by two webhooks", p)
					}
					paths[p] = name
					delivery, ok := op.Extensions["x-hookgen-delivery"].(map[string]any)
					require.True(t, ok, "%s %s: x-hookgen-delivery", name, method)
					assert.Contains(t, []any{"retry-until-success", "single-attempt", "limited-retries"}, delivery["mode"])
					_, ok = op.Extensions["x-hookgen-idempotency-key"].([]any)
					assert.True(t, ok, "%s %s: x-hookgen-idempotency-key", name, method)
					for _, ev := range operationEvents(t, op) {
						if ev.Schema != "" {
							s, ok := strings.CutPrefix(ev.Schema, "#/components/schemas/")
							require.True(t, ok, ev.Schema)
							assert.Contains(t, doc.Components.Schemas, s, "%s: schema of %s", name, ev.Name)
						}
					}
				}
			}
		})
	}
}

// errorPointers lists the JSON pointers kin-openapi's schema errors name.
func errorPointers(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case openapi3.MultiError:
			for _, x := range e {
				walk(x)
			}
		case *openapi3filter.RequestError:
			walk(e.Err)
		case *openapi3.SchemaError:
			out = append(out, "/"+strings.Join(e.JSONPointer(), "/"))
			walk(e.Origin)
		default:
			if u, ok := err.(interface{ Unwrap() []error }); ok {
				for _, x := range u.Unwrap() {
					walk(x)
				}
			} else {
				walk(errors.Unwrap(err))
			}
		}
	}
	walk(err)
	return out
}

func TestVectors(t *testing.T) {
	docs := loadAll(t)
	for _, fam := range openapi.Families() {
		doc := docs[fam]
		vectors, err := openapi.Vectors(fam)
		require.NoError(t, err)
		require.NotEmpty(t, vectors)
		for _, v := range vectors {
			t.Run(fam+"/"+v.Name, func(t *testing.T) {
				pi := doc.Webhooks[v.Webhook]
				require.NotNil(t, pi, "webhook %q", v.Webhook)
				op := pi.GetOperation(v.Method)
				require.NotNil(t, op, "%s has no %s", v.Webhook, v.Method)
				require.Contains(t, []openapi.Verdict{openapi.VerdictValid, openapi.VerdictInvalid, openapi.VerdictLegacy}, v.Verdict)
				if v.Verdict == openapi.VerdictValid || (v.Lenient == openapi.VerdictValid && v.Event != "") {
					names := []string{}
					for _, ev := range operationEvents(t, op) {
						names = append(names, ev.Name)
					}
					assert.Contains(t, names, v.Event, "event of a valid vector")
				}
				if v.Synthetic != "" {
					assert.Greater(t, len(v.Body), openapi.DefaultMaxBodyBytes)
					t.Skipf("transport-level vector (%s of %s): checked by the runtime, not by kin-openapi", v.Synthetic, v.Base)
				}
				target := hookPath(t, pi, op)
				if v.Query != "" {
					target += "?" + v.Query
				}
				var body *bytes.Reader
				if v.Body != nil {
					body = bytes.NewReader(v.Body)
				} else {
					body = bytes.NewReader(nil)
				}
				req := httptest.NewRequest(v.Method, "http://receiver.test"+target, body)
				if len(v.Body) == 0 {
					req.Body = http.NoBody
				}
				if v.ContentType != "" {
					req.Header.Set("Content-Type", v.ContentType)
				}
				for k, val := range v.Headers {
					req.Header.Set(k, val)
				}
				err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
					Request: req,
					Route: &routers.Route{
						Spec: doc, Path: hookPath(t, pi, op), PathItem: pi, Method: v.Method, Operation: op,
					},
					Options: &openapi3filter.Options{
						MultiError:              true,
						AuthenticationFunc:      acceptAll,
						SchemaValidationOptions: openapi.SchemaValidationOptions(),
					},
				})
				if v.Verdict == openapi.VerdictValid {
					require.NoError(t, err)
					return
				}
				require.Error(t, err, "kin-openapi accepted a %s vector", v.Verdict)
				if v.Pointer == "" {
					return
				}
				// kin-openapi reports an unknown discriminator value at the
				// object; hookgen (and the manifest) name the property.
				if prop, ok := strings.CutPrefix(v.Pointer, "/"); ok &&
					strings.Contains(err.Error(), `discriminator property "`+prop+`" has invalid value`) {
					return
				}
				assert.Contains(t, errorPointers(err), v.Pointer, "error pointers of: %v", err)
			})
		}
	}
}

func TestEveryEventHasAValidVector(t *testing.T) {
	docs := loadAll(t)
	for _, fam := range openapi.Families() {
		vectors, err := openapi.Vectors(fam)
		require.NoError(t, err)
		for name, pi := range docs[fam].Webhooks {
			for method, op := range pi.Operations() {
				for _, ev := range operationEvents(t, op) {
					found := slices.ContainsFunc(vectors, func(v openapi.Vector) bool {
						return v.Webhook == name && v.Event == ev.Name && v.Verdict == openapi.VerdictValid
					})
					assert.True(t, found, "%s: webhook %s event %s has no valid vector", fam, name, ev.Name)
				}
				// Every method of every webhook is exercised by a valid vector.
				assert.True(t, slices.ContainsFunc(vectors, func(v openapi.Vector) bool {
					return v.Webhook == name && v.Method == method && v.Verdict == openapi.VerdictValid
				}), "%s: webhook %s %s has no valid vector", fam, name, method)
			}
		}
	}
}

func TestEveryExampleFileIsReferenced(t *testing.T) {
	for _, fam := range openapi.Families() {
		m, err := openapi.ReadManifest(fam)
		require.NoError(t, err)
		assert.Equal(t, "../../"+openapi.SpecPath(fam), m.Spec)
		used := map[string]bool{}
		for _, v := range m.Vectors {
			if v.File != "" {
				used[v.File] = true
			}
		}
		dir := path.Join("examples", fam)
		entries, err := fs.ReadDir(openapi.FS(), dir)
		require.NoError(t, err)
		for _, e := range entries {
			if e.Name() == "manifest.yaml" {
				continue
			}
			assert.True(t, used[e.Name()], "%s/%s is not referenced by the manifest", dir, e.Name())
			delete(used, e.Name())
		}
		assert.Empty(t, used, "%s: manifest references missing files", fam)
	}
}

func TestManifestFields(t *testing.T) {
	for _, fam := range openapi.Families() {
		vectors, err := openapi.Vectors(fam)
		require.NoError(t, err)
		for _, v := range vectors {
			assert.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)*$`, v.Name, "%s: name", fam)
			assert.NotEmpty(t, v.Source, "%s/%s: source", fam, v.Name)
			assert.NotZero(t, v.Status, "%s/%s: status", fam, v.Name)
			switch v.Verdict {
			case openapi.VerdictValid:
				assert.NotEmpty(t, v.Event, "%s/%s: event", fam, v.Name)
				assert.Empty(t, v.Lenient, "%s/%s: lenient on a valid vector", fam, v.Name)
				assert.Less(t, v.Status, 300, "%s/%s: status", fam, v.Name)
			default:
				assert.GreaterOrEqual(t, v.Status, 400, "%s/%s: status", fam, v.Name)
			}
			if v.Lenient == openapi.VerdictValid && v.Event == "" {
				// A lenient-valid vector without an event is an unknown
				// event: acknowledged as unhandled by a lenient receiver.
				assert.NotEmpty(t, v.Pointer, "%s/%s: an unknown-event vector names the discriminator's pointer", fam, v.Name)
			}
			if v.Method == http.MethodGet && strings.HasSuffix(v.File, ".query") {
				assert.Empty(t, v.ContentType, "%s/%s: GET query vectors have no content type", fam, v.Name)
			}
			if v.Synthetic != "" {
				assert.NotEmpty(t, v.Base, "%s/%s: base", fam, v.Name)
				assert.Equal(t, http.StatusRequestEntityTooLarge, v.Status)
			}
		}
	}
}

// runtimeExpr is the x-hookgen runtime-expression grammar of README.md.
var runtimeExpr = regexp.MustCompile(`^(\$method|\$request\.body(#(/([^/~]|~[01])*)*)?|\$request\.(header|query|path)\.[A-Za-z0-9!#$%&'*+.^_` + "`" + `|~-]+)$`)

func TestExtensionGrammar(t *testing.T) {
	for fam, doc := range loadAll(t) {
		for name, pi := range doc.Webhooks {
			byName := map[string]map[string]string{}
			for method, op := range pi.Operations() {
				keys, _ := op.Extensions["x-hookgen-idempotency-key"].([]any)
				for _, k := range keys {
					assert.Regexp(t, runtimeExpr, k, "%s %s %s key", fam, name, method)
				}
				events := map[string]string{}
				for i, ev := range operationEvents(t, op) {
					assert.Regexp(t, `^[A-Z][A-Za-z0-9]*$`, ev.Name)
					for expr := range ev.Match {
						assert.Regexp(t, runtimeExpr, expr, "%s %s %s match", fam, name, method)
					}
					for _, k := range ev.Key {
						assert.Regexp(t, runtimeExpr, k, "%s %s %s event key", fam, name, method)
					}
					if ev.Match == nil {
						assert.Equal(t, len(operationEvents(t, op))-1, i, "the fallback event comes last")
					}
					events[ev.Name] = ev.Schema
				}
				byName[method] = events
				if o, ok := op.Extensions["x-hookgen-ordering"].(map[string]any); ok {
					for _, f := range []string{"entity", "version", "event"} {
						assert.Regexp(t, runtimeExpr, o[f], "%s ordering %s", fam, f)
					}
				}
			}
			// Every method of a webhook yields the same events with the same
			// payload schemas (Butler GET vs POST/PUT, NetPulse's five).
			var first map[string]string
			for _, events := range byName {
				if first == nil {
					first = events
					continue
				}
				assert.Equal(t, first, events, "%s %s: operations disagree on x-hookgen-events", fam, name)
			}
		}
		for name, ref := range doc.Components.SecuritySchemes {
			if sig, ok := ref.Value.Extensions["x-hookgen-signature"].(map[string]any); ok {
				assert.Equal(t, "apiKey", ref.Value.Type, name)
				assert.Equal(t, "header", ref.Value.In, name)
				assert.Equal(t, ref.Value.Name, sig["header"], name)
			}
		}
	}
}
