package generator_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// TestModelAgreesWithDynamicSpec: the generated receivers and the
// interpreted ones (hookgen serve/validate/send, runtime/webhooktest) must
// read a spec the same way. The generator's model and runtime/dynamic's
// Spec are built separately; every meaning they share is compared here for
// every family spec and golden spec.
func TestModelAgreesWithDynamicSpec(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join("..", "openapi", "*.yaml"))
	require.NoError(t, err)
	golden, err := filepath.Glob(filepath.Join("testdata", "*", "openapi.yaml"))
	require.NoError(t, err)
	specs = append(specs, golden...)
	require.GreaterOrEqual(t, len(specs), 7)
	for _, spec := range specs {
		t.Run(spec, func(t *testing.T) {
			ctx := context.Background()
			cfg := generator.Config{Spec: spec, Package: "x"}
			gdoc, err := generator.Load(ctx, cfg)
			require.NoError(t, err)
			m, err := generator.BuildModel(gdoc, cfg)
			require.NoError(t, err)
			ddoc, err := dynamic.Load(ctx, cfg.Dynamic())
			require.NoError(t, err)
			s, err := dynamic.Build(ddoc, "", "x")
			require.NoError(t, err)
			assertSameMeaning(t, m, s)
		})
	}
}

func assertSameMeaning(t *testing.T, m *generator.Model, s *dynamic.Spec) {
	t.Helper()
	assert.Equal(t, m.Family, s.Family)
	assert.Equal(t, m.Title, s.Title)
	assert.Equal(t, m.Delivery.ModeName, s.Delivery.ModeName)
	assert.Equal(t, []any{m.Delivery.SuccessStatus, m.Delivery.AuthFailureStatus, m.Delivery.MaxBodyBytes, m.Delivery.RetrySchedule, m.Delivery.MaxRetries},
		[]any{s.Delivery.SuccessStatus, s.Delivery.AuthFailureStatus, s.Delivery.MaxBodyBytes, s.Delivery.RetrySchedule, s.Delivery.MaxRetries})
	assert.Equal(t, m.Security, s.Security)
	require.Len(t, s.Schemes, len(m.Schemes))
	for i, g := range m.Schemes {
		d := s.Schemes[i]
		assert.Equal(t, []any{g.Name, g.Kind, g.In, g.Param, g.Sig != nil}, []any{d.Name, d.Kind, d.In, d.Param, d.Sig != nil})
		if g.Sig != nil && d.Sig != nil {
			assert.Equal(t, []string{g.Sig.Format, g.Sig.Header, g.Sig.Algorithm, g.Sig.Encoding, g.Sig.Prefix, g.Sig.IDHeader, g.Sig.TimestampHeader, g.Sig.Tolerance},
				[]string{d.Sig.Format, d.Sig.Header, d.Sig.Algorithm, d.Sig.Encoding, d.Sig.Prefix, d.Sig.IDHeader, d.Sig.TimestampHeader, d.Sig.Tolerance})
		}
	}
	require.Len(t, s.Events, len(m.Events))
	for i, g := range m.Events {
		d := s.Events[i]
		assert.Equal(t, []any{g.Name, g.Schema, g.Doc, g.Webhook, g.Method, g.Methods},
			[]any{d.Name, dynamic.TypeName(d.SchemaName), d.Doc, d.Webhook, d.Method, d.Methods})
	}
	require.Len(t, s.Webhooks, len(m.Webhooks))
	for i, g := range m.Webhooks {
		d := s.Webhooks[i]
		assert.Equal(t, []any{g.Name, g.Path, g.ContentTypes}, []any{d.Name, d.Path, d.ContentTypes})
		require.Len(t, d.Operations, len(g.Operations), g.Name)
		for j, go_ := range g.Operations {
			do := d.Operations[j]
			assert.Equal(t, []any{go_.Method, go_.Methods, go_.IsQuery, len(go_.Query), go_.Key, go_.Validator != "", len(go_.Events), go_.OwnSecurity, go_.Security},
				[]any{do.Method, do.Methods, do.IsQuery, len(do.Query), do.Key, do.Body != nil, len(do.Events), do.OwnSecurity, do.Security}, g.Name)
			for k, q := range go_.Query {
				assert.Equal(t, []any{q.Query, q.Property, q.Type, q.Nullable}, []any{do.Query[k].Query, do.Query[k].Property, do.Query[k].Type, do.Query[k].Nullable})
			}
			if go_.Ordering != nil && do.Ordering != nil {
				assert.Equal(t, *go_.Ordering, generator.Ordering(*do.Ordering))
			} else {
				assert.Equal(t, go_.Ordering == nil, do.Ordering == nil)
			}
			for k, e := range go_.Events {
				de := do.Events[k]
				assert.Equal(t, []any{e.Event.Name, e.Key, len(e.Match)}, []any{de.Event.Name, de.Key, len(de.Match)})
				for l, me := range e.Match {
					assert.Equal(t, []any{me.Expr, me.Values}, []any{de.Match[l].Expr, de.Match[l].Values})
				}
			}
		}
	}
}

// TestTypeNameMatchesOapiCodegen: event names in interpreted receivers are
// the generated handler methods' names.
func TestTypeNameMatchesOapiCodegen(t *testing.T) {
	for _, n := range []string{"", "$", "OpenEvent", "task-failed", "task_failed", "3ds", "-x", "_private", "a.b.c", "reload task (failed)", "ÜberEvent", "x~y", "%2Fwebhook", "notification.opened", "HTTPEvent", "a1b2", "#hash", "~tilde-", "a$b"} {
		assert.Equal(t, codegen.SchemaNameToTypeName(n), dynamic.TypeName(n), "%q", n)
	}
}
