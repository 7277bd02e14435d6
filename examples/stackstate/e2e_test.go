package stackstate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

const token = "e2e-stackstate-token-5f4e3d2c1b"

// recorder implements stackstate.Handler by recording every call.
type recorder struct{ rec *webhooktest.Recorder }

var _ stackstate.Handler = recorder{}

func (h recorder) NotificationOpened(ctx context.Context, d *runtime.Delivery, p *stackstate.NotificationOpenedEnvelope) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) NotificationClosed(ctx context.Context, d *runtime.Delivery, p *stackstate.NotificationClosedEnvelope) error {
	return h.rec.Record(ctx, d, p)
}

// family is StackState's generated receiver and sender for the e2e
// harness, authenticated with token. StackState retries until exactly 200,
// so its receiver acknowledges poison messages by default; the generated
// types keep the vendor's documents exactly.
var family = &e2etest.Family{
	Name: "stackstate",
	Spec: "../../openapi/stackstate.yaml",
	NewHTTPHandler: func(rec *webhooktest.Recorder, opts ...receiver.Option) (http.Handler, *receiver.Receiver, error) {
		rc, err := stackstate.New(recorder{rec}, opts...)
		if err != nil {
			return nil, nil, err
		}
		return rc.Handler(), rc, nil
	},
	NewSender: e2etest.RawSender(stackstate.NewSender),
	ReceiverSecrets: func(*testing.T) []receiver.Option {
		return []receiver.Option{receiver.WithSecrets(auth.Secrets{"Token": {token}})}
	},
	SenderSecrets: func(*testing.T) []sender.Option {
		return []sender.Option{sender.WithSecret("Token", token)}
	},
	ScenarioSecrets: func(*testing.T) []webhooktest.ReqOption {
		return []webhooktest.ReqOption{webhooktest.WithSecret("Token", token)}
	},
	ExactDocuments: true,
	PoisonAck:      true,
}

// post sends body to the notification webhook with the generated sender.
func post(t *testing.T, e *e2etest.Env, body []byte, opts ...sender.CallOption) webhooktest.Response {
	t.Helper()
	req, err := e.Sender.Request(context.Background(), "notification", "POST", body, opts...)
	require.NoError(t, err)
	return e.Do(t, req)
}

// set returns body with the member at the dotted path set to v.
func set(t *testing.T, body []byte, path string, v any) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	keys := strings.Split(path, ".")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	m[keys[len(keys)-1]] = v
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// TestE2EValidVectors sends every valid vector to a fresh receiver (the
// close vectors share one notificationId: on one receiver all but the
// first would rightly be dropped after the terminal close).
func TestE2EValidVectors(t *testing.T) {
	assert.Equal(t, 11, e2etest.ValidVectors(t, family), "every valid vector ran")
}

// TestE2EInvalidVectors: see e2etest.InvalidVectors; with poison-ack
// (family.PoisonAck) a default receiver quarantines and acknowledges
// poison messages, and answers transport errors (413, 415) as they are.
func TestE2EInvalidVectors(t *testing.T) { e2etest.InvalidVectors(t, family) }

// TestE2EOlderPayloadGenerations: StackState's older payload generations
// (component/monitor tags as maps, the channel map as top-level tags, and
// the docs' close example that mixes both) are accepted by a receiver that
// refuses invalid payloads (poison-ack off) and reach the handler as the
// manifest's event; no StackState vector is left as legacy.
func TestE2EOlderPayloadGenerations(t *testing.T) {
	strict := e2etest.Start(t, family, receiver.WithPoisonAck(false))
	for _, name := range []string{"docs-close", "spec-embedded", "hookgen-open-39dd970"} {
		t.Run(name, func(t *testing.T) {
			v := e2etest.Vector(t, family, name)
			require.Equal(t, openapi.VerdictValid, v.Verdict)
			before := strict.Recorder.Count(v.Event)
			r := strict.Send(t, v)
			assert.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Equal(t, "processed", r.Outcome)
			assert.Equal(t, before+1, strict.Recorder.Count(v.Event))
		})
	}
	for _, v := range e2etest.Vectors(t, family) {
		assert.NotEqual(t, openapi.VerdictLegacy, v.Verdict, v.Name)
	}
}

