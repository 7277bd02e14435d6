// Package difftest checks hookgen's compiled validators against
// kin-openapi, the oracle: every vector of a family and thousands of
// generated variants of its valid vectors (fields dropped, types changed,
// enum values replaced, strings emptied, unknown fields added) go through
// both, and their verdicts must agree in strict mode.
//
// Deliberate differences, documented in generator/README.md: in lenient
// (production) mode hookgen accepts unknown enum and discriminator values and
// malformed formats as warnings, and acknowledges unknown events; this
// harness runs hookgen in strict mode, where it must agree with kin exactly.
package difftest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
)

// Case is one payload sent through both validators.
type Case struct {
	Name    string
	Webhook string
	Method  string
	Body    []byte
	Query   string
	Header  http.Header
}

// Outcome is what the two validators said about one case.
type Outcome struct {
	Case
	Ours, Kin      bool // valid?
	OurErr, KinErr string
}

// Oracle validates requests with kin-openapi against one family's spec.
type Oracle struct {
	doc *openapi3.T
}

// NewOracle loads the family's spec.
func NewOracle(ctx context.Context, family string) (*Oracle, error) {
	doc, err := openapi.Load(ctx, family)
	if err != nil {
		return nil, err
	}
	return &Oracle{doc: doc}, nil
}

func acceptAll(context.Context, *openapi3filter.AuthenticationInput) error { return nil }

// Valid reports kin-openapi's verdict on c.
func (o *Oracle) Valid(c Case) (bool, string) {
	pi := o.doc.Webhooks[c.Webhook]
	if pi == nil {
		return false, "no webhook " + c.Webhook
	}
	op := pi.GetOperation(c.Method)
	if op == nil {
		return false, "no operation " + c.Method
	}
	u := "http://receiver.test/hook"
	if c.Query != "" {
		u += "?" + c.Query
	}
	var body *bytes.Reader
	if c.Query == "" {
		body = bytes.NewReader(c.Body)
	} else {
		body = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(c.Method, u, body)
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   &routers.Route{Spec: o.doc, Path: "/hook", PathItem: pi, Method: c.Method, Operation: op},
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      acceptAll,
			SchemaValidationOptions: openapi.SchemaValidationOptions(),
		},
	})
	if err != nil {
		return false, err.Error()
	}
	return true, ""
}

// Ours reports the strict verdict of the generated decoder of fam on c.
func Ours(fam *runtime.Family, c Case) (bool, string) {
	var w *runtime.Webhook
	for i := range fam.Webhooks {
		if fam.Webhooks[i].Name == c.Webhook {
			w = &fam.Webhooks[i]
		}
	}
	if w == nil {
		return false, "no webhook " + c.Webhook
	}
	req := &runtime.Request{Method: c.Method, Header: c.Header, Raw: c.Body, Body: c.Body}
	if c.Query != "" {
		q, err := url.ParseQuery(c.Query)
		if err != nil {
			return false, err.Error()
		}
		req.Query = q
		b, err := w.QueryBody(req)
		if err != nil {
			return false, err.Error()
		}
		req.Body = b
	}
	_, err := w.Decode(req, true)
	if err != nil {
		if errors.Is(err, runtime.ErrUnknownEvent) {
			return false, "unknown event"
		}
		return false, err.Error()
	}
	return true, ""
}

// Variants returns n deterministic variants of a valid JSON body: each
// applies one or two mutations at random places.
func Variants(base Case, n int, seed uint64) []Case {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(base.Body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]Case, 0, n)
	for i := 0; i < n; i++ {
		v := clone(doc)
		k := 1 + r.IntN(2)
		var desc []string
		for j := 0; j < k; j++ {
			var d string
			v, d = mutate(r, v)
			desc = append(desc, d)
		}
		b, _ := json.Marshal(v)
		c := base
		c.Name = fmt.Sprintf("%s~%d(%s)", base.Name, i, strings.Join(desc, ","))
		c.Body = b
		out = append(out, c)
	}
	return out
}

type slot struct {
	path []string
	get  func() any
	set  func(any)
	del  func()
}

// slots lists every value in the document with a setter and, for object
// members, a deleter.
func slots(root *any) []slot {
	var out []slot
	var walk func(v any, path []string, set func(any), del func())
	walk = func(v any, path []string, set func(any), del func()) {
		cur := v
		out = append(out, slot{path: path, get: func() any { return cur }, set: set, del: del})
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				k := k
				walk(x[k], append(append([]string{}, path...), k), func(nv any) { x[k] = nv }, func() { delete(x, k) })
			}
		case []any:
			for i := range x {
				i := i
				walk(x[i], append(append([]string{}, path...), fmt.Sprint(i)), func(nv any) { x[i] = nv }, nil)
			}
		}
	}
	walk(*root, nil, func(nv any) { *root = nv }, nil)
	return out
}

func mutate(r *rand.Rand, doc any) (any, string) {
	root := doc
	ss := slots(&root)
	s := ss[r.IntN(len(ss))]
	where := "/" + strings.Join(s.path, "/")
	switch r.IntN(8) {
	case 0:
		if s.del != nil {
			s.del()
			return root, "drop " + where
		}
		s.set(nil)
		return root, "null " + where
	case 1:
		s.set(json.Number(fmt.Sprint(r.IntN(1000))))
		return root, "int " + where
	case 2:
		s.set("x" + fmt.Sprint(r.IntN(100)))
		return root, "str " + where
	case 3:
		s.set(r.IntN(2) == 0)
		return root, "bool " + where
	case 4:
		s.set(nil)
		return root, "null " + where
	case 5:
		s.set([]any{"a", json.Number("1")})
		return root, "array " + where
	case 6:
		s.set("")
		return root, "empty " + where
	default:
		if m, ok := s.get().(map[string]any); ok {
			m["zz_unknown"] = "extra"
			return root, "extra " + where
		}
		s.set(map[string]any{"k": "v"})
		return root, "object " + where
	}
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, y := range x {
			m[k] = clone(y)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, y := range x {
			a[i] = clone(y)
		}
		return a
	}
	return v
}
