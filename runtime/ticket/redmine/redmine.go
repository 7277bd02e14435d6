// Package redmine is a ticket.Tracker over Redmine's REST API
// (https://www.redmine.org/projects/redmine/wiki/Rest_api), authenticated
// with the X-Redmine-API-Key header.
//
// Tickets are Redmine issues of one project. The correlation key is kept
// at the end of the subject as "[hookgen:KEY]", so that FindByCorrelation
// finds an issue created by an attempt that died before recording it. The
// resolved status is looked up by name in /issue_statuses.json, never
// hard-coded. A 422 answer is returned as an *APIError carrying Redmine's
// messages.
package redmine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookgen/hookgen/runtime/ticket"
)

// subjectMax is Redmine's limit on an issue subject, in characters.
const subjectMax = 255

// Client is a ticket.Tracker for one Redmine project. It is safe for
// concurrent use.
type Client struct {
	base      *url.URL
	key       string
	project   string
	trackerID int
	resolved  string
	http      *http.Client

	mu       sync.Mutex
	statusID int
}

// Option configures New.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a client with a 15s timeout).
func WithHTTPClient(c *http.Client) Option { return func(cl *Client) { cl.http = c } }

// WithTrackerID sets the Redmine tracker (Bug, Support, ...) of new issues;
// by default Redmine uses the project's first tracker.
func WithTrackerID(id int) Option { return func(cl *Client) { cl.trackerID = id } }

// WithResolvedStatus sets the name of the status Resolve moves issues to
// (default "Resolved"); its id is looked up in /issue_statuses.json.
func WithResolvedStatus(name string) Option { return func(cl *Client) { cl.resolved = name } }

// New returns a client for the project (id or identifier) of the Redmine
// at baseURL, authenticating with apiKey.
func New(baseURL, apiKey, project string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: redmine URL %q", ticket.ErrInvalid, baseURL)
	}
	if apiKey == "" || project == "" {
		return nil, fmt.Errorf("%w: redmine API key and project are required", ticket.ErrInvalid)
	}
	c := &Client{base: u, key: apiKey, project: project, resolved: "Resolved",
		http: &http.Client{Timeout: 15 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// APIError is a non-2xx answer from Redmine. It wraps ticket.ErrRejected
// for 4xx answers and ticket.ErrUnavailable for 5xx.
type APIError struct {
	// Method and Path name the request (without the query).
	Method, Path string
	// Status is Redmine's HTTP status.
	Status int
	// Messages are Redmine's validation messages (422 {"errors":[...]}).
	Messages []string
}

// Error names the request and Redmine's messages.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("redmine: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if len(e.Messages) > 0 {
		msg += ": " + strings.Join(e.Messages, "; ")
	}
	return msg
}

// Unwrap classifies the error for errors.Is.
func (e *APIError) Unwrap() error {
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		return ticket.ErrUnavailable
	}
	return ticket.ErrRejected
}

// markerKeyMax bounds the key's length in a marker, so that the marker
// always fits in a subject whatever the payload put in the key.
const markerKeyMax = 100

// Marker is the text appended to the subject of the issue for key. A key
// longer than 100 bytes (or not valid UTF-8) is shortened to its first 60
// bytes and a SHA-256 digest of the whole, which still identifies it.
func Marker(key string) string {
	if len(key) > markerKeyMax || !utf8.ValidString(key) {
		sum := sha256.Sum256([]byte(key))
		head := strings.ToValidUTF8(key[:min(len(key), 60)], "")
		key = head + "~" + hex.EncodeToString(sum[:12])
	}
	return "[hookgen:" + key + "]"
}

func subject(title, key string) string {
	m := " " + Marker(key)
	// A subject is one line: control characters (newlines from a payload)
	// become spaces.
	title = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, title)
	r := []rune(strings.TrimSpace(title))
	if room := subjectMax - len([]rune(m)); len(r) > room {
		if room < 1 {
			room = 1
		}
		r = append(r[:room-1], '…')
	}
	return string(r) + m
}

type issueBody struct {
	ProjectID   string `json:"project_id,omitempty"`
	TrackerID   int    `json:"tracker_id,omitempty"`
	Subject     string `json:"subject,omitempty"`
	Description string `json:"description,omitempty"`
	Notes       string `json:"notes,omitempty"`
	StatusID    int    `json:"status_id,omitempty"`
}

// Status is an issue's status.
type Status struct {
	// ID is Redmine's id of the status; Name its name; IsClosed whether
	// Redmine counts it as closed.
	ID       int    `json:"id"`
	Name     string `json:"name"`
	IsClosed bool   `json:"is_closed"`
}

// Journal is one change of an issue: a note and/or attribute changes.
type Journal struct {
	// ID is the journal's id; Notes the comment (empty for attribute-only
	// changes); Details the attribute changes.
	ID      int    `json:"id"`
	Notes   string `json:"notes"`
	Details []struct {
		Property string `json:"property"`
		Name     string `json:"name"`
		OldValue string `json:"old_value"`
		NewValue string `json:"new_value"`
	} `json:"details"`
}

// Issue is a Redmine issue as Issue and Issues report it.
type Issue struct {
	// ID is the issue number; Subject includes the correlation marker;
	// Journals are present when read with Issue.
	ID          int       `json:"id"`
	Subject     string    `json:"subject"`
	Description string    `json:"description"`
	Status      Status    `json:"status"`
	Journals    []Journal `json:"journals"`
}