func TestE2EScenarios(t *testing.T) {
	e := e2etest.Start(t, family)
	base := e2etest.Vector(t, family, "docs-open")
	open := base.Body
	e2etest.DuplicateAndOversize(t, e, base)
	sc := e.Scenario(webhooktest.WithSecret("Token", token))

	t.Run("concurrent duplicate", func(t *testing.T) {
		res, err := sc.ConcurrentDuplicate("notification", "POST", set(t, open, "notificationId", "0f0f0f0f-1111-4222-8333-444444444444"))
		require.NoError(t, err)
		assert.Equal(t, []int{200, 503}, res.Statuses())
		assert.Equal(t, "in-flight", res.Outcomes()[1])
		assert.NotEmpty(t, res.Responses[1].RetryAfter)
		assert.Equal(t, 1, res.Calls)
	})
	t.Run("out of order", func(t *testing.T) {
		id := "1a1a1a1a-1111-4222-8333-444444444444"
		o := set(t, open, "notificationId", id)
		c := set(t, set(t, set(t, o, "event.type", "close"), "event.reason", "HealthStateResolved"), "event.triggeredTimeMs", 1702635356757+60_000)
		u := set(t, set(t, o, "event.triggeredTimeMs", 1702635356757+120_000), "event.state", "DEVIATING")
		res, err := sc.OutOfOrder("notification", "POST", webhooktest.Lifecycle{Open: o, Update: u, Close: c})
		require.NoError(t, err)
		assert.Equal(t, []int{200, 200, 200}, res.Statuses())
		assert.Equal(t, []string{"processed", "dropped-after-terminal", "dropped-after-terminal"}, res.Outcomes())
		assert.Equal(t, 1, res.Calls, "only the close reaches the handler")
		assert.Equal(t, stackstate.EventNotificationClosed, e.Recorder.Calls()[len(e.Recorder.Calls())-1].Event)
	})
	t.Run("wrong token", func(t *testing.T) {
		res, err := sc.WrongToken("notification", "POST", open)
		require.NoError(t, err)
		assert.Equal(t, []int{404, 404}, res.Statuses(), "StackState's spec answers 404 to a wrong token")
		for _, r := range res.Responses {
			assert.Empty(t, r.Outcome, "no outcome header on auth failures")
			require.NotNil(t, r.Problem)
			assert.Empty(t, r.Problem.Detail, "no detail leaked")
			assert.Empty(t, r.Problem.Errors)
			for _, s := range append(res.Sent, token) {
				assert.NotContains(t, string(r.Body), s)
			}
		}
		assert.Zero(t, res.Calls)
	})
	t.Run("secret rotation", func(t *testing.T) {
		const next = "e2e-stackstate-token-rotated-9a8b"
		// start's WithSecrets is replaced by this later one.
		rot := e2etest.Start(t, family, receiver.WithSecrets(auth.Secrets{"Token": {token, next}}))
		rsc := rot.Scenario()
		res, err := rsc.SecretRotation("notification", "POST", "Token", []string{token, next}, []string{"e2e-stackstate-token-removed"}, open)
		require.NoError(t, err)
		assert.Equal(t, []int{200, 200, 404}, res.Statuses())
		assert.Equal(t, []string{"processed", "duplicate", ""}, res.Outcomes())
	})
}

