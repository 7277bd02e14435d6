package payload_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/payload"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGeneratorGivesValidJSONWithUniqueUUIDs(t *testing.T) {
	open := payload.Open()
	require.Len(t, open, 1954)
	g := payload.NewGenerator(open, 7)
	seen := map[string]bool{}
	for range 1000 {
		var doc struct {
			NotificationID string `json:"notificationId"`
		}
		b := g.Next()
		require.Len(t, b, len(open))
		require.NoError(t, json.Unmarshal(b, &doc))
		require.Regexp(t, uuidRe, doc.NotificationID)
		require.False(t, seen[doc.NotificationID], "duplicate id %s", doc.NotificationID)
		seen[doc.NotificationID] = true
	}
	require.NotEqual(t, payload.ID(1, 5), payload.ID(2, 5))
}

func TestSplitWithoutIDFails(t *testing.T) {
	_, _, err := payload.Split([]byte(`{"event":{}}`))
	require.ErrorIs(t, err, payload.ErrNoID)
}

func TestQuoteEscapes(t *testing.T) {
	require.Equal(t, `"a\34b\92\10"`, payload.Quote([]byte("a\"b\\\n")))
}
