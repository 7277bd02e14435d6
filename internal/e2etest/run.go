package e2etest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// ValidVectors sends every valid vector of f with the generated sender, each
// to a fresh receiver (on one receiver a vector sharing another's key would
// rightly be acknowledged as a duplicate): the typed handler must be called
// once, for the manifest's event, with exactly the vendor's values
// (AssertSameDocument, or JSON-equal with Family.ExactDocuments). It
// returns how many valid vectors ran, and fails when there is none.
func ValidVectors(t *testing.T, f *Family) int {
	t.Helper()
	n := 0
	for _, v := range Vectors(t, f) {
		if v.Verdict != openapi.VerdictValid {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			e := Start(t, f)
			r := e.Send(t, v)
			assert.Equal(t, v.Status, r.Status, "%s", r.Body)
			assert.Equal(t, "processed", r.Outcome)
			require.Equal(t, 1, e.Recorder.Count(""), "one handler call")
			call, _ := e.Recorder.Last()
			assert.Equal(t, v.Event, call.Event)
			want, err := e.Kit.Document(v)
			require.NoError(t, err)
			got, err := json.Marshal(call.Payload)
			require.NoError(t, err)
			if f.ExactDocuments {
				assert.JSONEq(t, string(want), string(got), "the handler receives exactly the vendor's values")
			} else {
				AssertSameDocument(t, want, got)
			}
		})
	}
	assert.Positive(t, n)
	return n
}

// InvalidVectors sends every invalid vector of f: a strict receiver answers
// the manifest's status with a problem document naming the manifest's
// pointer; a lenient one accepts the vectors whose lenient verdict is valid
// (dispatching the manifest's event, or, when the manifest names none,
// acknowledging an unknown event as unhandled) and otherwise answers like
// the strict one. Neither calls the handler for a vector it refuses.
//
// With Family.PoisonAck both run with poison-ack off, and a third receiver,
// lenient with the default poison-ack, must acknowledge with 200 what the
// lenient one accepts and quarantine a poison message (400 after
// authentication) to the dead letter with 200: the sender retries until it
// gets exactly 200. Transport errors (413, 415) are not acknowledged.
func InvalidVectors(t *testing.T, f *Family) {
	t.Helper()
	strictOpts := []receiver.Option{receiver.WithStrict(true)}
	var lenientOpts []receiver.Option
	if f.PoisonAck {
		strictOpts = append(strictOpts, receiver.WithPoisonAck(false))
		lenientOpts = append(lenientOpts, receiver.WithPoisonAck(false))
	}
	for _, v := range Vectors(t, f) {
		if v.Verdict != openapi.VerdictInvalid {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			strict := Start(t, f, strictOpts...)
			r := strict.Send(t, v)
			assert.Equal(t, v.Status, r.Status, "strict: %s", r.Body)
			require.NotNil(t, r.Problem, "problem+json body")
			assert.Equal(t, v.Status, r.Problem.Status)
			assert.Equal(t, runtime.ProblemContentType, r.Header.Get("Content-Type"))
			if v.Pointer != "" {
				assert.True(t, r.HasPointer(v.Pointer), "problem names %s: %s", v.Pointer, r.Body)
			}
			assert.Zero(t, strict.Recorder.Count(""), "the handler is not called")

			lenient := Start(t, f, lenientOpts...)
			r = lenient.Send(t, v)
			switch {
			case v.Lenient == openapi.VerdictValid && v.Event == "":
				assert.Equal(t, 200, r.Status, "%s", r.Body)
				assert.Equal(t, "unhandled", r.Outcome)
				assert.Zero(t, lenient.Recorder.Count(""))
			case v.Lenient == openapi.VerdictValid:
				assert.Equal(t, 200, r.Status, "lenient accepts it: %s", r.Body)
				assert.Equal(t, "processed", r.Outcome)
				call, ok := lenient.Recorder.Last()
				require.True(t, ok)
				assert.Equal(t, v.Event, call.Event)
			default:
				assert.Equal(t, v.Status, r.Status, "lenient: %s", r.Body)
				if v.Pointer != "" {
					assert.True(t, r.HasPointer(v.Pointer), "problem names %s: %s", v.Pointer, r.Body)
				}
				assert.Zero(t, lenient.Recorder.Count(""))
			}

			if !f.PoisonAck {
				return
			}
			poison := Start(t, f) // the default: poison-ack on, lenient
			r = poison.Send(t, v)
			switch {
			case v.Lenient == openapi.VerdictValid:
				assert.Equal(t, 200, r.Status)
				assert.Equal(t, "processed", r.Outcome)
			case v.Status == 400:
				assert.Equal(t, 200, r.Status)
				assert.Equal(t, "quarantined", r.Outcome)
				assert.Len(t, poison.DeadLetters(t), 1, "quarantined to the dead letter")
			default:
				assert.Equal(t, v.Status, r.Status)
			}
		})
	}
}

