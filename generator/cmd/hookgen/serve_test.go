package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/simulate"
	"github.com/hookgen/hookgen/internal/specserver"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime/receiver"
)

// startServe runs `hookgen serve` in-process on a random loopback port and
// returns its base URL and a stop function that asserts a clean exit.
func startServe(t *testing.T, args ...string) (base string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), strings.NewReader(""), &out, &errb)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "serve did not start: %s", errb.String())
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code := <-done:
				assert.Equal(t, 0, code, "serve exit: %s", errb.String())
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop")
			}
			assert.Contains(t, out.String(), "hookgen serve: stopped")
		}
		return errb.String()
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// sendJSON runs send with -format json and decodes its results.
func sendJSON(t *testing.T, args ...string) (code int, results []simulate.Result, sum simulate.Summary) {
	t.Helper()
	code, stdout, stderr := cli(t, nil, append([]string{"send", "-format", "json", "-time-scale", "0.001"}, args...)...)
	require.NotEqual(t, 2, code, stderr)
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if strings.HasPrefix(line, `{"summary"`) {
			var s struct{ Summary simulate.Summary }
			require.NoError(t, json.Unmarshal([]byte(line), &s))
			sum = s.Summary
			continue
		}
		var r simulate.Result
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		results = append(results, r)
	}
	return code, results, sum
}

// unhandledInLenientServe lists vectors that match no event but are
// otherwise well formed: the lenient receiver acknowledges them as
// unhandled (their manifest entries say lenient: valid).
var unhandledInLenientServe = map[string]bool{"atscale/neg-unknown-event-type": true}

// familySetup is how each family is served and sent to in the end-to-end test.
type familySetup struct {
	serve, send []string // extra flags
}

func setups(t *testing.T) map[string]familySetup {
	keys := t.TempDir()
	code, stdout, stderr := cli(t, nil, "send", "-gen-key", keys)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, filepath.Join(keys, "private.pem"))
	return map[string]familySetup{
		"stackstate": {serve: []string{"-secret", "Token=hookgen-test-token"}, send: []string{"-secret", "Token=hookgen-test-token"}},
		"atscale":    {},
		"butler":     {send: []string{"-rate-limit", "0"}},
		"netpulse":   {serve: []string{"-secret", "Basic=netpulse:hookgen"}, send: []string{"-secret", "Basic=netpulse:hookgen"}},
		"clcbackup": {serve: []string{"-secret", "Tier3RsaSha1=@" + filepath.Join(keys, "public.pem")},
			send: []string{"-secret", "Tier3RsaSha1=@" + filepath.Join(keys, "private.pem")}},
	}
}

