package expr

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/hookgen/hookgen/runtime"
)

// ErrSyntax is wrapped by every error [Parse] returns for a malformed
// expression (see [SyntaxError]).
var ErrSyntax = errors.New("expr: invalid runtime expression")

// SyntaxError reports a malformed runtime expression: where it went wrong and
// what is allowed there. It wraps [ErrSyntax] and runtime.ErrConfig, since
// expressions come from the spec or the configuration.
type SyntaxError struct {
	// Expr is the expression as given.
	Expr string
	// Offset is the byte offset in Expr where the problem is.
	Offset int
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error returns `expr: invalid runtime expression "…" at offset N: msg`.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("expr: invalid runtime expression %q at offset %d: %s", e.Expr, e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) and errors.Is(err,
// runtime.ErrConfig) true.
func (e *SyntaxError) Unwrap() []error { return []error{ErrSyntax, runtime.ErrConfig} }

// allowed is the list of supported forms, quoted in syntax errors.
const allowed = "allowed: $method, $url, $request.header.<token>, $request.query.<name>, " +
	"$request.path.<name>, $request.body, $request.body#<json-pointer>"

// source says where an expression takes its value from.
type source uint8

const (
	srcNone source = iota
	srcMethod
	srcURL
	srcHeader
	srcQuery
	srcPath
	srcBodyHash
	srcBodyPointer
)

// Expr is a parsed runtime expression. The zero Expr is not valid; build one
// with [Parse]. An Expr is an immutable value, safe for concurrent use.
type Expr struct {
	text   string
	src    source
	name   string   // header (canonical form), query or path parameter name
	tokens []string // unescaped JSON pointer reference tokens
}

// String returns the expression as it was given to [Parse].
func (e Expr) String() string { return e.text }

// IsZero reports whether e is the zero Expr (not built by Parse).
func (e Expr) IsZero() bool { return e.src == srcNone }

// Parse parses one runtime expression. The accepted forms are
//
//	$method                       the HTTP method
//	$url                          the path, plus "?" and the re-encoded query when there is one
//	$request.header.<token>       a header (case-insensitive), first value
//	$request.query.<name>         a query parameter (case-sensitive), first value
//	$request.path.<name>          a path parameter
//	$request.body                 "sha256:" + hex SHA-256 of the body
//	$request.body#<json-pointer>  the value an RFC 6901 pointer designates in the JSON body
//
// <token> is an RFC 9110 token; <name> is any non-empty text without control
// characters; <json-pointer> is "" (the whole document) or a sequence of
// "/"-prefixed reference tokens in which "~0" stands for "~" and "~1" for
// "/" (no percent-decoding). Errors are *SyntaxError values that name the
// offset and what is allowed there.
func Parse(s string) (Expr, error) {
	fail := func(off int, format string, args ...any) (Expr, error) {
		return Expr{}, &SyntaxError{Expr: s, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case s == "":
		return fail(0, "empty expression; %s", allowed)
	case s[0] != '$':
		return fail(0, "expression must start with '$'; %s", allowed)
	case s == "$method":
		return Expr{text: s, src: srcMethod}, nil
	case s == "$url":
		return Expr{text: s, src: srcURL}, nil
	case strings.HasPrefix(s, "$method"):
		return fail(len("$method"), "unexpected text after $method")
	case strings.HasPrefix(s, "$url"):
		return fail(len("$url"), "unexpected text after $url")
	case strings.HasPrefix(s, "$response.") || s == "$response" || s == "$statusCode":
		return fail(0, "response expressions are not available when receiving; %s", allowed)
	case !strings.HasPrefix(s, "$request."):
		if s == "$request" {
			return fail(len(s), "missing source after $request; allowed: .header.<token>, .query.<name>, .path.<name>, .body, .body#<json-pointer>")
		}
		return fail(0, "unknown expression; %s", allowed)
	}
	const reqLen = len("$request.")
	rest := s[reqLen:]
	switch {
	case strings.HasPrefix(rest, "header."):
		off := reqLen + len("header.")
		name := s[off:]
		if name == "" {
			return fail(off, "empty header name; allowed: an RFC 9110 token")
		}
		for i := 0; i < len(name); i++ {
			if !isTokenChar(name[i]) {
				return fail(off+i, "invalid character %q in header name; allowed: an RFC 9110 token (letters, digits and !#$%%&'*+-.^_`|~)", name[i])
			}
		}
		return Expr{text: s, src: srcHeader, name: textproto.CanonicalMIMEHeaderKey(name)}, nil
	case strings.HasPrefix(rest, "query."), strings.HasPrefix(rest, "path."):
		src, off := srcQuery, reqLen+len("query.")
		what := "query parameter"
		if strings.HasPrefix(rest, "path.") {
			src, off, what = srcPath, reqLen+len("path."), "path parameter"
		}
		name := s[off:]
		if name == "" {
			return fail(off, "empty %s name; allowed: any non-empty text without control characters", what)
		}
		if !utf8.ValidString(name) {
			return fail(off, "%s name is not valid UTF-8", what)
		}
		for i := 0; i < len(name); i++ {
			if name[i] < 0x20 || name[i] == 0x7f {
				return fail(off+i, "invalid character %q in %s name; allowed: any non-empty text without control characters", name[i], what)
			}
		}
		return Expr{text: s, src: src, name: name}, nil
	case rest == "body":
		return Expr{text: s, src: srcBodyHash}, nil
	case strings.HasPrefix(rest, "body#"):
		off := reqLen + len("body#")
		tokens, perr := parsePointer(s[off:])
		if perr != nil {
			return fail(off+perr.offset, "%s", perr.msg)
		}
		return Expr{text: s, src: srcBodyPointer, tokens: tokens}, nil
	case strings.HasPrefix(rest, "body"):
		return fail(reqLen+len("body"), "unexpected text after $request.body; allowed: nothing or '#' followed by a JSON pointer")
	default:
		return fail(reqLen, "unknown request source; allowed: header.<token>, query.<name>, path.<name>, body, body#<json-pointer>")
	}
}

// MustParse is like [Parse] but panics on error. It is meant for generated
// code and tests whose expressions are constants.
func MustParse(s string) Expr {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

// isTokenChar reports whether c is an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

type pointerError struct {
	offset int
	msg    string
}

// parsePointer splits an RFC 6901 pointer into unescaped reference tokens.
// "" is the whole document (nil tokens).
func parsePointer(p string) ([]string, *pointerError) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, &pointerError{0, "JSON pointer must be empty or start with '/'"}
	}
	if !utf8.ValidString(p) {
		return nil, &pointerError{0, "JSON pointer is not valid UTF-8"}
	}
	tokens := make([]string, 0, strings.Count(p, "/"))
	start := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			if p[i] == '~' && (i+1 >= len(p) || p[i+1] != '0' && p[i+1] != '1') {
				return nil, &pointerError{i, "invalid escape in JSON pointer; allowed: ~0 (for ~) and ~1 (for /)"}
			}
			continue
		}
		tok := p[start:i]
		if strings.IndexByte(tok, '~') >= 0 {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		}
		tokens = append(tokens, tok)
		start = i + 1
	}
	return tokens, nil
}