// LegacyVectors documents what a lenient receiver does with each legacy
// vector of f (a shape the vendor published or sent before): the
// manifest's status and pointer.
func LegacyVectors(t *testing.T, f *Family) {
	t.Helper()
	for _, v := range Vectors(t, f) {
		if v.Verdict != openapi.VerdictLegacy {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			e := Start(t, f)
			r := e.Send(t, v)
			assert.Equal(t, v.Status, r.Status, "%s", r.Body)
			if v.Pointer != "" {
				assert.True(t, r.HasPointer(v.Pointer), "%s", r.Body)
			}
		})
	}
}

// DuplicateAndOversize runs the subtests "duplicate delivery" and
// "oversized body" of the webhooktest scenarios on e, with base's webhook,
// method and body and the family's scenario secrets: a duplicate is
// acknowledged without a second handler call, an oversized body is refused
// with 413 before the handler; then Transport.
func DuplicateAndOversize(t *testing.T, e *Env, base openapi.Vector) {
	t.Helper()
	sc := e.Scenario(secrets(t, e.family.ScenarioSecrets)...)
	t.Run("duplicate delivery", func(t *testing.T) {
		res, err := sc.DuplicateDelivery(base.Webhook, base.Method, base.Body)
		require.NoError(t, err)
		assert.Equal(t, []int{200, 200}, res.Statuses())
		assert.Equal(t, []string{"processed", "duplicate"}, res.Outcomes())
		assert.Equal(t, 1, res.Calls)
	})
	t.Run("oversized body", func(t *testing.T) {
		res, err := sc.OversizedBody(base.Webhook, base.Method, base.Body)
		require.NoError(t, err)
		assert.Equal(t, []int{413, 413}, res.Statuses())
		assert.Equal(t, []string{"too-large", "too-large"}, res.Outcomes())
		assert.Zero(t, res.Calls)
	})
	Transport(t, e, base)
}

// Transport sends base (a JSON body vector) with its bytes or headers
// changed the ways the read stage must answer precisely: a gzip body is
// decoded, an unsupported Content-Encoding or a charset other than UTF-8
// is 415 naming it, a leading byte order mark and invalid UTF-8 are 400
// (the latter with the byte offset). None of the refused ones reaches the
// handler.
func Transport(t *testing.T, e *Env, base openapi.Vector) {
	t.Helper()
	send := func(t *testing.T, change func(req *http.Request, body []byte) []byte) webhooktest.Response {
		t.Helper()
		req, err := webhooktest.VectorRequest(context.Background(), e.Sender, base)
		require.NoError(t, err)
		body, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		body = change(req, body)
		req.Body, req.GetBody, req.ContentLength = io.NopCloser(bytes.NewReader(body)), nil, int64(len(body))
		req.Header.Del("Content-Length")
		return e.Do(t, req)
	}
	refused := []struct {
		name, detail string
		status       int
		change       func(req *http.Request, body []byte) []byte
	}{
		{"unsupported content coding", `Content-Encoding "br"`, 415, func(req *http.Request, b []byte) []byte {
			req.Header.Set("Content-Encoding", "br")
			return b
		}},
		{"charset other than UTF-8", `charset "utf-16"`, 415, func(req *http.Request, b []byte) []byte {
			req.Header.Set("Content-Type", "application/json; charset=utf-16")
			return b
		}},
		{"byte order mark", "byte order mark", 400, func(_ *http.Request, b []byte) []byte {
			return append([]byte{0xEF, 0xBB, 0xBF}, b...)
		}},
		{"invalid UTF-8", "invalid UTF-8 at byte 1", 400, func(_ *http.Request, b []byte) []byte {
			return append([]byte{b[0], 0xFF}, b[1:]...)
		}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			calls := e.Recorder.Count("")
			r := send(t, tc.change)
			assert.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.NotNil(t, r.Problem, "problem+json body")
			text := r.Problem.Detail
			for _, fe := range r.Problem.Errors {
				text += " " + fe.Message
			}
			assert.Contains(t, text, tc.detail)
			assert.Equal(t, calls, e.Recorder.Count(""), "the handler is not called")
		})
	}
	t.Run("gzip body", func(t *testing.T) {
		r := send(t, func(req *http.Request, b []byte) []byte {
			req.Header.Set("Content-Encoding", "gzip")
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			_, _ = zw.Write(b)
			_ = zw.Close()
			return z.Bytes()
		})
		assert.Equal(t, 200, r.Status, "%s", r.Body)
		assert.Contains(t, []string{"processed", "duplicate"}, r.Outcome, "decoded (a repeat of base is a duplicate)")
	})
}