// TestE2EAcknowledgementTable has one row per line of the runtime's
// acknowledgement table for a retry-until-200 sender.
func TestE2EAcknowledgementTable(t *testing.T) {
	open := e2etest.Vector(t, family, "docs-open").Body
	closeMsg := e2etest.Vector(t, family, "hookgen-close-health-state-resolved").Body
	ent := func(b []byte, id string) []byte { return set(t, b, "notificationId", id) }
	at := func(b []byte, ms int64) []byte { return set(t, b, "event.triggeredTimeMs", ms) }

	tests := []struct {
		name       string
		opts       []receiver.Option
		do         func(t *testing.T, e *e2etest.Env) webhooktest.Response
		status     int
		outcome    string
		retryAfter bool
		pointer    string
		calls      int
		check      func(t *testing.T, e *e2etest.Env)
	}{
		{name: "success is exactly 200", status: 200, outcome: "processed", calls: 1,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response { return post(t, e, open) }},
		{name: "handler Retry is 503 with Retry-After", status: 503, outcome: "retry", retryAfter: true, calls: 1,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				e.Recorder.Once(webhooktest.Retry(7 * time.Second))
				return post(t, e, open)
			}},
		{name: "handler Reject is 200 quarantined", status: 200, outcome: "quarantined", calls: 1,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				e.Recorder.Once(webhooktest.Reject())
				return post(t, e, open)
			},
			check: func(t *testing.T, e *e2etest.Env) {
				assert.Len(t, e.DeadLetters(t), 1)
			}},
		{name: "handler panic is 200 quarantined and the server lives", status: 200, outcome: "quarantined", calls: 2,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				e.Recorder.Once(webhooktest.Panic("handler bug"))
				r := post(t, e, open)
				next := post(t, e, ent(open, "2b2b2b2b-1111-4222-8333-444444444444"))
				assert.Equal(t, 200, next.Status, "the next delivery is served")
				assert.Equal(t, "processed", next.Outcome)
				return r
			}},
		{name: "duplicate of a completed delivery is 200 duplicate, handler not called", status: 200, outcome: "duplicate", calls: 1,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				require.Equal(t, 200, post(t, e, open).Status)
				return post(t, e, open)
			}},
		{name: "concurrent duplicate is 503, never 2xx", status: 503, outcome: "in-flight", retryAfter: true, calls: 1,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				res, err := e.Scenario(webhooktest.WithSecret("Token", token)).
					ConcurrentDuplicate("notification", "POST", open)
				require.NoError(t, err)
				assert.Equal(t, 200, res.Responses[0].Status)
				return res.Responses[1]
			}},
		{name: "an earlier failure is claimed again with attempt 2", status: 200, outcome: "processed", calls: 2,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				e.Recorder.Once(webhooktest.Fail(assert.AnError))
				require.Equal(t, 503, post(t, e, open).Status)
				return post(t, e, open)
			},
			check: func(t *testing.T, e *e2etest.Env) {
				calls := e.Recorder.Calls()
				assert.Equal(t, 1, calls[0].Delivery.Attempt)
				assert.Equal(t, 2, calls[1].Delivery.Attempt)
				assert.Equal(t, calls[0].Delivery.Key, calls[1].Delivery.Key)
			}},
		{name: "invalid after auth, poison-ack off, is 400 naming the pointer", opts: []receiver.Option{receiver.WithPoisonAck(false)},
			status: 400, outcome: "invalid", pointer: "/notificationId",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				return post(t, e, e2etest.Vector(t, family, "neg-missing-notification-id").Body)
			}},
		{name: "invalid after auth, poison-ack on, is 200 quarantined", status: 200, outcome: "quarantined",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				return post(t, e, e2etest.Vector(t, family, "neg-missing-notification-id").Body)
			},
			check: func(t *testing.T, e *e2etest.Env) {
				assert.Len(t, e.DeadLetters(t), 1)
			}},
		{name: "unknown event type, lenient, is 200 unhandled", status: 200, outcome: "unhandled",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				return post(t, e, set(t, open, "event.type", "silenced"))
			}},
		{name: "unknown event type, strict, is 400", opts: []receiver.Option{receiver.WithStrict(true), receiver.WithPoisonAck(false)},
			status: 400, outcome: "invalid", pointer: "/event/type",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				return post(t, e, set(t, open, "event.type", "silenced"))
			}},
		{name: "oversize is 413", status: 413, outcome: "too-large",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				return e.Send(t, e2etest.Vector(t, family, "neg-oversize"))
			}},
		{name: "wrong content type is 415", status: 415, outcome: "unsupported-media-type",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				return e.Send(t, e2etest.Vector(t, family, "neg-text-plain"))
			}},
		{name: "wrong method is 405", status: 405, outcome: "method-not-allowed",
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				r := post(t, e, open, sender.WithMethod(http.MethodPut))
				assert.Equal(t, "POST", r.Header.Get("Allow"))
				return r
			}},
		{name: "update after close is 200 dropped, handler not called", status: 200, outcome: "dropped-after-terminal", calls: 2,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				id := "3c3c3c3c-1111-4222-8333-444444444444"
				require.Equal(t, "processed", post(t, e, ent(at(open, 1000), id)).Outcome)
				require.Equal(t, "processed", post(t, e, ent(at(closeMsg, 2000), id)).Outcome)
				return post(t, e, ent(at(set(t, open, "event.state", "DEVIATING"), 3000), id))
			}},
		{name: "stale version is 200 dropped, handler not called", status: 200, outcome: "dropped-stale", calls: 1,
			do: func(t *testing.T, e *e2etest.Env) webhooktest.Response {
				id := "4d4d4d4d-1111-4222-8333-444444444444"
				require.Equal(t, "processed", post(t, e, ent(at(open, 5000), id)).Outcome)
				return post(t, e, ent(at(set(t, open, "event.state", "DEVIATING"), 4000), id))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e2etest.Start(t, family, tt.opts...)
			r := tt.do(t, e)
			assert.Equal(t, tt.status, r.Status, "%s", r.Body)
			assert.Equal(t, tt.outcome, r.Outcome)
			assert.Equal(t, tt.retryAfter, r.RetryAfter != "", "Retry-After %q", r.RetryAfter)
			if tt.pointer != "" {
				assert.True(t, r.HasPointer(tt.pointer), "problem names %s: %s", tt.pointer, r.Body)
			}
			if r.Status >= 400 {
				assert.Equal(t, runtime.ProblemContentType, r.Header.Get("Content-Type"))
			}
			assert.Equal(t, tt.calls, e.Recorder.Count(""), "handler calls")
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// TestE2ESmuggledMembers: case variants and duplicate members never reach
// the handler as field values (see e2etest.SmuggledMembers).
func TestE2ESmuggledMembers(t *testing.T) { e2etest.SmuggledMembers(t, family) }

// TestE2EBadBytes: invalid UTF-8 and lone surrogates get a 400
// naming the byte offset (see e2etest.BadBytes).
func TestE2EBadBytes(t *testing.T) { e2etest.BadBytes(t, family) }
