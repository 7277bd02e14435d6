package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/specserver"
	"github.com/hookgen/hookgen/runtime/serve"
	"github.com/hookgen/hookgen/runtime/store"
)

// seedStore writes a bolt store with 3 processed and 2 quarantined butler
// entries and 1 exhausted netpulse entry, and returns its URL.
func seedStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookgen.db")
	b, err := store.OpenBolt(path)
	require.NoError(t, err)
	now := time.Now().UTC()
	put := func(family, id string, st store.EntryState, reason string, age time.Duration) {
		require.NoError(t, b.Put(context.Background(), store.Entry{ID: id, Family: family, Webhook: "w", Event: "E", Key: id,
			Method: "POST", Path: "/" + family, Body: []byte(`{"id":"` + id + `"}`), ReceivedAt: now.Add(-age), State: st, Reason: reason}))
	}
	for i := range 3 {
		put("butler", fmt.Sprintf("done-%d", i), store.EntryDone, store.ReasonProcessed, time.Duration(i+10)*time.Hour)
	}
	put("butler", "dead-0", store.Dead, store.ReasonQuarantined, time.Minute)
	put("butler", "dead-1", store.Dead, store.ReasonQuarantined, 2*time.Minute)
	put("netpulse", "dead-0", store.Dead, store.ReasonExhausted, 3*time.Minute)
	require.NoError(t, b.Close())
	return "bolt:" + path
}

func jsonLines(t *testing.T, out string) []specserver.Record {
	t.Helper()
	var recs []specserver.Record
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r specserver.Record
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		recs = append(recs, r)
	}
	return recs
}

func TestInboxListShow(t *testing.T) {
	st := seedStore(t)
	code, out, errs := cli(t, nil, "inbox", "list", "-store", st)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "6 entries")

	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-state", "dead", "-format", "json")
	require.Equal(t, 0, code)
	recs := jsonLines(t, out)
	require.Len(t, recs, 3, "quarantined and exhausted deliveries are listed")
	for _, r := range recs {
		assert.Equal(t, "dead", r.State)
	}
	assert.Equal(t, "quarantined", recs[0].Reason, "newest first")

	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-family", "butler", "-state", "dead", "-format", "json")
	require.Equal(t, 0, code)
	assert.Len(t, jsonLines(t, out), 2)

	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-since", "1h", "-format", "json")
	require.Equal(t, 0, code)
	assert.Len(t, jsonLines(t, out), 3, "-since keeps the recent ones")

	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-before", "5h", "-format", "json")
	require.Equal(t, 0, code)
	assert.Len(t, jsonLines(t, out), 3, "-before keeps the old ones")

	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-limit", "4")
	require.Equal(t, 0, code)
	m := regexp.MustCompile(`more: -after (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-limit", "4", "-after", m[1])
	require.Equal(t, 0, code)
	assert.Contains(t, out, "2 entries")
	assert.NotContains(t, out, "more:")

	code, out, _ = cli(t, nil, "inbox", "show", "-store", st, "-family", "butler", "dead-1")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"delivery_id": "dead-1"`)
	assert.Contains(t, out, `"payload": {`)
	code, _, errs = cli(t, nil, "inbox", "show", "-store", st, "dead-0")
	assert.Equal(t, 2, code, "an id in two families needs -family")
	assert.Contains(t, errs, "-family")
	code, _, errs = cli(t, nil, "inbox", "show", "-store", st, "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no entry nope")
}

