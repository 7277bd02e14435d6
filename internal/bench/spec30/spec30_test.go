package spec30_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/spec30"
	"github.com/hookgen/hookgen/openapi"
)

func TestConvertStackStateIsAValid30DocumentWithThePath(t *testing.T) {
	src, err := openapi.SpecBytes("stackstate")
	require.NoError(t, err)
	out, err := spec30.Convert(src)
	require.NoError(t, err)
	require.NotContains(t, string(out), "x-hookgen")

	doc, err := openapi3.NewLoader().LoadFromData(out)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	require.Equal(t, "3.0.3", doc.OpenAPI)
	op := doc.Paths.Find(spec30.Path).Post
	require.NotNil(t, op)
	require.NotNil(t, op.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties["notificationId"])
	require.Contains(t, doc.Components.SecuritySchemes, "Token")
}

func TestConvertRejectsADocumentWithoutTheWebhook(t *testing.T) {
	_, err := spec30.Convert([]byte("openapi: 3.1.0\nwebhooks: {}\n"))
	require.ErrorIs(t, err, spec30.ErrShape)
	require.True(t, strings.Contains(err.Error(), "notification"))
}