// TestServeSendEndToEnd serves each family from its spec and replays every
// valid vector with send (exit 0, every delivery acknowledged), repeats them
// with the duplicate scenario (answered duplicate), sends every negative
// vector (answered as the runtime's table says), then lists what serve
// recorded with deliveries.
func TestServeSendEndToEnd(t *testing.T) {
	for fam, setup := range setups(t) {
		t.Run(fam, func(t *testing.T) {
			store := t.TempDir()
			base, stop := startServe(t, append([]string{"-spec", specPath(fam), "-store", "bolt:" + store}, setup.serve...)...)
			common := append([]string{"-spec", specPath(fam), "-url", base}, setup.send...)

			code, results, sum := sendJSON(t, common...)
			require.Equal(t, 0, code, "%+v", results)
			vs, err := openapi.Vectors(fam)
			require.NoError(t, err)
			valid := 0
			for _, v := range vs {
				if v.Verdict == openapi.VerdictValid {
					valid++
				}
			}
			assert.Equal(t, valid, sum.Sent)
			assert.Equal(t, valid, sum.Accepted)
			assert.Zero(t, sum.Failures)
			processed := 0
			for _, r := range results {
				assert.True(t, r.Acked, "%s: %+v", r.Message, r)
				// Single-attempt families run in durable mode by default:
				// accepted (persisted, then processed by a worker).
				if r.Outcome == string(receiver.OutcomeProcessed) || r.Outcome == string(receiver.OutcomeAccepted) {
					processed++
				}
			}
			assert.Positive(t, processed)

			// Every delivery again, twice: the repeats are duplicates.
			code, results, sum = sendJSON(t, append(common, "-scenario", "duplicate")...)
			require.Equal(t, 0, code, "%+v", results)
			assert.Equal(t, 2*valid, sum.Sent)
			for _, r := range results {
				if r.Copy == 2 {
					assert.Contains(t, []string{"duplicate", "dropped-after-terminal", "dropped-stale"}, r.Outcome, r.Message)
				}
			}

			// Negative vectors.
			for _, v := range vs {
				if v.Verdict == openapi.VerdictValid {
					continue
				}
				wantStatus, wantOutcome := v.Status, ""
				switch {
				case v.Lenient == openapi.VerdictValid:
					// Accepted; processed or a duplicate of an earlier vector's key.
					wantStatus = 200
				case unhandledInLenientServe[fam+"/"+v.Name]:
					// receiver.WithStrict: lenient mode acknowledges unknown
					// events as unhandled (the manifest and openapi/README
					// say 400 in both modes: reported).
					wantStatus, wantOutcome = 200, string(receiver.OutcomeUnhandled)
				case fam == "stackstate" && v.Status == 400:
					// A poison message to a retry-until-success sender is
					// quarantined and acknowledged.
					wantStatus, wantOutcome = 200, string(receiver.OutcomeQuarantined)
				}
				if knownLenientDivergence[fam+"/"+v.Name] != "" {
					wantStatus, wantOutcome = 200, ""
				}
				code, results, _ := sendJSON(t, append(common, "-example", v.Name, "-max-attempts", "2")...)
				require.Len(t, results, 1, v.Name)
				assert.Equal(t, wantStatus, results[0].Status, "%s: %+v", v.Name, results[0])
				if wantOutcome != "" {
					assert.Equal(t, wantOutcome, results[0].Outcome, v.Name)
				}
				assert.Equal(t, map[bool]int{true: 0, false: 1}[wantStatus == 200], code, v.Name)
			}

			logs := stop()
			assert.Contains(t, logs, `"msg":"delivery"`)
			assert.NotContains(t, logs, "hookgen-test-token")

			code, stdout, stderr := cli(t, nil, "deliveries", "-store", store, "-family", fam, "-format", "json")
			require.Equal(t, 0, code, stderr)
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			assert.GreaterOrEqual(t, len(lines), processed)
			var rec specserver.Record
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
			assert.Equal(t, fam, rec.Family)
			assert.NotEmpty(t, rec.Event)
			assert.NotEmpty(t, rec.DeliveryID)
			assert.False(t, rec.ReceivedAt.IsZero())
			assert.True(t, json.Valid(rec.Payload))
			for k, v := range rec.Header {
				// Tokens are redacted; a body signature (Tier3-Rsasha1) is
				// kept: it signs only this body and grants nothing else.
				if slices.Contains([]string{"Authorization", "X-Stackstate-Webhook-Token"}, k) {
					assert.Equal(t, []string{"[REDACTED]"}, v, "credential header %s recorded", k)
				}
			}
			assert.NotContains(t, stdout, "hookgen-test-token")
			code, stdout, _ = cli(t, nil, "deliveries", "-store", store)
			assert.Equal(t, 0, code)
			assert.Contains(t, stdout, fam)
		})
	}
}

