package ticketinge2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
)

// Redmine stops mid-run (its address refuses connections, as a stopped
// server's does; a proxy in front of the real Redmine goes down): StackState
// deliveries are answered so that StackState retries, and once Redmine is
// back every ticket action is applied once, in order.
func TestRedmineStoppedMidRun(t *testing.T) {
	w := newWorld(t)
	px := newProxy(t, w.rm.URL)
	r := w.start(px.URL(), "")
	urls := []string{r.URL}
	id := uuid()

	w.mustSend("stackstate", stackstateOpen(id, "DEVIATING", "HTTP 5xx above 5%", 1000), urls)
	require.Len(t, w.issues(), 1)

	px.down()
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := w.send("stackstate", stackstateOpen(id, "CRITICAL", "HTTP 5xx above 5%", 2000), urls,
			"-time-scale", "0.1", "-max-attempts", "200")
		done <- result{code, out}
	}()
	// While Redmine is down the receiver answers 503 and nothing changes.
	require.Eventually(t, func() bool { return strings.Contains(r.log.String(), `"status":503`) }, 10*time.Second, 50*time.Millisecond,
		"receiver log:\n%s", r.log.String())
	time.Sleep(time.Second)
	px.up()
	res := <-done
	require.Equal(t, 0, res.code, res.out)
	w.mustSend("stackstate", stackstateClose(id, "HealthStateResolved"), urls)

	issues := w.issues()
	require.Len(t, issues, 1)
	assert.Equal(t, "Resolved", issues[0].Status.Name)
	assert.Equal(t, []string{"State CRITICAL: HTTP 5xx above 5%", "Closed by StackState: HealthStateResolved"}, issues[0].Notes())
	w.t.Logf("503 answers while Redmine was down: %d", strings.Count(r.log.String(), `"status":503`))
	w.report("redmine stopped mid-run (stackstate)", issues)
}

// Two replicas of the scaffolded receiver share PostgreSQL for the
// correlation store: concurrent duplicates, to both, never open two issues
// and add one note per update.
func TestReplicasOnPostgresNeverOpenTwoIssues(t *testing.T) {
	w := newWorld(t)
	pg := services.PostgresURL(t)
	a, b := w.start(w.rm.URL, pg), w.start(w.rm.URL, pg)
	id := uuid()
	storm := func(payload string) {
		var wg sync.WaitGroup
		for _, u := range []string{a.URL, b.URL} {
			wg.Go(func() {
				code, out := w.send("stackstate", payload, []string{u}, "-scenario", "storm", "-n", "6", "-max-attempts", "100")
				assert.Equal(t, 0, code, out)
			})
		}
		wg.Wait()
	}
	storm(stackstateOpen(id, "DEVIATING", "HTTP 5xx above 5%", 1000))
	storm(stackstateOpen(id, "CRITICAL", "HTTP 5xx above 5%", 2000))
	storm(stackstateClose(id, "HealthStateResolved"))

	issues := w.issues()
	require.Len(t, issues, 1)
	assert.Equal(t, "Resolved", issues[0].Status.Name)
	assert.Equal(t, []string{"State CRITICAL: HTTP 5xx above 5%", "Closed by StackState: HealthStateResolved"}, issues[0].Notes())
	// The replicas share the delivery store too: each of the three messages
	// was processed once in all, every other copy answered as a duplicate.
	processed := strings.Count(a.log.String(), `"outcome":"processed"`) + strings.Count(b.log.String(), `"outcome":"processed"`)
	assert.Equal(t, 3, processed)
	t.Logf("processed %d, duplicates %d", processed,
		strings.Count(a.log.String(), `"outcome":"duplicate"`)+strings.Count(b.log.String(), `"outcome":"duplicate"`))
	w.report("two replicas on PostgreSQL, 12 concurrent copies per message", issues)
}
