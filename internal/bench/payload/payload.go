// Package payload supplies the benchmark's request bodies: the StackState
// "notification open" example of the project (openapi/examples/stackstate/
// docs-open.json, 1,954 bytes) with its notificationId replaced, request by
// request, by a fresh UUID, so that every request is a new delivery to the
// idempotency store.
package payload

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"sync/atomic"

	"github.com/hookgen/hookgen/openapi"
)

// OpenFile is the path of the payload inside openapi.FS().
const OpenFile = "examples/stackstate/docs-open.json"

// ErrNoID is returned by Split for a body without a notificationId string.
var ErrNoID = errors.New("payload: no notificationId in body")

// Open returns the StackState open payload. It panics if the embedded file
// is missing, which only a broken build can cause.
func Open() []byte {
	b, err := fs.ReadFile(openapi.FS(), OpenFile)
	if err != nil {
		panic(fmt.Sprintf("payload: %v", err))
	}
	return b
}

var idRe = regexp.MustCompile(`"notificationId"\s*:\s*"([^"]*)"`)

// Split cuts body around the value of its first notificationId: the
// request with id X is pre + X + post.
func Split(body []byte) (pre, post []byte, err error) {
	m := idRe.FindSubmatchIndex(body)
	if m == nil {
		return nil, nil, ErrNoID
	}
	return body[:m[2]], body[m[3]:], nil
}

// ID returns the UUID of request n of run run: version 4 and RFC 4122
// variant bits set, the run in the second group, n in the first and last.
// Distinct (run, n) pairs give distinct ids.
func ID(run uint16, n uint64) string {
	return fmt.Sprintf("%08x-%04x-4000-8000-%012x", uint32(n>>48), run, n&0xffffffffffff)
}

// Generator hands out bodies with unique ids; it is safe for concurrent use.
type Generator struct {
	pre, post []byte
	run       uint16
	n         atomic.Uint64
}

// NewGenerator returns a generator of body's shape for run run. It panics
// when body has no notificationId (use Split first to check foreign input).
func NewGenerator(body []byte, run uint16) *Generator {
	pre, post, err := Split(body)
	if err != nil {
		panic(err)
	}
	return &Generator{pre: pre, post: post, run: run}
}

// Next returns a new body with the next id.
func (g *Generator) Next() []byte {
	id := ID(g.run, g.n.Add(1))
	b := make([]byte, 0, len(g.pre)+len(id)+len(g.post))
	b = append(b, g.pre...)
	b = append(b, id...)
	return append(b, g.post...)
}

// Quote returns s as a Lua string literal (decimal escapes for every byte
// outside printable ASCII, the quote and the backslash).
func Quote(s []byte) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, c := range s {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
			continue
		}
		b.WriteString(`\` + strconv.Itoa(int(c)))
	}
	b.WriteByte('"')
	return b.String()
}