func TestInboxReplayPurge(t *testing.T) {
	st := seedStore(t)
	code, out, errs := cli(t, nil, "inbox", "replay", "-store", st, "-family", "butler", "-state", "dead", "-progress", "always")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "replayed 2 entries")
	assert.Contains(t, errs, "] 2/2", "progress bar")
	code, out, _ = cli(t, nil, "inbox", "list", "-store", st, "-state", "pending", "-format", "json")
	require.Equal(t, 0, code)
	recs := jsonLines(t, out)
	require.Len(t, recs, 2)
	assert.Equal(t, "butler", recs[0].Family)

	code, out, errs = cli(t, nil, "inbox", "replay", "-store", st, "-family", "netpulse", "dead-0")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "replayed 1 entries")
	assert.NotContains(t, errs, "replay [", "no progress bar when stderr is no terminal")
	code, _, errs = cli(t, nil, "inbox", "replay", "-store", st, "-family", "netpulse", "missing")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no entry missing")

	code, _, errs = cli(t, nil, "inbox", "purge", "-store", st, "-state", "done")
	assert.Equal(t, 2, code, "purge without -yes")
	assert.Contains(t, errs, "-yes")
	code, out, _ = cli(t, nil, "inbox", "list", "-store", st)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "6 entries", "nothing deleted without -yes")
	code, out, _ = cli(t, nil, "inbox", "purge", "-store", st, "-state", "done", "-yes")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "purged 3 entries")
	code, out, _ = cli(t, nil, "inbox", "list", "-store", st)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "3 entries")
}

func TestInboxUsage(t *testing.T) {
	st := seedStore(t)
	for _, args := range [][]string{
		{"inbox"},
		{"inbox", "frob"},
		{"inbox", "list", "-store", st, "-state", "lost"},
		{"inbox", "list", "-store", st, "-format", "xml"},
		{"inbox", "list", "-store", st, "extra"},
		{"inbox", "list", "-store", "redis:"},
		{"inbox", "list", "-store", "memory:"},
		{"inbox", "replay", "-store", st},
		{"inbox", "replay", "-store", st, "-state", "dead", "x"},
		{"inbox", "show", "-store", st},
		{"inbox", "list", "-admin", "ftp://x"},
		{"deliveries", "-store", st, "-format", "xml"},
		{"migrate"},
		{"migrate", "-store", st},
		{"migrate", "-store", "postgres://h/db", "extra"},
	} {
		code, _, errs := cli(t, nil, args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, "one line: %s", errs)
	}
	code, _, _ := cli(t, nil, "inbox", "-h")
	assert.Equal(t, 0, code)
	code, _, errs := cli(t, nil, "inbox", "list", "-store", "bolt:"+filepath.Join(t.TempDir(), "none.db"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no such file")
}

// deliveries -format json prints one JSON object per line, one per
// processed delivery.
func TestDeliveriesJSONLines(t *testing.T) {
	st := seedStore(t)
	code, out, errs := cli(t, nil, "deliveries", "-store", st, "-format", "json")
	require.Equal(t, 0, code, errs)
	recs := jsonLines(t, out)
	require.Len(t, recs, 3)
	for _, r := range recs {
		assert.Equal(t, "processed", r.Reason)
		assert.True(t, strings.HasPrefix(r.DeliveryID, "done-"))
		assert.True(t, json.Valid(r.Payload))
	}
	assert.True(t, recs[0].ReceivedAt.Before(recs[2].ReceivedAt), "oldest first")
}

// While serve runs and holds the bolt file, inbox and deliveries go
// through its admin endpoint (found next to the file), and a replayed
// delivery is processed again by the running receiver.
func TestInboxWhileServeRuns(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServe(t, "-spec", specPath("butler"), "-store", "bolt:"+dir, "-ops-addr", "127.0.0.1:0")
	code, results, _ := sendJSON(t, "-spec", specPath("butler"), "-url", base, "-rate-limit", "0")
	require.Equal(t, 0, code, "%+v", results)

	var recs []specserver.Record
	require.Eventually(t, func() bool {
		code, out, _ := cli(t, nil, "deliveries", "-store", "bolt:"+dir, "-format", "json")
		if code != 0 {
			return false
		}
		recs = jsonLines(t, out)
		return len(recs) > 0
	}, 10*time.Second, 50*time.Millisecond, "deliveries reads the store of a running serve")

	id := recs[0].DeliveryID
	code, out, errs := cli(t, nil, "inbox", "list", "-store", "bolt:"+dir, "-family", "butler")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, id)
	replayed := time.Now()
	code, _, errs = cli(t, nil, "inbox", "replay", "-store", "bolt:"+dir, "-family", "butler", id)
	require.Equal(t, 0, code, errs)
	require.Eventually(t, func() bool {
		code, out, _ := cli(t, nil, "inbox", "show", "-store", "bolt:"+dir, "-family", "butler", "-format", "json", id)
		if code != 0 {
			return false
		}
		r := jsonLines(t, out)
		return len(r) == 1 && r[0].State == "done" && r[0].Attempts == 1 && r[0].UpdatedAt.After(replayed)
	}, 10*time.Second, 50*time.Millisecond, "the replayed delivery is processed again")
	admin, err := os.ReadFile(serve.AdminFile(filepath.Join(dir, "hookgen.db")))
	require.NoError(t, err)
	code, out, errs = cli(t, nil, "inbox", "list", "-admin", strings.TrimSpace(string(admin)), "-family", "butler")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, id, "-admin URL reads the running serve's inbox")
	stop()

	code, out, errs = cli(t, nil, "inbox", "list", "-store", "bolt:"+dir, "-family", "butler", "-format", "json")
	require.Equal(t, 0, code, "after serve stopped, the file itself: %s", errs)
	assert.NotEmpty(t, jsonLines(t, out))
}