// TestSendVendorDialects covers what only some vendors do: a wrong
// StackState token (404, retried, never acknowledged), Butler's per-taskId
// rate limit and its several webhooks in turn, NetPulse's retry schedule,
// the reorder and storm scenarios, and serve refusing to start without a
// required secret.
func TestSendVendorDialects(t *testing.T) {
	store := t.TempDir()
	base, _ := startServe(t, "-spec", specPath("stackstate"), "-spec", specPath("butler"), "-spec", specPath("netpulse"),
		"-secret", "Token=right", "-secret", "Bearer=tok", "-store", "bolt:"+store)

	t.Run("stackstate wrong token", func(t *testing.T) {
		code, results, _ := sendJSON(t, "-spec", specPath("stackstate"), "-url", base, "-secret", "Token=wrong", "-example", "docs-open", "-max-attempts", "3")
		assert.Equal(t, 1, code)
		require.Len(t, results, 1)
		assert.Equal(t, 404, results[0].Status)
		assert.Len(t, results[0].Attempts, 3, "retried until the attempt budget")
		assert.Contains(t, results[0].Problem, "no 200 after 3 attempts")
	})
	t.Run("stackstate reorder", func(t *testing.T) {
		code, results, _ := sendJSON(t, "-spec", specPath("stackstate"), "-url", base, "-secret", "Token=right", "-scenario", "reorder", "-seed", "7")
		assert.Equal(t, 0, code, "%+v", results)
	})
	t.Run("stackstate storm", func(t *testing.T) {
		code, results, _ := sendJSON(t, "-spec", specPath("stackstate"), "-url", base, "-secret", "Token=right", "-scenario", "storm", "-n", "5", "-example", "hookgen-open-deviating")
		assert.Equal(t, 0, code, "%+v", results)
		assert.Len(t, results, 5)
	})
	t.Run("butler rate limit and several webhooks", func(t *testing.T) {
		code, results, sum := sendJSON(t, "-spec", specPath("butler"), "-url", base, "-url", base, "-time-scale", "1")
		assert.Equal(t, 0, code, "%+v", results)
		assert.Positive(t, sum.Dropped, "docs-get/post/put share a taskId: the sender drops the later ones")
		seen := map[string]int{}
		for _, r := range results {
			seen[r.Message]++
			if r.Dropped != "" {
				assert.Equal(t, "rate-limit", r.Dropped)
			}
		}
		assert.Equal(t, 2, seen["docs-get"], "each event goes to both webhooks")
		// GET query encoding and -method.
		code, results, _ = sendJSON(t, "-spec", specPath("butler"), "-url", base, "-example", "docs-post", "-method", "PUT", "-rate-limit", "0")
		assert.Equal(t, 0, code)
		assert.Equal(t, "PUT", results[0].Method)
	})
	t.Run("netpulse retries", func(t *testing.T) {
		code, results, sum := sendJSON(t, "-spec", specPath("netpulse"), "-url", base, "-secret", "Bearer=nope", "-example", "docs-v02-success", "-retries", "10s,30s,120s")
		assert.Equal(t, 1, code)
		assert.Equal(t, "limited-retries", sum.Dialect)
		require.Len(t, results, 1)
		assert.Len(t, results[0].Attempts, 4, "first try + 3 retries")
		assert.Equal(t, 401, results[0].Status)
		code, _, sum = sendJSON(t, "-spec", specPath("netpulse"), "-url", base, "-secret", "Bearer=tok")
		assert.Equal(t, 0, code)
		assert.Equal(t, "single-attempt", sum.Dialect)
	})
	t.Run("serve refuses to start without a secret", func(t *testing.T) {
		code, _, stderr := cli(t, nil, "serve", "-spec", specPath("clcbackup"), "-spec", specPath("netpulse"), "-addr", "127.0.0.1:0", "-store", "memory:")
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, `"Basic"`)
		assert.Contains(t, stderr, "HOOKGEN_SECRET_BASIC")
		t.Setenv("HOOKGEN_SECRET_TOKEN", "from-env")
		base, stop := startServe(t, "-spec", specPath("stackstate"), "-store", "memory:")
		code, _, _ = sendJSON(t, "-spec", specPath("stackstate"), "-url", base, "-secret", "Token=from-env", "-example", "docs-open")
		assert.Equal(t, 0, code)
		stop()
	})
}

// TestServePerOperationSecurity: hookgen serve authenticates each operation
// with its own security: it accepts a secret for a scheme only one
// operation uses, answers an unsigned delivery to the signed webhook with
// 401 while the public webhook next to it answers 200, and refuses to
// start while one operation's required security has no secret.
func TestServePerOperationSecurity(t *testing.T) {
	spec := filepath.Join("..", "..", "testdata", "mixedsec", "openapi.yaml")
	code, _, stderr := cli(t, nil, "serve", "-addr", "127.0.0.1:0", "-spec", spec, "-store", "memory:", "-secret", "Token=tok")
	assert.Equal(t, 2, code, "a missing secret is a usage error")
	assert.Contains(t, stderr, `"Basic"`)
	base, _ := startServe(t, "-spec", spec, "-store", "memory:",
		"-secret", "Token=tok", "-secret", "Signature=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "-secret", "Bearer=bear")
	post := func(path string, header ...string) int {
		req, err := http.NewRequest("POST", base+path, strings.NewReader(`{"id":"`+path+strings.Join(header, "")+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, 401, post("/dynamic/signed"), "unsigned delivery to the signed webhook")
	assert.Equal(t, 401, post("/dynamic/signed", "X-Token", "tok"), "the root token does not authenticate the signed webhook")
	assert.Equal(t, 200, post("/dynamic/public"))
	assert.Equal(t, 401, post("/dynamic/token"))
	assert.Equal(t, 200, post("/dynamic/token", "X-Token", "tok"))
	assert.Equal(t, 200, post("/dynamic/either", "Authorization", "Bearer bear"))
	assert.Equal(t, 401, post("/dynamic/either", "X-Token", "tok"))
}
