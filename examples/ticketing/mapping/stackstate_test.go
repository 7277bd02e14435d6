package mapping

import (
	"encoding/json"
	"testing"

	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/stackstate"
)

func stackStateEnvelope[E any](t *testing.T, event string) *E {
	t.Helper()
	var p E
	src := `{"notificationId":"1e0e7e8a-0d0b-4d8e-9f3c-0f6c9a7f1c2d","event":` + event + `,
		"component":{"identifier":"urn:c","link":"https://example.com/c","name":"catalogue","tags":[],"type":"service"},
		"monitor":{"name":"HTTP errors","tags":[]},"notificationConfiguration":{"name":"n"},"metadata":{}}`
	if err := json.Unmarshal([]byte(src), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestStackStateOpenedFingerprintsStateAndTitle(t *testing.T) {
	a := StackStateOpened(stackStateEnvelope[stackstate.NotificationOpenedEnvelope](t, `{"type":"open","state":"DEVIATING","title":"HTTP 5xx","triggeredTimeMs":1}`))
	if a.Kind != ticket.Open || a.Key != "stackstate/1e0e7e8a-0d0b-4d8e-9f3c-0f6c9a7f1c2d" || a.Subject != "catalogue: HTTP 5xx" {
		t.Fatalf("unexpected action %+v", a)
	}
	b := StackStateOpened(stackStateEnvelope[stackstate.NotificationOpenedEnvelope](t, `{"type":"open","state":"DEVIATING","title":"HTTP 5xx","triggeredTimeMs":2}`))
	if a.Fingerprint != b.Fingerprint {
		t.Fatal("a re-sent open with the same state and title must not count as an update")
	}
	c := StackStateOpened(stackStateEnvelope[stackstate.NotificationOpenedEnvelope](t, `{"type":"open","state":"CRITICAL","title":"HTTP 5xx","triggeredTimeMs":3}`))
	if c.Fingerprint == a.Fingerprint {
		t.Fatal("a state change must count as an update")
	}
	if a.AfterResolve != ticket.Ignore {
		t.Fatal("nothing after the close may change the ticket")
	}
}

func TestStackStateClosedResolvesWithTheReason(t *testing.T) {
	a := StackStateClosed(stackStateEnvelope[stackstate.NotificationClosedEnvelope](t, `{"type":"close","reason":"HealthStateResolved"}`))
	if a.Kind != ticket.Resolve || a.Reason != "Closed by StackState: HealthStateResolved" {
		t.Fatalf("unexpected action %+v", a)
	}
}
