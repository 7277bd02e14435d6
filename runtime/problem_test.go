package runtime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
)

func TestStatusFor(t *testing.T) {
	stackstate := runtime.DeliveryPolicy{Mode: runtime.RetryUntilSuccess, AuthFailureStatus: 404, RetryStatus: 503}
	custom := runtime.DeliveryPolicy{RetryStatus: 429, AuthFailureStatus: 403, SuccessStatus: 204}
	tests := []struct {
		name string
		err  error
		p    runtime.DeliveryPolicy
		want int
	}{
		{"nil is success", nil, runtime.DeliveryPolicy{}, 200},
		{"nil custom success", nil, custom, 204},
		{"unauthorized default", runtime.ErrUnauthorized, runtime.DeliveryPolicy{}, 401},
		{"unauthorized policy", fmt.Errorf("token: %w", runtime.ErrUnauthorized), stackstate, 404},
		{"invalid payload", &runtime.ValidationError{}, runtime.DeliveryPolicy{}, 400},
		{"unknown event", fmt.Errorf("x: %w", runtime.ErrUnknownEvent), runtime.DeliveryPolicy{}, 400},
		{"too large", runtime.ErrTooLarge, runtime.DeliveryPolicy{}, 413},
		{"media type", runtime.ErrUnsupportedMediaType, runtime.DeliveryPolicy{}, 415},
		{"method", runtime.ErrMethodNotAllowed, runtime.DeliveryPolicy{}, 405},
		{"in flight is retry, not 409", runtime.ErrInFlight, runtime.DeliveryPolicy{}, 503},
		{"in flight custom retry", runtime.ErrInFlight, custom, 429},
		{"transient", runtime.ErrTransient, custom, 429},
		{"retry outcome", runtime.Retry(errors.New("db down"), time.Second), runtime.DeliveryPolicy{}, 503},
		{"plain handler error is not mapped to retry here", errors.New("boom"), runtime.DeliveryPolicy{}, 500},
		{"reject outcome", runtime.Reject(errors.New("bad")), runtime.DeliveryPolicy{}, 422},
		{"outcome kind wins over wrapped sentinel", runtime.Retry(&runtime.ValidationError{}, 0), runtime.DeliveryPolicy{}, 503},
		{"reject wrapping store error", runtime.Reject(runtime.ErrStore), runtime.DeliveryPolicy{}, 422},
		{"panic", runtime.ErrHandlerPanic, runtime.DeliveryPolicy{}, 500},
		{"store", fmt.Errorf("claim: %w", runtime.ErrStore), runtime.DeliveryPolicy{}, 503},
		{"config", runtime.ErrConfig, runtime.DeliveryPolicy{}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, runtime.StatusFor(tt.err, tt.p))
			if tt.err != nil {
				assert.Equal(t, tt.want, runtime.ProblemFor(tt.err, tt.p).Status)
			}
		})
	}
}

func TestProblemFor(t *testing.T) {
	const secret = "s3cr3t-token-value"
	tests := []struct {
		name       string
		err        error
		wantType   string
		wantTitle  string
		wantDetail bool
		wantErrors []runtime.FieldError
	}{
		{
			name:     "unauthorized has no detail and never echoes",
			err:      fmt.Errorf("token %q does not match: %w", secret, runtime.ErrUnauthorized),
			wantType: "https://hookgen.dev/problems/unauthorized", wantTitle: "Unauthorized",
		},
		{
			name:     "validation errors carry pointers",
			err:      &runtime.ValidationError{Errors: []runtime.FieldError{{Pointer: "/notificationId", Rule: "required", Message: "is required"}}},
			wantType: "https://hookgen.dev/problems/invalid-payload", wantTitle: "Invalid payload", wantDetail: true,
			wantErrors: []runtime.FieldError{{Pointer: "/notificationId", Rule: "required", Message: "is required"}},
		},
		{
			name:     "handler message is not echoed",
			err:      runtime.Reject(fmt.Errorf("customer %s", secret)),
			wantType: "https://hookgen.dev/problems/rejected", wantTitle: "Delivery rejected", wantDetail: true,
		},
		{
			name:     "unknown error",
			err:      errors.New(secret),
			wantType: "https://hookgen.dev/problems/internal", wantTitle: "Internal error", wantDetail: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := runtime.ProblemFor(tt.err, runtime.DeliveryPolicy{})
			assert.Equal(t, tt.wantType, pr.Type)
			assert.Equal(t, tt.wantTitle, pr.Title)
			assert.Equal(t, tt.wantDetail, pr.Detail != "", "detail %q", pr.Detail)
			assert.Equal(t, tt.wantErrors, pr.Errors)
			b, err := json.Marshal(pr)
			require.NoError(t, err)
			assert.NotContains(t, string(b), secret)
		})
	}
}

func TestProblemForTooLargeNamesLimit(t *testing.T) {
	pr := runtime.ProblemFor(runtime.ErrTooLarge, runtime.DeliveryPolicy{MaxBodyBytes: 1024})
	assert.Equal(t, 413, pr.Status)
	assert.Contains(t, pr.Detail, "1024 bytes")
}

func TestWriteProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	pr := runtime.ProblemFor(&runtime.ValidationError{Errors: []runtime.FieldError{
		{Pointer: "/event/type", Rule: "enum", Message: "must be open or close"},
	}}, runtime.DeliveryPolicy{})
	pr.Instance = "urn:hookgen:delivery:abc"
	runtime.WriteProblem(rec, pr)

	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, map[string]any{
		"type":     "https://hookgen.dev/problems/invalid-payload",
		"title":    "Invalid payload",
		"status":   float64(400),
		"detail":   "The payload does not match the schema.",
		"instance": "urn:hookgen:delivery:abc",
		"errors": []any{map[string]any{
			"pointer": "/event/type", "rule": "enum", "detail": "must be open or close",
		}},
	}, got)
}

func TestWriteProblemZeroStatus(t *testing.T) {
	rec := httptest.NewRecorder()
	runtime.WriteProblem(rec, runtime.Problem{Title: "x"})
	assert.Equal(t, 500, rec.Code)
}
