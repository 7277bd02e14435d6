package specserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hookgen/hookgen/runtime/inboxapi"
	"github.com/hookgen/hookgen/runtime/store"
)

// Record is one delivery kept in a store's inbox, as hookgen deliveries
// and hookgen inbox print it.
type Record struct {
	Family     string    `json:"family"`
	Webhook    string    `json:"webhook"`
	Event      string    `json:"event"`
	Key        string    `json:"key"`
	DeliveryID string    `json:"delivery_id"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	Attempts   int       `json:"attempts"`
	Duplicates int       `json:"duplicates"`
	ReceivedAt time.Time `json:"received_at"`
	NextAt     time.Time `json:"next_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Query      string    `json:"query,omitempty"`
	// Header holds the headers the receiver kept, credentials removed.
	Header http.Header `json:"headers,omitempty"`
	// Payload is the body when it is JSON; for a query-encoded delivery
	// with no body, the query as a JSON object of strings; else the body
	// as a JSON string.
	Payload json.RawMessage `json:"payload"`
}

// RecordOf converts an inbox entry.
func RecordOf(e store.Entry) Record {
	return Record{Family: e.Family, Webhook: e.Webhook, Event: e.Event, Key: e.Key, DeliveryID: e.ID,
		State: e.State.String(), Reason: e.Reason, Attempts: e.Attempts, Duplicates: e.Duplicates,
		ReceivedAt: e.ReceivedAt.UTC(), NextAt: e.NextAt, UpdatedAt: e.UpdatedAt, LastError: e.LastError, Method: e.Method, Path: e.Path,
		Query: e.RawQuery, Header: e.Header, Payload: payloadOf(e)}
}

func payloadOf(e store.Entry) json.RawMessage {
	if len(e.Body) > 0 && json.Valid(e.Body) {
		return json.RawMessage(e.Body)
	}
	var v any = string(e.Body)
	if len(e.Body) == 0 && e.RawQuery != "" {
		if q, err := url.ParseQuery(e.RawQuery); err == nil {
			m := make(map[string]string, len(q))
			for k, vs := range q {
				m[k] = vs[0]
			}
			v = m
		}
	}
	b, _ := json.Marshal(v)
	return b
}

// ReadRecords reads every entry q selects (all pages), oldest first; with
// processedOnly, only the Done entries whose reason is "processed".
func ReadRecords(ctx context.Context, in inboxapi.Admin, q store.Query, processedOnly bool) ([]Record, error) {
	var out []Record
	q.Limit = store.MaxPageSize
	for {
		p, err := in.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, e := range p.Entries {
			if processedOnly && (e.State != store.EntryDone || e.Reason != store.ReasonProcessed) {
				continue
			}
			out = append(out, RecordOf(e))
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	slices.Reverse(out)
	return out, nil
}
