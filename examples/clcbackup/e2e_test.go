package clcbackup_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/examples/clcbackup"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// recorder implements clcbackup.Handler by recording every call.
type recorder struct{ rec *webhooktest.Recorder }

var _ clcbackup.Handler = recorder{}

func (h recorder) BackupFailed(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) BackupPartialSuccess(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) BackupSucceeded(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) BackupMissing(ctx context.Context, d *runtime.Delivery, p *clcbackup.MissingBackup) error {
	return h.rec.Record(ctx, d, p)
}

// env is one generated receiver behind an httptest.Server, with the
// generated sender pointed at it.
type env struct {
	srv *httptest.Server
	rec *webhooktest.Recorder
	rc  *receiver.Receiver
	snd *clcbackup.Sender
	kit *webhooktest.Kit
}

// start serves clcbackup.NewHTTPHandler with a recording handler and a memory
// store; opts come after the defaults (secrets: see receiverSecrets).
func start(t *testing.T, opts ...receiver.Option) *env {
	t.Helper()
	mem := store.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	rec := webhooktest.NewRecorder()
	opts = append(append([]receiver.Option{receiver.WithStore(mem)}, receiverSecrets(t)...), opts...)
	h, rc, err := clcbackup.NewHTTPHandler(recorder{rec}, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); _ = rc.Close() })
	snd, err := clcbackup.NewSender(srv.URL, senderSecrets(t)...)
	require.NoError(t, err)
	kit, err := webhooktest.Load("../../openapi/clcbackup.yaml")
	require.NoError(t, err)
	return &env{srv: srv, rec: rec, rc: rc, snd: snd, kit: kit}
}

// send sends vector v with the generated sender and returns the answer.
func (e *env) send(t *testing.T, v openapi.Vector) webhooktest.Response {
	t.Helper()
	req, err := webhooktest.VectorRequest(context.Background(), e.snd.Raw(), v)
	require.NoError(t, err)
	r, err := webhooktest.URL(e.srv.URL, nil).Do(req)
	require.NoError(t, err)
	return r
}

func vectors(t *testing.T) []openapi.Vector {
	t.Helper()
	vs, err := openapi.Vectors("clcbackup")
	require.NoError(t, err)
	return vs
}

func vector(t *testing.T, name string) openapi.Vector {
	t.Helper()
	for _, v := range vectors(t) {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %s", name)
	return openapi.Vector{}
}

// TestE2EValidVectors sends every valid vector with the generated sender;
// the typed handler must receive exactly the vendor's values.
func TestE2EValidVectors(t *testing.T) {
	n := 0
	for _, v := range vectors(t) {
		if v.Verdict != openapi.VerdictValid {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			e := start(t)
			r := e.send(t, v)
			assert.Equal(t, v.Status, r.Status, "%s", r.Body)
			assert.Equal(t, "processed", r.Outcome)
			require.Equal(t, 1, e.rec.Count(""), "one handler call")
			call, _ := e.rec.Last()
			assert.Equal(t, v.Event, call.Event)
			want, err := e.kit.Document(v)
			require.NoError(t, err)
			got, err := json.Marshal(call.Payload)
			require.NoError(t, err)
			assertSameDocument(t, v.Name, want, got)
		})
	}
	assert.Positive(t, n)
}

// TestE2EInvalidVectors sends every invalid vector: a strict receiver
// answers the manifest's status with a problem document naming the
// manifest's pointer; a lenient one accepts the vectors whose lenient
// verdict is valid (dispatching the manifest's event, or, when the
// manifest names none, acknowledging an unknown event as unhandled) and
// otherwise answers like the strict one.
func TestE2EInvalidVectors(t *testing.T) {
	for _, v := range vectors(t) {
		if v.Verdict != openapi.VerdictInvalid {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			strict := start(t, receiver.WithStrict(true))
			r := strict.send(t, v)
			assert.Equal(t, v.Status, r.Status, "strict: %s", r.Body)
			require.NotNil(t, r.Problem, "problem+json body")
			assert.Equal(t, runtime.ProblemContentType, r.Header.Get("Content-Type"))
			if v.Pointer != "" {
				assert.True(t, r.HasPointer(v.Pointer), "problem names %s: %s", v.Pointer, r.Body)
			}
			assert.Zero(t, strict.rec.Count(""), "the handler is not called")

			lenient := start(t)
			r = lenient.send(t, v)
			switch {
			case v.Lenient == openapi.VerdictValid && v.Event == "":
				assert.Equal(t, 200, r.Status, "%s", r.Body)
				assert.Equal(t, "unhandled", r.Outcome)
				assert.Zero(t, lenient.rec.Count(""))
			case v.Lenient == openapi.VerdictValid:
				assert.Equal(t, 200, r.Status, "lenient accepts it: %s", r.Body)
				assert.Equal(t, "processed", r.Outcome)
				call, ok := lenient.rec.Last()
				require.True(t, ok)
				assert.Equal(t, v.Event, call.Event)
			default:
				assert.Equal(t, v.Status, r.Status, "lenient: %s", r.Body)
				if v.Pointer != "" {
					assert.True(t, r.HasPointer(v.Pointer), "problem names %s: %s", v.Pointer, r.Body)
				}
				assert.Zero(t, lenient.rec.Count(""))
			}
		})
	}
}

// TestE2ELegacyVectors documents what a lenient receiver does with each
// legacy vector (a shape the vendor published or sent before): the
// manifest's status and pointer.
func TestE2ELegacyVectors(t *testing.T) {
	for _, v := range vectors(t) {
		if v.Verdict != openapi.VerdictLegacy {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			e := start(t)
			r := e.send(t, v)
			assert.Equal(t, v.Status, r.Status, "%s", r.Body)
			if v.Pointer != "" {
				assert.True(t, r.HasPointer(v.Pointer), "%s", r.Body)
			}
		})
	}
}

func TestE2EScenarios(t *testing.T) {
	e := start(t)
	base := vector(t, "docs-backup-success")
	sc := e.kit.Scenario(webhooktest.URL(e.srv.URL, nil), e.rec, scenarioSecrets(t)...)

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
}

// lossy lists, per vector, the members whose value the generated types
// change (see assertSameDocument).
var lossy = map[string][]string{}

// assertSameDocument asserts that the payload the handler received,
// re-marshalled, is the vendor's document: JSON-equal after dropping null
// members (webhooktest.NormalizeJSON: the generated types cannot tell a
// null from an absent member) and after comparing the lossy members
// approximately.
func assertSameDocument(t *testing.T, name string, want, got []byte) {
	t.Helper()
	var w, g map[string]any
	require.NoError(t, json.Unmarshal(want, &w))
	require.NoError(t, json.Unmarshal(got, &g))
	for _, member := range lossy[name] {
		wf, ok := w[member].(float64)
		require.True(t, ok, "%s is a number", member)
		assert.InDelta(t, wf, g[member], 1e-6*wf, "%s", member)
		delete(w, member)
		delete(g, member)
	}
	wb, err := json.Marshal(w)
	require.NoError(t, err)
	gb, err := json.Marshal(g)
	require.NoError(t, err)
	wn, err := webhooktest.NormalizeJSON(wb)
	require.NoError(t, err)
	gn, err := webhooktest.NormalizeJSON(gb)
	require.NoError(t, err)
	assert.JSONEq(t, string(wn), string(gn), "the handler receives exactly the vendor's values")
}
