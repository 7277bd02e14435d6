package serve

import (
	"bytes"
	"net/http"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4096)) }}

// ReadBody reads r's body, capped at [MaxBody], into a pooled buffer; give
// it back with PutBuffer when done with its bytes.
func ReadBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBody)); err != nil {
		PutBuffer(buf)
		return nil, err
	}
	return buf, nil
}

// PutBuffer returns a buffer obtained from ReadBody to the pool.
func PutBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 {
		bufPool.Put(b)
	}
}
