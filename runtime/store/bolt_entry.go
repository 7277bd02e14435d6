package store

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"time"
)

// The stored form of a bolt inbox entry. Strings are kept byte for byte
// (ids and entities are attacker-chosen and may hold any bytes, which a
// JSON encoding would not keep).
//
//	v1: 0x01 then, each uvarint-length-prefixed unless noted:
//	    family id webhook event key entity method path rawQuery
//	    header (uvarint count, then per key: key, uvarint n, n values)
//	    body  receivedAt:time state:uvarint reason attempts:uvarint
//	    nextAt:time lastError duplicates:uvarint updatedAt:time
//	    token leaseUntil:varint (Unix microseconds)
//	time: 0x00 for the zero time, else 0x01 and a varint of Unix microseconds

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTimeField(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixMicro())
}

func (d *decoder) time() time.Time {
	if len(d.b) == 0 {
		d.bad = true
		return time.Time{}
	}
	flag := d.b[0]
	d.b = d.b[1:]
	if flag == 0 {
		return time.Time{}
	}
	return time.UnixMicro(d.varint()).UTC()
}

// encode returns the stored form of e.
func (e *boltEntry) encode() []byte {
	b := make([]byte, 0, 128+len(e.Body))
	b = append(b, encodingV1)
	for _, s := range []string{e.Family, e.ID, e.Webhook, e.Event, e.Key, e.Entity, e.Method, e.Path, e.RawQuery} {
		b = appendStr(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Header)))
	for k, vs := range e.Header {
		b = appendStr(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendStr(b, v)
		}
	}
	b = appendStr(b, string(e.Body))
	b = appendTimeField(b, e.ReceivedAt)
	b = binary.AppendUvarint(b, uint64(e.State))
	b = appendStr(b, e.Reason)
	b = binary.AppendUvarint(b, uint64(e.Attempts))
	b = appendTimeField(b, e.NextAt)
	b = appendStr(b, e.LastError)
	b = binary.AppendUvarint(b, uint64(e.Duplicates))
	b = appendTimeField(b, e.UpdatedAt)
	b = appendStr(b, e.Token)
	return binary.AppendVarint(b, e.LeaseUntil)
}

// decodeEntry parses the stored form of an entry.
func decodeEntry(v []byte) (*boltEntry, error) {
	if len(v) == 0 || v[0] != encodingV1 {
		return nil, fmt.Errorf("%w: entry encoding %v", errCorrupt, head(v))
	}
	d := decoder{b: v[1:]}
	e := new(boltEntry)
	for _, p := range []*string{&e.Family, &e.ID, &e.Webhook, &e.Event, &e.Key, &e.Entity, &e.Method, &e.Path, &e.RawQuery} {
		*p = d.str()
	}
	if n := d.uvarint(); n > 0 && !d.bad {
		if n > uint64(len(d.b)) {
			return nil, fmt.Errorf("%w: entry header count %d", errCorrupt, n)
		}
		e.Header = make(http.Header, n)
		for range n {
			k := d.str()
			m := d.uvarint()
			if d.bad || m > uint64(len(d.b)) {
				return nil, fmt.Errorf("%w: entry header", errCorrupt)
			}
			vs := make([]string, m)
			for i := range vs {
				vs[i] = d.str()
			}
			e.Header[k] = vs
		}
	}
	if body := d.str(); body != "" {
		e.Body = []byte(body)
	}
	e.ReceivedAt = d.time()
	e.State = EntryState(d.uvarint())
	e.Reason = d.str()
	e.Attempts = int(d.uvarint())
	e.NextAt = d.time()
	e.LastError = d.str()
	e.Duplicates = int(d.uvarint())
	e.UpdatedAt = d.time()
	e.Token = d.str()
	e.LeaseUntil = d.varint()
	if d.bad || len(d.b) != 0 {
		return nil, fmt.Errorf("%w: entry of %d bytes", errCorrupt, len(v))
	}
	return e, nil
}
