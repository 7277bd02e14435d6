package inboxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/store"
)

// Client calls the admin API of a running receiver. Its errors wrap
// store.ErrNotFound, store.ErrUnsupported or store.ErrInvalid where the
// server answered 404, 501 or 400, for errors.Is.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client of the operations listener at base
// ("http://127.0.0.1:9090"), sending token as a bearer token when not
// empty. hc may be nil for http.DefaultClient.
func NewClient(base, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: inboxapi: admin URL %q: want http://HOST:PORT", store.ErrInvalid, base)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: hc}, nil
}

// List returns one page of entries.
func (c *Client) List(ctx context.Context, q store.Query) (store.Page, error) {
	var p page
	if err := c.do(ctx, http.MethodGet, Prefix+"?"+Values(q).Encode(), &p); err != nil {
		return store.Page{}, err
	}
	out := store.Page{Next: p.Next, Entries: make([]store.Entry, len(p.Entries))}
	for i, e := range p.Entries {
		se, err := e.ToStore()
		if err != nil {
			return store.Page{}, err
		}
		out.Entries[i] = se
	}
	return out, nil
}

// GetEntry returns one entry.
func (c *Client) GetEntry(ctx context.Context, family, id string) (store.Entry, error) {
	var e Entry
	if err := c.do(ctx, http.MethodGet, Prefix+"/"+url.PathEscape(family)+"/"+url.PathEscape(id), &e); err != nil {
		return store.Entry{}, err
	}
	return e.ToStore()
}

// Replay makes a Done or Dead entry Pending again.
func (c *Client) Replay(ctx context.Context, family, id string) error {
	return c.do(ctx, http.MethodPost, Prefix+"/"+url.PathEscape(family)+"/"+url.PathEscape(id)+"/replay", nil)
}

// Purge deletes the entries q selects and returns how many.
func (c *Client) Purge(ctx context.Context, q store.Query) (int, error) {
	q.After, q.Limit = "", 0
	var p purged
	err := c.do(ctx, http.MethodDelete, Prefix+"?"+Values(q).Encode(), &p)
	return p.Purged, err
}

func (c *Client) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("inboxapi: %w", err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 64<<20)
	if resp.StatusCode >= 300 {
		var pr runtime.Problem
		_ = json.NewDecoder(io.LimitReader(body, 64<<10)).Decode(&pr)
		return fmt.Errorf("inboxapi: %s %s: %d %s: %w", method, path, resp.StatusCode, pr.Detail, statusErr(resp.StatusCode))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(body).Decode(out); err != nil {
		return fmt.Errorf("inboxapi: %s %s: decode: %w", method, path, err)
	}
	return nil
}

// errAdmin is the failure of an admin call with no more specific cause.
var errAdmin = errors.New("inboxapi: request failed")

func statusErr(code int) error {
	switch code {
	case http.StatusNotFound:
		return store.ErrNotFound
	case http.StatusNotImplemented:
		return store.ErrUnsupported
	case http.StatusBadRequest:
		return store.ErrInvalid
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: unauthorized (set the operations token)", errAdmin)
	}
	return errAdmin
}
