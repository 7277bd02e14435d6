package receiver

import (
	"net/http"
	"net/url"

	"github.com/hookgen/hookgen/runtime"
)

// redacted replaces credential values in quarantined deliveries.
const redacted = "[REDACTED]"

// redaction knows which headers and query parameters carry credentials.
type redaction struct {
	headers []string // canonical header names
	query   []string // query parameter names
}

func newRedaction(fam *runtime.Family) redaction {
	rd := redaction{headers: []string{"Authorization", "Proxy-Authorization", "Cookie"}}
	for _, sc := range fam.Schemes {
		if sc.Kind == runtime.APIKey && sc.Param != "" {
			switch sc.In {
			case "header":
				rd.headers = append(rd.headers, http.CanonicalHeaderKey(sc.Param))
			case "query":
				rd.query = append(rd.query, sc.Param)
			}
		}
	}
	return rd
}

// apply returns copies of h and rawQuery with credential values replaced.
func (rd redaction) apply(h http.Header, rawQuery string) (http.Header, string) {
	out := h.Clone()
	for _, name := range rd.headers {
		if _, ok := out[name]; ok {
			out[name] = []string{redacted}
		}
	}
	if rawQuery == "" || len(rd.query) == 0 {
		return out, rawQuery
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return out, "" // cannot tell what is secret in it: drop it
	}
	changed := false
	for _, name := range rd.query {
		if _, ok := q[name]; ok {
			q[name] = []string{redacted}
			changed = true
		}
	}
	if changed {
		rawQuery = q.Encode()
	}
	return out, rawQuery
}
