package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/internal/specserver"
)

// asCLI makes the test binary run as the hookgen command, for tests that
// need separate processes.
const asCLI = "HOOKGEN_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// replica is a hookgen serve process.
type replica struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
}

// startReplica starts `hookgen serve args...` as a process and waits until
// it listens.
func startReplica(t *testing.T, args ...string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "-addr", "127.0.0.1:0", "-ops-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), asCLI+"=1")
	r := &replica{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = r.stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.After(30 * time.Second)
	for r.base == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "serve exited: %s", r.stderr.String())
			if m := re.FindStringSubmatch(l); m != nil {
				r.base = m[1]
			}
		case <-deadline:
			t.Fatalf("serve did not start: %s", r.stderr.String())
		}
	}
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	return r
}

// stop sends SIGTERM and expects a clean exit.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "serve pid %d: %s", r.cmd.Process.Pid, r.stderr.String())
	case <-time.After(30 * time.Second):
		t.Errorf("serve pid %d did not stop", r.cmd.Process.Pid)
	}
}

// stackstateOpen is a StackState open notification for entity n.
func stackstateOpen(t *testing.T, n int) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../../openapi/examples/stackstate/docs-open.json")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	doc["notificationId"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// post sends body to a replica as StackState does, coming back while the
// answer says the delivery is in flight elsewhere; it returns the final
// Hookgen-Outcome.
func post(base, token string, body []byte) (string, error) {
	return postTo(base+"/stackstate/notification", token, body, true)
}

// postTo posts body to url (with StackState's token header when token is
// set); with retry, it comes back while the answer is not 200.
func postTo(url, token string, body []byte, retry bool) (string, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-StackState-Webhook-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		out := resp.Header.Get("Hookgen-Outcome")
		if !retry || resp.StatusCode == http.StatusOK || attempt == 100 {
			return out, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Several hookgen serve processes share one PostgreSQL store: every
// delivery, sent to all of them at once, is processed by exactly one, the
// others answer it as a duplicate, and the shared inbox records it once.
func TestServeReplicasSharePostgres(t *testing.T) {
	pg := services.PostgresURL(t)
	code, out, errs := cli(t, nil, "migrate", "-store", pg)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "up to date")
	code, _, _ = cli(t, nil, "migrate", "-store", pg)
	assert.Equal(t, 0, code, "migrate twice")

	const n = 200
	reps, processed, duplicates := stackstateStorm(t, pg, n)
	t.Logf("3 replicas on one PostgreSQL: sent %d (%d deliveries x 3), processed %d, duplicates %d", 3*n, n, processed, duplicates)

	code, out, errs = cli(t, nil, "deliveries", "-store", pg, "-family", "stackstate", "-format", "json")
	require.Equal(t, 0, code, errs)
	recs := jsonLines(t, out)
	assert.Len(t, recs, n, "one record per delivery in the shared inbox")
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.DeliveryID] = true
	}
	assert.Len(t, ids, n)
	for _, r := range reps {
		r.stop(t)
	}
}

// Durable mode on several replicas sharing PostgreSQL: a single-attempt
// delivery sent to all of them at once is accepted by one (persisted, then
// acknowledged), answered as a duplicate by the others (counted on the
// entry), and run by exactly one worker of any replica.
func TestServeDurableReplicasSharePostgres(t *testing.T) {
	pg := services.PostgresURL(t)
	const n = 200
	var reps []*replica
	for range 3 {
		reps = append(reps, startReplica(t, "-spec", specPath("atscale"), "-store", pg, "-mode", "durable"))
	}
	raw, err := os.ReadFile("../../../openapi/examples/atscale/docs-aggregate-batch-started.json")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	outcomes := make([][]string, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 24)
	for i := range n {
		doc["id"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		body, err := json.Marshal(doc)
		require.NoError(t, err)
		for _, r := range reps {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				o, err := postTo(r.base+"/atscale/event", "", body, false)
				assert.NoError(t, err)
				mu.Lock()
				outcomes[i] = append(outcomes[i], o)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	accepted, dups := 0, 0
	for i, got := range outcomes {
		a := 0
		for _, o := range got {
			switch o {
			case "accepted":
				a++
			case "duplicate":
				dups++
			default:
				t.Errorf("delivery %d: outcome %q", i, o)
			}
		}
		assert.Equal(t, 1, a, "delivery %d accepted by exactly one replica: %v", i, got)
		accepted += a
	}
	var recs []specserver.Record
	require.Eventually(t, func() bool {
		code, out, _ := cli(t, nil, "deliveries", "-store", pg, "-family", "atscale", "-format", "json")
		if code != 0 {
			return false
		}
		recs = jsonLines(t, out)
		return len(recs) == n
	}, 30*time.Second, 100*time.Millisecond, "every accepted delivery is processed")
	counted := 0
	for _, r := range recs {
		assert.Equal(t, 1, r.Attempts, "%s run once", r.DeliveryID)
		counted += r.Duplicates
	}
	assert.Equal(t, dups, counted, "duplicates are counted on the entries")
	t.Logf("3 durable replicas on one PostgreSQL: sent %d, accepted %d, duplicates %d, processed %d, run twice 0", 3*n, accepted, dups, len(recs))
	for _, r := range reps {
		r.stop(t)
	}
}

// stackstateStorm starts three serve replicas of StackState on storeURL and
// sends each of n deliveries to all of them at once (coming back while the
// answer is "in flight", as StackState does); it asserts that every delivery
// was processed by exactly one replica and returns the replicas and the
// counts.
func stackstateStorm(t *testing.T, storeURL string, n int) (reps []*replica, processed, duplicates int) {
	t.Helper()
	const token = "replica-token"
	for range 3 {
		reps = append(reps, startReplica(t, "-spec", specPath("stackstate"), "-store", storeURL, "-secret", "Token="+token))
	}
	for _, r := range reps {
		t.Logf("replica pid %d at %s", r.cmd.Process.Pid, r.base)
	}
	outcomes := make([][]string, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 24)
	for i := range n {
		body := stackstateOpen(t, i)
		for _, r := range reps {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				o, err := post(r.base, token, body)
				assert.NoError(t, err)
				mu.Lock()
				outcomes[i] = append(outcomes[i], o)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for i, got := range outcomes {
		p := 0
		for _, o := range got {
			switch o {
			case "processed":
				p++
			case "duplicate":
				duplicates++
			default:
				t.Errorf("delivery %d: outcome %q", i, o)
			}
		}
		assert.Equal(t, 1, p, "delivery %d processed by exactly one replica: %v", i, got)
		processed += p
	}
	return reps, processed, duplicates
}

// Several hookgen serve processes in synchronous mode share Redis for
// claims and ordering: every delivery sent to all of them at once is
// processed by exactly one.
func TestServeReplicasShareRedis(t *testing.T) {
	rd := services.RedisURL(t)
	reps, processed, duplicates := stackstateStorm(t, rd, 200)
	t.Logf("3 replicas on one Redis: sent %d, processed %d, duplicates %d", 600, processed, duplicates)
	code, _, errs := cli(t, nil, "inbox", "list", "-store", rd)
	assert.Equal(t, 1, code, "Redis keeps no inbox")
	assert.Contains(t, errs, "unsupported")
	for _, r := range reps {
		r.stop(t)
	}
}
