// Package query converts between URL query parameters and the JSON object a
// query-encoded webhook stands for. Butler sends the same event either as a
// JSON body (POST/PUT) or as query parameters (GET, encoded by WHATWG
// URLSearchParams); hookgen turns the query into the JSON document so that
// one validator and one decoder serve both, and its senders encode exactly
// as URLSearchParams does.
package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Field maps one query parameter to a JSON property.
type Field struct {
	// Query is the parameter name on the wire (Butler: "servicestatus").
	Query string
	// Property is the JSON property it stands for ("serviceStatus").
	Property string
	// Type is the JSON Schema type of the property: string, boolean,
	// integer, number, or "" for string. Values that do not parse as the
	// type are kept as strings, so that validation reports them with their
	// pointer instead of the conversion silently dropping them.
	Type string
	// Nullable says the literal "null" stands for JSON null.
	Nullable bool
}

// Absent is the literal that senders put in a query for a missing value
// (Butler sends JavaScript's "undefined"); such parameters are left out.
const Absent = "undefined"

// ToJSON builds the JSON object for q. Declared fields are converted by
// type; undeclared parameters are kept as strings under their own name
// (unknown fields are accepted, as in JSON bodies). The first value of a
// repeated parameter wins. Keys appear in fields order, then undeclared
// parameters sorted by name, so the output is deterministic.
func ToJSON(q url.Values, fields []Field) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	seen := make(map[string]bool, len(fields))
	add := func(prop string, raw []byte) {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(prop)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	for _, f := range fields {
		seen[f.Query] = true
		vs, ok := q[f.Query]
		if !ok || len(vs) == 0 || vs[0] == Absent {
			continue
		}
		add(f.Property, convert(vs[0], f))
	}
	extra := make([]string, 0)
	for k := range q {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		vs := q[k]
		if len(vs) == 0 || vs[0] == Absent {
			continue
		}
		s, _ := json.Marshal(vs[0])
		add(k, s)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func convert(v string, f Field) []byte {
	if f.Nullable && v == "null" {
		return []byte("null")
	}
	switch f.Type {
	case "boolean":
		if v == "true" || v == "false" {
			return []byte(v)
		}
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return []byte(v)
		}
	case "number":
		if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXnN_") {
			return []byte(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	s, _ := json.Marshal(v)
	return s
}

// Encode turns a JSON object into a query string the way WHATWG
// URLSearchParams serialises it (application/x-www-form-urlencoded: space as
// "+", every byte outside [A-Za-z0-9*-._] percent-encoded), keeping the
// object's key order. Properties are renamed per fields (JSON property →
// query name); scalars are written as their text (strings unquoted, null as
// "null"); nested objects and arrays are written as JSON text.
func Encode(body []byte, fields []Field) (string, error) {
	rename := make(map[string]string, len(fields))
	for _, f := range fields {
		rename[f.Property] = f.Query
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("query: payload is not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", fmt.Errorf("query: payload must be a JSON object")
	}
	var out strings.Builder
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("query: %w", err)
		}
		key := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", fmt.Errorf("query: %w", err)
		}
		var val string
		switch raw[0] {
		case '"':
			if err := json.Unmarshal(raw, &val); err != nil {
				return "", fmt.Errorf("query: %w", err)
			}
		default:
			val = string(compact(raw))
		}
		if q, ok := rename[key]; ok {
			key = q
		}
		if out.Len() > 0 {
			out.WriteByte('&')
		}
		out.WriteString(FormEscape(key))
		out.WriteByte('=')
		out.WriteString(FormEscape(val))
	}
	return out.String(), nil
}

func compact(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// FormEscape escapes s as the application/x-www-form-urlencoded serializer
// of the WHATWG URL standard does (what URLSearchParams.toString produces).
func FormEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Parse decodes a raw query string (with or without a leading "?", or a
// whole URL) the way a form decoder does; it is how `hookgen validate` and
// the test kit read a Butler GET example.
func Parse(s string) (url.Values, error) {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	return url.ParseQuery(s)
}
