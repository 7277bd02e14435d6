package receiver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// TestTransport covers the read stage: content coding, charset, BOM and
// the body limit, each answered with the status and problem it promises.
func TestTransport(t *testing.T) {
	open := fixture.Open(nid, 1000)
	bomb := gzipped(t, make([]byte, 32<<20)) // 32 MiB of zeros in ~32 KiB
	tests := []struct {
		name        string
		req         request
		wantStatus  int
		wantOutcome string
		wantDetail  string // substring of the problem detail or first finding
		wantCalls   int
	}{
		{
			name:       "gzip body is decoded",
			req:        request{body: gzipped(t, open), header: http.Header{"Content-Encoding": {"gzip"}}},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
		},
		{
			name:       "identity coding reads the body as is",
			req:        request{body: open, header: http.Header{"Content-Encoding": {"identity"}}},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
		},
		{
			name:       "gzip bomb stops at the body limit",
			req:        request{body: bomb, header: http.Header{"Content-Encoding": {"gzip"}}},
			wantStatus: 413, wantOutcome: "too-large", wantDetail: "65536 bytes",
		},
		{
			name:       "broken gzip is 400",
			req:        request{body: []byte("not gzip at all"), header: http.Header{"Content-Encoding": {"gzip"}}},
			wantStatus: 400, wantOutcome: "invalid", wantDetail: "gzip",
		},
		{
			name:       "unsupported content coding is 415 naming it",
			req:        request{body: open, header: http.Header{"Content-Encoding": {"br"}}},
			wantStatus: 415, wantOutcome: "unsupported-media-type", wantDetail: `Content-Encoding "br"`,
		},
		{
			name:       "stacked content codings are 415 naming them",
			req:        request{body: open, header: http.Header{"Content-Encoding": {"gzip, deflate"}}},
			wantStatus: 415, wantOutcome: "unsupported-media-type", wantDetail: `"gzip, deflate"`,
		},
		{
			name:       "a non-UTF-8 charset is 415 naming it",
			req:        request{body: open, contentType: "application/json; charset=utf-16"},
			wantStatus: 415, wantOutcome: "unsupported-media-type", wantDetail: `charset "utf-16"`,
		},
		{
			name:       "a UTF-8 charset in any case is accepted",
			req:        request{body: open, contentType: "application/json; charset=UTF-8"},
			wantStatus: 200, wantOutcome: "processed", wantCalls: 1,
		},
		{
			name:       "a leading BOM is a clear 400",
			req:        request{body: append([]byte{0xEF, 0xBB, 0xBF}, open...)},
			wantStatus: 400, wantOutcome: "invalid", wantDetail: "byte order mark",
		},
		{
			name:       "invalid UTF-8 is 400 with the byte offset",
			req:        request{body: append([]byte(`{"notificationId":"`), 'a', 0xC3, 0x28, '"', '}')},
			wantStatus: 400, wantOutcome: "invalid", wantDetail: "invalid UTF-8 at byte 20",
		},
		{
			name:       "a query over the parameter limit is 400 naming the limit",
			req:        request{path: fixture.StackStatePath + "?" + strings.Repeat("a=1&", 10001), body: open},
			wantStatus: 400, wantOutcome: "invalid", wantDetail: "limit of 10000",
		},
		{
			name:       "a body over the limit is 413",
			req:        request{body: bytes.Repeat([]byte(" "), 64<<10+1)},
			wantStatus: 413, wantOutcome: "too-large", wantDetail: "65536 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fixture.StackState(), receiver.WithPoisonAck(false))
			r := h.send(tt.req)
			assert.Equal(t, tt.wantStatus, r.status, "body: %s", r.body)
			assert.Equal(t, tt.wantOutcome, r.header.Get(receiver.OutcomeHeader))
			if tt.wantDetail != "" {
				pr := problemOf(t, r)
				text := pr.Detail
				if len(pr.Errors) > 0 {
					text += " " + pr.Errors[0].Message
				}
				assert.Contains(t, text, tt.wantDetail)
			}
			assert.Equal(t, tt.wantCalls, int(h.calls.Load()))
		})
	}
}

// TestBoundedAnswersAndLogs sends a 1 MB run of digits that the decoder
// echoes in its finding and the dispatch in its error: neither the answer
// nor any log line grows with it.
func TestBoundedAnswersAndLogs(t *testing.T) {
	digits := strings.Repeat("7", 1<<20)
	fam := fixture.SingleAttempt()
	fam.Delivery.MaxBodyBytes = 2 << 20
	decode := fam.Webhooks[0].Decode
	fam.Webhooks[0].Decode = func(req *runtime.Request, strict bool) (runtime.Event, error) {
		if bytes.Contains(req.Body, []byte("echo")) {
			return runtime.Event{}, &runtime.ValidationError{Errors: []runtime.FieldError{{
				Pointer: "/" + string(req.Body), Rule: "maximum", Message: "value " + string(req.Body) + " is too large",
			}}}
		}
		return decode(req, strict)
	}
	var lines syncBuffer
	h := newHarness(t, fam, receiver.WithMode(receiver.Sync), receiver.WithLogger(slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, &lines), nil))))
	h.behave = func(int, *runtime.Delivery, runtime.Event) error {
		return runtime.Retry(io.ErrUnexpectedEOF, 0) // with the key in the error below
	}

	r := h.send(request{path: fixture.TaskPath, body: []byte(`{"echo":` + digits + `}`)})
	assert.Equal(t, 400, r.status)
	assert.Less(t, len(r.body), 4<<10, "answer size")
	pr := problemOf(t, r)
	require.Len(t, pr.Errors, 1)
	assert.LessOrEqual(t, len(pr.Errors[0].Message), runtime.MaxDetail+len("…"))

	r = h.send(request{path: fixture.TaskPath, body: fixture.TaskBody(digits)})
	assert.Equal(t, 503, r.status)
	assert.Less(t, len(r.body), 4<<10, "answer size")

	waitFor(t, func() bool { return strings.Count(lines.String(), "\n") >= 2 })
	for line := range strings.SplitSeq(strings.TrimSpace(lines.String()), "\n") {
		assert.Less(t, len(line), 4<<10, "log line size")
	}
}

// TestHeaderAuthBeforeBody checks that a header token is refused before a
// byte of the body is read, and that the body is read once it passes.
func TestHeaderAuthBeforeBody(t *testing.T) {
	h := newHarness(t, fixture.StackState())
	for _, tc := range []struct {
		token    string
		wantRead bool
		want     int
	}{{wrongToken, false, 404}, {token, true, 200}} {
		body := &watchedReader{r: bytes.NewReader(fixture.Open(nid, 1000))}
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, fixture.StackStatePath, body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(fixture.TokenHeader, tc.token)
		rec := httptest.NewRecorder()
		h.rcv.ServeHTTP(rec, req)
		assert.Equal(t, tc.want, rec.Code)
		assert.Equal(t, tc.wantRead, body.read, "body read")
	}
}

type watchedReader struct {
	r    io.Reader
	read bool
}

func (w *watchedReader) Read(p []byte) (int, error) {
	w.read = true
	return w.r.Read(p)
}