// Notes returns the issue's non-empty notes, oldest first.
func (i Issue) Notes() []string {
	var out []string
	for _, j := range i.Journals {
		if j.Notes != "" {
			out = append(out, j.Notes)
		}
	}
	return out
}

func (i Issue) ticket() ticket.Ticket {
	s := i.Subject
	if k := strings.LastIndex(s, " [hookgen:"); k >= 0 && strings.HasSuffix(s, "]") {
		s = s[:k]
	}
	return ticket.Ticket{ID: strconv.Itoa(i.ID), Subject: s, Status: i.Status.Name}
}

// Create opens an issue whose subject carries nt.Key.
func (c *Client) Create(ctx context.Context, nt ticket.NewTicket) (ticket.Ticket, error) {
	if nt.Key == "" {
		return ticket.Ticket{}, fmt.Errorf("%w: ticket without a correlation key", ticket.ErrInvalid)
	}
	body := issueBody{ProjectID: c.project, TrackerID: c.trackerID, Subject: subject(nt.Subject, nt.Key), Description: nt.Description}
	var out struct {
		Issue Issue `json:"issue"`
	}
	if err := c.do(ctx, http.MethodPost, "/issues.json", nil, map[string]any{"issue": body}, &out); err != nil {
		return ticket.Ticket{}, err
	}
	return out.Issue.ticket(), nil
}

// Update adds ch.Note and, when ch.Subject is set, retitles issue id
// (keeping the correlation marker of ch.Key).
func (c *Client) Update(ctx context.Context, id string, ch ticket.Change) error {
	body := issueBody{Notes: ch.Note}
	if ch.Subject != "" {
		body.Subject = subject(ch.Subject, ch.Key)
	}
	return c.do(ctx, http.MethodPut, "/issues/"+url.PathEscape(id)+".json", nil, map[string]any{"issue": body}, nil)
}

// Resolve moves issue id to the resolved status with reason as its note.
func (c *Client) Resolve(ctx context.Context, id, reason string) error {
	sid, err := c.resolvedStatus(ctx)
	if err != nil {
		return err
	}
	body := issueBody{StatusID: sid, Notes: reason}
	return c.do(ctx, http.MethodPut, "/issues/"+url.PathEscape(id)+".json", nil, map[string]any{"issue": body}, nil)
}

// FindByCorrelation returns the project's issue, in any status, whose
// subject ends with key's marker.
func (c *Client) FindByCorrelation(ctx context.Context, key string) (ticket.Ticket, bool, error) {
	m := Marker(key)
	q := url.Values{"project_id": {c.project}, "status_id": {"*"}, "subject": {"~" + m}, "limit": {"100"}, "sort": {"id"}}
	var out struct {
		Issues []Issue `json:"issues"`
	}
	if err := c.do(ctx, http.MethodGet, "/issues.json", q, nil, &out); err != nil {
		return ticket.Ticket{}, false, err
	}
	for _, i := range out.Issues {
		if strings.HasSuffix(i.Subject, " "+m) {
			return i.ticket(), true, nil
		}
	}
	return ticket.Ticket{}, false, nil
}

// Issue returns issue id with its journals.
func (c *Client) Issue(ctx context.Context, id string) (Issue, error) {
	var out struct {
		Issue Issue `json:"issue"`
	}
	err := c.do(ctx, http.MethodGet, "/issues/"+url.PathEscape(id)+".json", url.Values{"include": {"journals"}}, nil, &out)
	return out.Issue, err
}

// Issues returns every issue of the project in any status (up to 100,
// oldest first), without journals.
func (c *Client) Issues(ctx context.Context) ([]Issue, error) {
	var out struct {
		Issues []Issue `json:"issues"`
	}
	q := url.Values{"project_id": {c.project}, "status_id": {"*"}, "limit": {"100"}, "sort": {"id"}}
	err := c.do(ctx, http.MethodGet, "/issues.json", q, nil, &out)
	return out.Issues, err
}

func (c *Client) resolvedStatus(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.statusID != 0 {
		return c.statusID, nil
	}
	var out struct {
		Statuses []Status `json:"issue_statuses"`
	}
	if err := c.do(ctx, http.MethodGet, "/issue_statuses.json", nil, nil, &out); err != nil {
		return 0, err
	}
	for _, s := range out.Statuses {
		if strings.EqualFold(s.Name, c.resolved) {
			c.statusID = s.ID
			return s.ID, nil
		}
	}
	return 0, fmt.Errorf("%w: redmine has no issue status named %q", ticket.ErrRejected, c.resolved)
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("X-Redmine-API-Key", c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: redmine %s %s: %w", ticket.ErrUnavailable, method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%w: redmine %s %s: %w", ticket.ErrUnavailable, method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &APIError{Method: method, Path: path, Status: resp.StatusCode}
		var e struct {
			Errors []string `json:"errors"`
		}
		if json.Unmarshal(raw, &e) == nil {
			apiErr.Messages = e.Errors
		}
		return apiErr
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("redmine: %s %s: decoding answer: %w", method, path, err)
	}
	return nil
}

var _ ticket.Tracker = (*Client)(nil)

// IsValidation reports whether err is Redmine's 422 answer, and its messages.
func IsValidation(err error) ([]string, bool) {
	var e *APIError
	if errors.As(err, &e) && e.Status == http.StatusUnprocessableEntity {
		return e.Messages, true
	}
	return nil, false
}
