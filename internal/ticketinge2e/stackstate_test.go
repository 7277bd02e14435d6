package ticketinge2e

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func stackstateOpen(id, state, title string, at int64) string {
	return stackstateEnvelope(id, fmt.Sprintf(`{"type":"open","state":%q,"title":%q,"triggeredTimeMs":%d}`, state, title, at))
}

func stackstateClose(id, reason string) string {
	return stackstateEnvelope(id, fmt.Sprintf(`{"type":"close","reason":%q}`, reason))
}

func stackstateEnvelope(id, event string) string {
	return `{"notificationId":"` + id + `","event":` + event + `,
	"component":{"identifier":"urn:kubernetes:/demo:sock-shop:service/catalogue","link":"https://observability.example.com/c","name":"catalogue","tags":["cluster-name:demo"],"type":"service"},
	"monitor":{"name":"HTTP - 5xx error ratio","tags":[]},
	"notificationConfiguration":{"name":"tickets"},"metadata":{}}`
}

// StackState open → updates → close, with duplicates and retries: one
// issue, one note per real update, resolved with the close reason, and
// nothing after the close changes it.
func TestStackStateLifecycleIsOneIssue(t *testing.T) {
	w := newWorld(t)
	r := w.start(w.rm.URL, "")
	urls := []string{r.URL}
	id := uuid()

	w.mustSend("stackstate", stackstateOpen(id, "DEVIATING", "HTTP 5xx above 5%", 1000), urls, "-scenario", "duplicate")
	// StackState re-sends an unchanged open (a retry after a lost answer).
	w.mustSend("stackstate", stackstateOpen(id, "DEVIATING", "HTTP 5xx above 5%", 1000), urls)
	// Real update: the state changed.
	w.mustSend("stackstate", stackstateOpen(id, "CRITICAL", "HTTP 5xx above 5%", 2000), urls, "-scenario", "duplicate")
	// Same state and title, later trigger time: not a real update.
	w.mustSend("stackstate", stackstateOpen(id, "CRITICAL", "HTTP 5xx above 5%", 2500), urls)
	// Real update: the title changed.
	w.mustSend("stackstate", stackstateOpen(id, "CRITICAL", "HTTP 5xx above 20%", 3000), urls)
	w.mustSend("stackstate", stackstateClose(id, "HealthStateResolved"), urls, "-scenario", "duplicate")

	issues := w.issues()
	require.Len(t, issues, 1)
	is := issues[0]
	assert.Equal(t, "Resolved", is.Status.Name)
	assert.Equal(t, []string{
		"State CRITICAL: HTTP 5xx above 5%",
		"State CRITICAL: HTTP 5xx above 20%",
		"Closed by StackState: HealthStateResolved",
	}, is.Notes())
	assert.Contains(t, is.Subject, "catalogue: HTTP 5xx above 20%")

	// After the close: a late open changes nothing.
	w.send("stackstate", stackstateOpen(id, "DEVIATING", "flapping", 4000), urls)
	after := w.issues()
	require.Len(t, after, 1)
	assert.Equal(t, is.Notes(), after[0].Notes())
	assert.Equal(t, "Resolved", after[0].Status.Name)
	w.report("stackstate lifecycle", after)
}

// A receiver killed with SIGKILL and started again on the same stores
// updates the issue it opened before the crash instead of opening another.
func TestRestartAfterKillKeepsOneIssue(t *testing.T) {
	w := newWorld(t)
	data := t.TempDir()
	store := data + "/tickets.db"
	id := uuid()
	first := w.startIn(w.rm.URL, store, data)
	w.mustSend("stackstate", stackstateOpen(id, "DEVIATING", "disk 90% full", 1000), []string{first.URL})
	first.kill()

	second := w.startIn(w.rm.URL, store, data)
	urls := []string{second.URL}
	w.mustSend("stackstate", stackstateOpen(id, "DEVIATING", "disk 90% full", 1000), urls)
	w.mustSend("stackstate", stackstateOpen(id, "CRITICAL", "disk 90% full", 2000), urls)
	issues := w.issues()
	require.Len(t, issues, 1)
	assert.Equal(t, []string{"State CRITICAL: disk 90% full"}, issues[0].Notes())
	w.report("restart after SIGKILL", issues)
}
