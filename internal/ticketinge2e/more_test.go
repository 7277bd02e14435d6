package ticketinge2e

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func netpulseJob(id, event, host, command string) string {
	status, result := "finished", `{"type":"successful","retval":[],"error":null}`
	if event == "job.failed" {
		status, result = "failed", `{"type":"failed","retval":null,"error":{"type":"ConnectionError","message":"Unable to connect to device"}}`
	}
	return fmt.Sprintf(`{"id":%q,"status":%q,"event_type":%q,"timestamp":"2024-02-23T10:00:01+00:00",
	"result":%s,"device":{"host":%q,"device_type":"cisco_ios"},"task_id":null,"device_name":null,"command":[%q]}`,
		id, status, event, result, host, command)
}

// NetPulse: a failed job opens an issue for its device and command; a
// completed job on another command resolves nothing; the next completed job
// with the same device and command resolves it.
func TestNetPulseFailureThenCompletion(t *testing.T) {
	w := newWorld(t)
	r := w.start(w.rm.URL, "")
	urls := []string{r.URL}
	host := "192.0.2.1"
	w.mustSend("netpulse", netpulseJob(uuid(), "job.failed", host, "show version"), urls, "-scenario", "duplicate")
	r.waitProcessed(t, 1)
	w.mustSend("netpulse", netpulseJob(uuid(), "job.failed", host, "show version"), urls)
	r.waitProcessed(t, 2)
	w.mustSend("netpulse", netpulseJob(uuid(), "job.completed", host, "show interfaces"), urls)
	r.waitProcessed(t, 3)
	require.Len(t, w.issues(), 1)
	assert.Equal(t, "New", w.issues()[0].Status.Name)
	w.mustSend("netpulse", netpulseJob(uuid(), "job.completed", host, "show version"), urls)
	r.waitProcessed(t, 4)
	issues := w.issues()
	require.Len(t, issues, 1)
	assert.Equal(t, "Resolved", issues[0].Status.Name)
	require.Len(t, issues[0].Notes(), 1, "a second failure in the same state adds nothing; the resolution adds one")
	w.report("netpulse failed→completed", issues)
}

func atscaleBatch(id, cube, errText string) string {
	e := "null"
	if errText != "" {
		e = fmt.Sprintf("%q", errText)
	}
	return fmt.Sprintf(`{"event_type":"aggregate_batch_result","id":%q,"context":{"org_id":"default","project_id":"91db9aa1-8947-4e7a-b613-af2ea485990d"},"error":%s,"cube_id":%q}`,
		id, e, cube)
}

// AtScale: a batch result with an error opens an issue for its cube, a
// different error adds a note, and a later successful batch of the same
// cube resolves it (another cube's success resolves nothing).
func TestAtScaleFailingBatchThenSuccess(t *testing.T) {
	w := newWorld(t)
	r := w.start(w.rm.URL, "")
	urls := []string{r.URL}
	cube, other := uuid(), uuid()
	w.mustSend("atscale", atscaleBatch(uuid(), cube, "aggregate build timed out"), urls, "-scenario", "duplicate")
	r.waitProcessed(t, 1)
	w.mustSend("atscale", atscaleBatch(uuid(), cube, "table not found"), urls)
	r.waitProcessed(t, 2)
	w.mustSend("atscale", atscaleBatch(uuid(), other, ""), urls)
	r.waitProcessed(t, 3)
	require.Len(t, w.issues(), 1)
	w.mustSend("atscale", atscaleBatch(uuid(), cube, ""), urls)
	r.waitProcessed(t, 4)
	issues := w.issues()
	require.Len(t, issues, 1)
	assert.Equal(t, "Resolved", issues[0].Status.Name)
	notes := issues[0].Notes()
	require.Len(t, notes, 2)
	assert.Contains(t, notes[0], "table not found")
	assert.Contains(t, notes[1], "succeeded")
	w.report("atscale failing batch→successful batch", issues)
}
