package ticketinge2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/ticket/redmine"
)

func clcCompleted(status, server, policy, restorePoint string) string {
	return fmt.Sprintf(`{"text":"Status: %[1]s - Server: %[2]s","status":%[1]q,"account":"TEST","server":%[2]q,
	"serverPolicyId":"a73fb66e-7e77-41fa-b303-11600820d13a","accountPolicyName":"Nightly","accountPolicyId":%[3]q,
	"restorePointId":%[4]q,"finishedDate":"2019-02-01 01:39:40 UTC"}`, status, server, policy, restorePoint)
}

func clcMissing(server, policy string) string {
	return fmt.Sprintf(`{"text":"%[1]s missed a backup","account":"TEST","server":%[1]q,
	"serverPolicyId":"5f3876b7-6fc9-4610-b619-85f6c01e231d","accountPolicyName":"Nightly","accountPolicyId":%[2]q,
	"expectedDate":"2019-02-01T20:00:04.289Z"}`, server, policy)
}

func bySubject(issues []redmine.Issue, part string) (redmine.Issue, bool) {
	for _, i := range issues {
		if strings.Contains(i.Subject, part) {
			return i, true
		}
	}
	return redmine.Issue{}, false
}

// CenturyLink: FAILED then SUCCESS of one server and account policy is one
// issue opened then resolved; MISSING opens one; PARTIAL_SUCCESS adds a
// note to it.
func TestCenturyLinkFailureThenSuccess(t *testing.T) {
	w := newWorld(t)
	r := w.start(w.rm.URL, "")
	urls := []string{r.URL}
	policy, other := uuid(), uuid()

	w.mustSend("clcbackup", clcCompleted("FAILED", "VA1WEB01", policy, uuid()), urls, "-scenario", "duplicate", "-webhook", "backup-failed")
	r.waitProcessed(t, 1)
	open := w.issues()
	require.Len(t, open, 1)
	assert.Equal(t, "New", open[0].Status.Name)
	// Another server's success resolves nothing.
	w.mustSend("clcbackup", clcCompleted("SUCCESS", "VA1WEB02", policy, uuid()), urls, "-webhook", "backup-success")
	r.waitProcessed(t, 2)
	w.mustSend("clcbackup", clcCompleted("SUCCESS", "VA1WEB01", policy, uuid()), urls, "-scenario", "duplicate", "-webhook", "backup-success")
	r.waitProcessed(t, 3)

	w.mustSend("clcbackup", clcMissing("VA1DB01", other), urls, "-webhook", "missing-backup")
	r.waitProcessed(t, 4)
	w.mustSend("clcbackup", clcCompleted("PARTIAL_SUCCESS", "VA1DB01", other, uuid()), urls, "-scenario", "duplicate", "-webhook", "backup-partial-success")
	r.waitProcessed(t, 5)

	issues := w.issues()
	require.Len(t, issues, 2)
	failed, ok := bySubject(issues, "Backup FAILED on VA1WEB01")
	require.True(t, ok, "%+v", issues)
	assert.Equal(t, "Resolved", failed.Status.Name)
	require.Len(t, failed.Notes(), 1)
	assert.Contains(t, failed.Notes()[0], "Backup succeeded")
	missing, ok := bySubject(issues, "Backup MISSING on VA1DB01")
	require.True(t, ok, "%+v", issues)
	assert.Equal(t, "New", missing.Status.Name)
	require.Len(t, missing.Notes(), 1)
	assert.Contains(t, missing.Notes()[0], "PARTIAL_SUCCESS")
	w.report("clcbackup FAILED→SUCCESS, MISSING+PARTIAL_SUCCESS", issues)

	// The next failure of the resolved policy opens a new issue.
	w.mustSend("clcbackup", clcCompleted("FAILED", "VA1WEB01", policy, uuid()), urls, "-webhook", "backup-failed")
	r.waitProcessed(t, 6)
	assert.Len(t, w.issues(), 3)
}

func butlerFailed(task, execution string) string {
	return fmt.Sprintf(`{"event":"Qlik Sense reload failed","hostName":"pro2-win1","user":"LAB\\goran","taskName":"Reload sales",
	"taskId":%q,"appName":"Sales","appId":"e7af59a0-c243-480d-9571-08727551a66f","logTimeStamp":"2021-02-16 09:24:59,099",
	"logLevel":"INFO","executionId":%q,"logMessage":"Max retries reached"}`, task, execution)
}

// Butler: a reload fails twice for the same task in different executions:
// one open issue with two notes.
func TestButlerTwoFailuresOneIssueTwoNotes(t *testing.T) {
	w := newWorld(t)
	r := w.start(w.rm.URL, "")
	urls := []string{r.URL}
	task, e1, e2 := uuid(), uuid(), uuid()
	w.mustSend("butler", butlerFailed(task, e1), urls, "-scenario", "duplicate")
	r.waitProcessed(t, 1)
	w.mustSend("butler", butlerFailed(task, e2), urls)
	w.mustSend("butler", butlerFailed(task, e2), urls, "-method", "GET")
	r.waitProcessed(t, 2)

	issues := w.issues()
	require.Len(t, issues, 1)
	assert.Equal(t, "New", issues[0].Status.Name)
	notes := issues[0].Notes()
	require.Len(t, notes, 2)
	assert.Contains(t, notes[0], e1)
	assert.Contains(t, notes[1], e2)
	w.report("butler two executions", issues)
}
