package webhooktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// OutcomeHeader is the response header naming what the receiver did
// (receiver.OutcomeHeader, repeated here so that the kit can drive any
// receiver over HTTP).
const OutcomeHeader = "Hookgen-Outcome"

// Target is the receiver a scenario drives: an http.Handler served in
// process, or a base URL reached over HTTP. Build it with Handler or URL.
type Target struct {
	h      http.Handler
	base   string
	client *http.Client
}

// Handler drives h in process (h.ServeHTTP with an httptest recorder).
func Handler(h http.Handler) Target { return Target{h: h, base: DefaultBaseURL} }

// URL drives the receiver at base (such as an httptest.Server's URL) with
// client (nil: a client with a 10 s timeout).
func URL(base string, client *http.Client) Target {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return Target{base: strings.TrimRight(base, "/"), client: client}
}

// Response is what the receiver answered to one request.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Outcome is the Hookgen-Outcome header ("" when absent, as for
	// authentication failures).
	Outcome string
	// RetryAfter is the Retry-After header ("" when absent).
	RetryAfter string
	// Header holds every response header.
	Header http.Header
	// Body is the response body.
	Body []byte
	// Problem is the parsed application/problem+json body, nil for other
	// bodies.
	Problem *runtime.Problem
}

// Pointers lists the JSON pointers the problem document names.
func (r Response) Pointers() []string {
	if r.Problem == nil {
		return nil
	}
	out := make([]string, len(r.Problem.Errors))
	for i, e := range r.Problem.Errors {
		out[i] = e.Pointer
	}
	return out
}

// HasPointer reports whether the problem document names pointer.
func (r Response) HasPointer(pointer string) bool {
	for _, p := range r.Pointers() {
		if p == pointer {
			return true
		}
	}
	return false
}

// Do sends req to the target and reads the whole answer.
func (t Target) Do(req *http.Request) (Response, error) {
	var status int
	var header http.Header
	var body []byte
	if t.h != nil {
		rec := httptest.NewRecorder()
		t.h.ServeHTTP(rec, req)
		res := rec.Result()
		defer res.Body.Close()
		status, header = res.StatusCode, res.Header
		body, _ = io.ReadAll(res.Body)
	} else {
		if t.client == nil {
			return Response{}, fmt.Errorf("webhooktest: zero Target: build it with Handler or URL")
		}
		res, err := t.client.Do(req)
		if err != nil {
			return Response{}, fmt.Errorf("webhooktest: %s %s: %w", req.Method, req.URL.Redacted(), err)
		}
		defer res.Body.Close()
		if body, err = io.ReadAll(res.Body); err != nil {
			return Response{}, fmt.Errorf("webhooktest: read answer: %w", err)
		}
		status, header = res.StatusCode, res.Header
	}
	r := Response{Status: status, Outcome: header.Get(OutcomeHeader), RetryAfter: header.Get("Retry-After"), Header: header, Body: body}
	if strings.HasPrefix(header.Get("Content-Type"), runtime.ProblemContentType) {
		var pr runtime.Problem
		if err := json.Unmarshal(body, &pr); err == nil {
			r.Problem = &pr
		}
	}
	return r, nil
}
