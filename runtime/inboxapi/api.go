package inboxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/store"
)

// Prefix is the path under which Handler serves.
const Prefix = "/admin/inbox"

// Admin is what the operator does with an inbox; every store.Inbox and
// *Client implement it.
type Admin interface {
	List(ctx context.Context, q store.Query) (store.Page, error)
	GetEntry(ctx context.Context, family, id string) (store.Entry, error)
	Replay(ctx context.Context, family, id string) error
	Purge(ctx context.Context, q store.Query) (int, error)
}

// Entry is the JSON form of a store.Entry.
type Entry struct {
	ID         string      `json:"id"`
	Family     string      `json:"family"`
	Webhook    string      `json:"webhook"`
	Event      string      `json:"event"`
	Key        string      `json:"key"`
	Entity     string      `json:"entity,omitempty"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	RawQuery   string      `json:"raw_query,omitempty"`
	Header     http.Header `json:"headers,omitempty"`
	Body       []byte      `json:"body,omitempty"`
	ReceivedAt time.Time   `json:"received_at"`
	State      string      `json:"state"`
	Reason     string      `json:"reason,omitempty"`
	Attempts   int         `json:"attempts"`
	NextAt     time.Time   `json:"next_at,omitzero"`
	LastError  string      `json:"last_error,omitempty"`
	Duplicates int         `json:"duplicates"`
	UpdatedAt  time.Time   `json:"updated_at,omitzero"`
}

// FromStore converts a store entry to its JSON form.
func FromStore(e store.Entry) Entry {
	return Entry{ID: e.ID, Family: e.Family, Webhook: e.Webhook, Event: e.Event, Key: e.Key, Entity: e.Entity,
		Method: e.Method, Path: e.Path, RawQuery: e.RawQuery, Header: e.Header, Body: e.Body, ReceivedAt: e.ReceivedAt,
		State: e.State.String(), Reason: e.Reason, Attempts: e.Attempts, NextAt: e.NextAt, LastError: e.LastError,
		Duplicates: e.Duplicates, UpdatedAt: e.UpdatedAt}
}

// ToStore converts the JSON form back; an unknown state is an error.
func (e Entry) ToStore() (store.Entry, error) {
	st, ok := store.ParseEntryState(e.State)
	if !ok {
		return store.Entry{}, fmt.Errorf("inboxapi: entry %s: unknown state %q", e.ID, e.State)
	}
	return store.Entry{ID: e.ID, Family: e.Family, Webhook: e.Webhook, Event: e.Event, Key: e.Key, Entity: e.Entity,
		Method: e.Method, Path: e.Path, RawQuery: e.RawQuery, Header: e.Header, Body: e.Body, ReceivedAt: e.ReceivedAt,
		State: st, Reason: e.Reason, Attempts: e.Attempts, NextAt: e.NextAt, LastError: e.LastError,
		Duplicates: e.Duplicates, UpdatedAt: e.UpdatedAt}, nil
}

// page is the JSON form of a store.Page.
type page struct {
	Entries []Entry `json:"entries"`
	Next    string  `json:"next,omitempty"`
}

type purged struct {
	Purged int `json:"purged"`
}

// Handler serves the admin API of inbox (nil: every request is answered
// 501).
func Handler(inbox Admin) http.Handler {
	h := &handler{inbox: inbox}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix, h.list)
	mux.HandleFunc("DELETE "+Prefix, h.purge)
	mux.HandleFunc("GET "+Prefix+"/{family}/{id}", h.get)
	mux.HandleFunc("POST "+Prefix+"/{family}/{id}/replay", h.replay)
	return mux
}

type handler struct{ inbox Admin }

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query())
	if h.check(w, err) {
		return
	}
	p, err := h.inbox.List(r.Context(), q)
	if h.check(w, err) {
		return
	}
	out := page{Entries: make([]Entry, len(p.Entries)), Next: p.Next}
	for i, e := range p.Entries {
		out.Entries[i] = FromStore(e)
	}
	writeJSON(w, out)
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	if h.inbox == nil {
		h.check(w, store.ErrUnsupported)
		return
	}
	e, err := h.inbox.GetEntry(r.Context(), r.PathValue("family"), r.PathValue("id"))
	if h.check(w, err) {
		return
	}
	writeJSON(w, FromStore(e))
}

func (h *handler) replay(w http.ResponseWriter, r *http.Request) {
	if h.inbox == nil {
		h.check(w, store.ErrUnsupported)
		return
	}
	if h.check(w, h.inbox.Replay(r.Context(), r.PathValue("family"), r.PathValue("id"))) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) purge(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query())
	if h.check(w, err) {
		return
	}
	n, err := h.inbox.Purge(r.Context(), q)
	if h.check(w, err) {
		return
	}
	writeJSON(w, purged{Purged: n})
}

// errBadParam marks a malformed query parameter.
var errBadParam = errors.New("inboxapi: bad parameter")

// check answers err as a problem document and reports whether it did.
func (h *handler) check(w http.ResponseWriter, err error) bool {
	if err == nil && h.inbox == nil {
		err = store.ErrUnsupported
	}
	if err == nil {
		return false
	}
	status, title := http.StatusServiceUnavailable, "Store unavailable"
	switch {
	case errors.Is(err, errBadParam), errors.Is(err, store.ErrInvalid):
		status, title = http.StatusBadRequest, "Bad request"
	case errors.Is(err, store.ErrNotFound):
		status, title = http.StatusNotFound, "Not found"
	case errors.Is(err, store.ErrUnsupported):
		status, title = http.StatusNotImplemented, "No inbox"
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	runtime.WriteProblem(w, runtime.Problem{Type: runtime.ProblemTypeBase + "inbox-admin", Title: title, Status: status,
		Detail: runtime.Truncate(err.Error(), runtime.MaxDetail)})
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ParseQuery reads family, state, since, before, after and limit.
func ParseQuery(v url.Values) (store.Query, error) {
	q := store.Query{Family: v.Get("family"), After: v.Get("after")}
	if s := v.Get("state"); s != "" {
		st, ok := store.ParseEntryState(s)
		if !ok {
			return q, fmt.Errorf("%w: state %q: want pending, done or dead", errBadParam, s)
		}
		q.State = st
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "before": &q.Before} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, fmt.Errorf("%w: %s %q: want an RFC 3339 time", errBadParam, name, s)
			}
			*dst = t
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, fmt.Errorf("%w: limit %q: want a number", errBadParam, s)
		}
		q.Limit = n
	}
	return q, nil
}

// Values is the inverse of ParseQuery.
func Values(q store.Query) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("family", q.Family)
	if q.State != 0 {
		set("state", q.State.String())
	}
	if !q.Since.IsZero() {
		set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Before.IsZero() {
		set("before", q.Before.Format(time.RFC3339Nano))
	}
	set("after", q.After)
	if q.Limit > 0 {
		set("limit", strconv.Itoa(q.Limit))
	}
	return v
}
