package generator_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
)

// TestConfigOverlay generates StackState's published 3.0.3 multi-file spec
// unmodified, with the hookgen extensions supplied by hookgen.yaml's own
// overlay and an OpenAPI Overlay 1.0 document.
func TestConfigOverlay(t *testing.T) {
	cfg, err := generator.LoadConfig(filepath.Join("testdata", "stackstate303", "hookgen.yaml"))
	require.NoError(t, err)
	files, err := generator.Run(context.Background(), cfg)
	require.NoError(t, err)
	var recv string
	for _, f := range files {
		if f.Name == "receiver.gen.go" {
			recv = string(f.Content)
		}
	}
	for _, want := range []string{
		`const FamilyName = "stackstate"`, // from the Overlay document
		"hookgen.RetryUntilSuccess",       // from the config's delivery
		`AuthFailureStatus: 404`,          // from the spec's own 404 "Invalid token."
		`Path:         "/stackstate"`,
		`Terminal: []string{"close"}`,
		"NotificationOpened(ctx context.Context, d *hookgen.Delivery, p *NotificationOpenedEnvelope) error",
		"NotificationClosed(ctx context.Context, d *hookgen.Delivery, p *NotificationClosedEnvelope) error",
		`"$request.body#/event/triggeredTimeMs"`,
	} {
		assert.Contains(t, recv, want)
	}
}

func TestConfigUnknownKey(t *testing.T) {
	_, err := generator.LoadConfig(filepath.Join("testdata", "bad-config.yaml"))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "pakage"), err.Error())
}

func TestConfigUnknownWebhook(t *testing.T) {
	cfg := generator.Config{
		Spec: filepath.Join("testdata", "stackstate303", "openapi.yaml"), Package: "p",
		Webhooks: map[string]generator.WebhookConfig{"nope": {Path: "/x"}},
	}
	_, err := generator.Run(context.Background(), cfg)
	require.ErrorContains(t, err, "webhooks.nope")
}