// Eval evaluates e against req. ok is false when the expression resolves to
// nothing: a missing header, query or path parameter, a JSON pointer that
// designates no value, or an empty (or all-whitespace) body for the body
// forms. err is non-nil only when the body is needed and is not valid JSON
// (an error wrapping [ErrInvalidJSON]), or when e is the zero Expr or req is
// nil.
//
// A Value resolved from the body refers to req.Body and must not be retained
// after the delivery completes; its String method returns a copy.
func (e Expr) Eval(req *runtime.Request) (v Value, ok bool, err error) {
	if req == nil {
		return Value{}, false, errors.New("expr: Eval with a nil request")
	}
	switch e.src {
	case srcMethod:
		return found1(req.Method, req.Method != "")
	case srcURL:
		u := req.Path
		if len(req.Query) > 0 {
			u += "?" + req.Query.Encode()
		}
		return found1(u, u != "")
	case srcHeader:
		s, found := headerValue(req.Header, e.name)
		return found1(s, found)
	case srcQuery:
		vs, found := req.Query[e.name]
		if !found || len(vs) == 0 {
			return Value{}, false, nil
		}
		return stringValue(vs[0]), true, nil
	case srcPath:
		s, found := req.PathParams[e.name]
		return found1(s, found)
	case srcBodyHash:
		if isBlank(req.Body) {
			return Value{}, false, nil
		}
		sum := sha256.Sum256(req.Body)
		return stringValue("sha256:" + hex.EncodeToString(sum[:])), true, nil
	case srcBodyPointer:
		if req.Document != nil {
			if v, found, ok := documentValue(req.Document, e.tokens); ok {
				return v, found, nil
			}
		}
		if isBlank(req.Body) {
			return Value{}, false, nil
		}
		raw, found, err := lookup(req.Body, e.tokens)
		if err != nil || !found {
			return Value{}, false, err
		}
		return jsonValue(raw), true, nil
	}
	return Value{}, false, errors.New("expr: Eval on a zero Expr")
}

// found1 returns the string value s when found, else the zero Value.
func found1(s string, found bool) (Value, bool, error) {
	if !found {
		return Value{}, false, nil
	}
	return stringValue(s), true, nil
}

// headerValue returns the first value of the header name (given in
// canonical form), falling back to a case-insensitive scan for headers that
// were stored under a non-canonical key.
func headerValue(h http.Header, canonical string) (string, bool) {
	if vs, ok := h[canonical]; ok && len(vs) > 0 {
		return vs[0], true
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, canonical) {
			return vs[0], true
		}
	}
	return "", false
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
