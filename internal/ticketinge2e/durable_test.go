package ticketinge2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Redmine stops mid-run and single-attempt senders keep sending: their
// deliveries are persisted and acknowledged (hookgen send, which makes one
// attempt as Butler and CenturyLink do, sees success), and when Redmine is
// back the ticket actions are applied once.
func TestSingleAttemptDeliveriesSurviveARedmineOutage(t *testing.T) {
	w := newWorld(t)
	px := newProxy(t, w.rm.URL)
	r := w.start(px.URL(), "")
	urls := []string{r.URL}
	task, e1, e2 := uuid(), uuid(), uuid()
	policy, flapping := uuid(), uuid()

	px.down()
	w.mustSend("butler", butlerFailed(task, e1), urls)
	w.mustSend("butler", butlerFailed(task, e2), urls)
	w.mustSend("clcbackup", clcCompleted("FAILED", "VA1APP01", policy, uuid()), urls, "-webhook", "backup-failed")
	// A failure and its success, both while Redmine is down: the workers
	// may apply them in either order; no issue may stay open.
	w.mustSend("clcbackup", clcCompleted("FAILED", "VA1APP02", flapping, uuid()), urls, "-webhook", "backup-failed")
	w.mustSend("clcbackup", clcCompleted("SUCCESS", "VA1APP02", flapping, uuid()), urls, "-webhook", "backup-success")
	assert.Empty(t, w.issues(), "nothing reaches Redmine while it is down")
	time.Sleep(time.Second)
	px.up()

	r.waitProcessed(t, 5)
	issues := w.issues()
	b, _ := bySubject(issues, "Qlik Sense reload failing")
	assert.ElementsMatch(t, []bool{true, true}, []bool{
		containsAny(b.Notes(), e1), containsAny(b.Notes(), e2)})
	_, ok := bySubject(issues, "Backup FAILED on VA1APP01")
	assert.True(t, ok)
	if f, ok := bySubject(issues, "VA1APP02"); ok {
		assert.Equal(t, "Resolved", f.Status.Name, "the success is newer than the failure")
	}
	assert.Contains(t, []int{2, 3}, len(issues), "butler, VA1APP01, and VA1APP02 only when its failure was applied first")
	w.report("single-attempt deliveries during a Redmine outage", issues)
}

func containsAny(notes []string, s string) bool {
	for _, n := range notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
