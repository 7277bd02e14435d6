package faulttest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Answers counts the answers a sender got, by status and by the
// receiver's Hookgen-Outcome header.
type Answers struct {
	mu        sync.Mutex
	ByStatus  map[int]int
	ByOutcome map[string]int
	// RetryAfterMissing counts 503 answers without a Retry-After header.
	RetryAfterMissing int
	// Errors counts requests that got no answer (connection refused, reset).
	Errors int
}

// NewAnswers returns empty counts.
func NewAnswers() *Answers {
	return &Answers{ByStatus: map[int]int{}, ByOutcome: map[string]int{}}
}

// add counts one answer.
func (a *Answers) add(resp *http.Response, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.Errors++
		return
	}
	a.ByStatus[resp.StatusCode]++
	a.ByOutcome[resp.Header.Get("Hookgen-Outcome")]++
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		a.RetryAfterMissing++
	}
}

// Other counts the answers that are neither 2xx nor 503.
func (a *Answers) Other() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for s, c := range a.ByStatus {
		if s/100 != 2 && s != http.StatusServiceUnavailable {
			n += c
		}
	}
	return n
}

// Status is the count of answers with status s.
func (a *Answers) Status(s int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ByStatus[s]
}

// Outcome is the count of answers whose Hookgen-Outcome is o.
func (a *Answers) Outcome(o string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ByOutcome[o]
}

// String lists the counts, sorted.
func (a *Answers) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var parts []string
	for s, c := range a.ByStatus {
		parts = append(parts, fmt.Sprintf("status %d: %d", s, c))
	}
	for o, c := range a.ByOutcome {
		parts = append(parts, fmt.Sprintf("outcome %q: %d", o, c))
	}
	sort.Strings(parts)
	if a.Errors > 0 {
		parts = append(parts, fmt.Sprintf("no answer: %d", a.Errors))
	}
	return strings.Join(parts, ", ")
}

// Sender posts deliveries of Family and counts the answers.
type Sender struct {
	Client  *http.Client
	Answers *Answers
	// RetryDelay is how long a retrying sender waits after a 503 or no
	// answer. The receiver's Retry-After (1 s) is honoured as a maximum:
	// waiting less only makes the test faster, never changes a verdict.
	RetryDelay time.Duration
}

// NewSender returns a sender with a client of bounded timeout.
func NewSender() *Sender {
	return &Sender{
		Client:     &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Answers:    NewAnswers(),
		RetryDelay: 20 * time.Millisecond,
	}
}

// Post sends one delivery once and reports whether it was acknowledged
// (2xx), and its status (0 without an answer).
func (s *Sender) Post(addr, id string) (bool, int) { return s.PostBody(addr, Body(id)) }

// PostBody sends body once, as Post does.
func (s *Sender) PostBody(addr string, body []byte) (bool, int) {
	resp, err := s.Client.Post("http://"+addr+Path, "application/json", bytes.NewReader(body))
	s.Answers.add(resp, err)
	if err != nil {
		return false, 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode/100 == 2, resp.StatusCode
}

// PostUntilAcked sends one delivery until it is acknowledged, as a
// retry-until-success sender does: again after a 503 or no answer, and
// gives up on any other status or at the deadline. It reports whether the
// delivery was acknowledged.
func (s *Sender) PostUntilAcked(addr, id string, deadline time.Time) bool {
	return s.PostBodyUntilAcked(addr, Body(id), deadline)
}

// PostBodyUntilAcked sends body until it is acknowledged, as
// PostUntilAcked does.
func (s *Sender) PostBodyUntilAcked(addr string, body []byte, deadline time.Time) bool {
	for {
		ok, status := s.PostBody(addr, body)
		if ok {
			return true
		}
		if (status != 0 && status != http.StatusServiceUnavailable) || time.Now().After(deadline) {
			return false
		}
		time.Sleep(s.RetryDelay)
	}
}
