package receiver

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/schema"
)

// utf8BOM is the UTF-8 byte order mark, which RFC 8259 forbids in JSON sent
// over the network.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// admit is the first part of the read stage: it checks the request line and
// the headers that say how to read the body (method, Content-Type, charset,
// Content-Encoding, Content-Length) before a byte of the body is read.
func (f *flight) admit() *verdict {
	e, hr := f.e, f.hr
	if !slices.Contains(e.methods, hr.Method) {
		f.w.Header().Set("Allow", e.allow)
		return &verdict{out: OutcomeMethodNotAllowed, err: runtime.ErrMethodNotAllowed}
	}
	f.enc = e.wh.Encoding[hr.Method]
	if f.enc == 0 {
		f.enc = runtime.JSONBody
	}
	if f.enc == runtime.JSONBody {
		if err := e.checkContentType(hr.Header.Get("Content-Type")); err != nil {
			return &verdict{out: OutcomeUnsupportedMediaType, err: err}
		}
	}
	gz, err := contentCoding(hr.Header.Values("Content-Encoding"))
	if err != nil {
		return &verdict{out: OutcomeUnsupportedMediaType, err: err}
	}
	f.gzip = gz
	if hr.ContentLength > e.r.policy.MaxBodyBytes {
		return &verdict{out: OutcomeTooLarge, err: runtime.ErrTooLarge}
	}
	f.newRequest()
	return nil
}

// checkContentType accepts ct when its media type is one of the webhook's
// (case-insensitive) and its charset parameter, if any, is UTF-8. A missing
// Content-Type is accepted in lenient mode only.
func (e *endpoint) checkContentType(ct string) error {
	if strings.TrimSpace(ct) == "" {
		if e.r.strict {
			return runtime.ErrUnsupportedMediaType
		}
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		// Unparsable parameters: judge the media type alone, and refuse
		// any charset we cannot read.
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if strings.Contains(strings.ToLower(ct), "charset") {
			return &runtime.MediaTypeError{Header: "Content-Type", Value: ct}
		}
	}
	if !slices.Contains(e.ctypes, mt) {
		return runtime.ErrUnsupportedMediaType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return &runtime.MediaTypeError{Header: "Content-Type", Value: cs}
	}
	return nil
}

// contentCoding reads the Content-Encoding header values: none or
// "identity" reads the body as is, "gzip" (or "x-gzip") decodes it, and
// anything else, including several stacked codings, is refused with a
// *runtime.MediaTypeError naming it.
func contentCoding(values []string) (gzipped bool, err error) {
	var codings []string
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return false, nil
	case len(codings) == 1 && (codings[0] == "gzip" || codings[0] == "x-gzip"):
		return true, nil
	default:
		return false, &runtime.MediaTypeError{Header: "Content-Encoding", Value: strings.Join(codings, ", ")}
	}
}

// readBody is the second part of the read stage: one bounded read into the
// pooled buffer. The limit applies to the bytes on the wire and, for a gzip
// body, to the decoded bytes too, so that a small compressed bomb is
// answered 413 after at most MaxBodyBytes of output. A body that starts
// with a UTF-8 byte order mark is answered 400.
func (f *flight) readBody() *verdict {
	r, hr := f.e.r, f.hr
	f.buf = r.bufs.Get().(*bytes.Buffer)
	f.buf.Reset()
	if hr.Body != nil && hr.Body != http.NoBody {
		limit := r.policy.MaxBodyBytes
		var src io.Reader = http.MaxBytesReader(f.w, hr.Body, limit)
		if f.gzip {
			zr, err := gzip.NewReader(src)
			if err != nil {
				return f.readFailed(err, "the gzip body could not be decoded")
			}
			defer zr.Close()
			src = zr
		}
		// One byte past the limit tells "exactly at the limit" from "over".
		n, err := f.buf.ReadFrom(io.LimitReader(src, limit+1))
		if err != nil {
			msg := "the body could not be read"
			if f.gzip {
				msg = "the gzip body could not be decoded"
			}
			return f.readFailed(err, msg)
		}
		if n > limit {
			return &verdict{out: OutcomeTooLarge, err: runtime.ErrTooLarge}
		}
	}
	raw := f.buf.Bytes()
	if f.enc == runtime.JSONBody {
		if v := checkUTF8(raw); v != nil {
			return v
		}
	}
	f.req.Raw, f.req.Body = raw, raw
	return nil
}

// newRequest builds the runtime.Request of the delivery, without its body:
// header-only authentication reads it before the body is read.
func (f *flight) newRequest() {
	hr := f.hr
	f.req = &runtime.Request{
		Method:     hr.Method,
		Path:       hr.URL.Path,
		Webhook:    f.e.wh.Name,
		Header:     hr.Header,
		PathParams: mux.Vars(hr),
		ReceivedAt: f.start,
		RemoteAddr: hr.RemoteAddr,
	}
	if hr.URL.RawQuery != "" {
		// Parse errors other than the limit (a bad escape) drop the pair,
		// as url.Query does.
		f.req.Query, f.queryErr = url.ParseQuery(hr.URL.RawQuery)
	} // else nil: reads work, no allocation
}

// maxQueryParams is the limit net/url puts on the parameters of one query
// (GODEBUG urlmaxqueryparams); past it the whole query is refused.
const maxQueryParams = 10000

// checkQuery refuses a query that net/url would not parse whole: over the
// parameter limit, the query would silently be lost.
func (f *flight) checkQuery() *verdict {
	if f.queryErr == nil || !strings.Contains(f.queryErr.Error(), "exceeded limit") {
		return nil
	}
	return &verdict{out: OutcomeInvalid, err: &runtime.ValidationError{Errors: []runtime.FieldError{{
		Rule: "query", Message: "the query has more parameters than the limit of " + strconv.Itoa(maxQueryParams),
	}}}}
}

// checkUTF8 refuses a JSON body that is not UTF-8 (RFC 8259 section 8.1):
// a leading byte order mark, or an invalid byte sequence, named by its
// byte offset.
func checkUTF8(raw []byte) *verdict {
	rule, msg := "syntax", ""
	switch {
	case bytes.HasPrefix(raw, utf8BOM):
		msg = "the body starts with a UTF-8 byte order mark (EF BB BF), which JSON forbids (RFC 8259 section 8.1): send the JSON text without it"
	case !utf8.Valid(raw):
		// The payload parser's rule and wording for the same refusal.
		rule, msg = schema.RuleUTF8, "invalid UTF-8 at byte "+strconv.Itoa(invalidUTF8At(raw))
	default:
		return nil
	}
	return &verdict{out: OutcomeInvalid, err: &runtime.ValidationError{Errors: []runtime.FieldError{{Rule: rule, Message: msg}}}}
}

// invalidUTF8At returns the offset of the first invalid UTF-8 sequence.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// readFailed answers a body that could not be read: 413 past the limit,
// else 400 with a fixed message (the I/O error is logged, not answered).
func (f *flight) readFailed(err error, msg string) *verdict {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &verdict{out: OutcomeTooLarge, err: runtime.ErrTooLarge}
	}
	return &verdict{out: OutcomeInvalid, err: &runtime.ValidationError{Errors: []runtime.FieldError{
		{Rule: "syntax", Message: msg},
	}}}
}

// releaseBuffer returns the body buffer to the pool.
func (f *flight) releaseBuffer() {
	if f.buf != nil && f.buf.Cap() <= maxPooledBuffer {
		f.e.r.bufs.Put(f.buf)
	}
	f.buf = nil
}