// serve keeps one store file for every family it serves.
func TestServeOneBoltFile(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServe(t, "-spec", specPath("butler"), "-spec", specPath("atscale"), "-spec", specPath("netpulse"),
		"-secret", "Basic=u:p", "-store", "bolt:"+dir)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{filepath.Join(dir, "hookgen.db"), filepath.Join(dir, "hookgen.db.admin")}, files)

	// The operations endpoints are on their own listener, not on the webhook port.
	admin, err := os.ReadFile(serve.AdminFile(filepath.Join(dir, "hookgen.db")))
	require.NoError(t, err)
	ops := strings.TrimSpace(string(admin))
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		resp, err := http.Get(base + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "webhook port %s", p)
		resp, err = http.Get(ops + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "operations port %s", p)
	}
	stop()
	files, err = filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, "hookgen.db")}, files, "the admin file is removed at stop")
}

// serve takes the mode and the store from its -config file, the
// environment over the file and a flag over both: durable mode answers a
// single-attempt delivery "accepted", sync mode "processed".
func TestServeModeAndStoreSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "serve.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("mode: sync\nstore: bolt:"+filepath.Join(dir, "from-file.db")+"\n"), 0o600))
	outcome := func(args ...string) string {
		t.Helper()
		base, stop := startServe(t, append([]string{"-spec", specPath("atscale"), "-config", cfg}, args...)...)
		code, results, _ := sendJSON(t, "-spec", specPath("atscale"), "-url", base, "-example", "docs-aggregate-batch-started")
		require.Equal(t, 0, code)
		require.Len(t, results, 1)
		stop()
		return results[0].Outcome
	}
	assert.Equal(t, "processed", outcome(), "mode from the file")
	assert.FileExists(t, filepath.Join(dir, "from-file.db"), "store from the file")
	t.Setenv("HOOKGEN_MODE", "durable")
	t.Setenv("HOOKGEN_STORE", "bolt:"+filepath.Join(dir, "from-env.db"))
	assert.Equal(t, "accepted", outcome(), "the environment wins over the file")
	assert.FileExists(t, filepath.Join(dir, "from-env.db"))
	assert.Equal(t, "processed", outcome("-mode", "sync", "-store", "memory:"), "a flag wins over the environment")
	code, _, errs := cli(t, nil, "serve", "-spec", specPath("atscale"), "-mode", "fast")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "-mode")
}
