package dynamic

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/runtime"
)

// operation builds one operation; nil when it carries no payload.
func (b *builder) operation(it PathItem, method string, op *openapi3.Operation) (*Operation, error) {
	o := &Operation{Method: method, Methods: []string{method}}
	if stringExt(op.Extensions, ExtBodyFrom, "") == "query" {
		o.IsQuery = true
		o.Query = queryFields(op)
	} else {
		if op.RequestBody == nil || op.RequestBody.Value == nil {
			return nil, nil // not a webhook delivery (no payload)
		}
		mt := jsonMedia(op.RequestBody.Value.Content)
		if mt == nil {
			return nil, fmt.Errorf("request body has no JSON media type (found %s); hookgen receives JSON payloads", strings.Join(mediaKeys(op.RequestBody.Value.Content), ", "))
		}
		if mt.Schema == nil {
			return nil, fmt.Errorf("request body has no schema")
		}
		if err := CheckKeywords(mt.Schema, BodyPointer(it, method, op.RequestBody.Value.Content, mt)); err != nil {
			return nil, err
		}
		o.Body, o.BodyName = mt.Schema, refName(mt.Schema.Ref)
		if mt.Schema.Ref == "" {
			o.BodyName = TypeName(firstNonEmpty(op.OperationID, it.Key)) + "Body"
		}
	}
	if op.Security != nil {
		o.OwnSecurity = true
		o.Security = requirements(*op.Security, map[string]bool{})
		if len(o.Security) == 0 {
			o.Security = [][]string{{}} // security: [] — public
		}
	}
	var err error
	if o.Key, err = stringsExt(op.Extensions, ExtKey); err != nil {
		return nil, err
	}
	if raw, ok := op.Extensions[ExtOrdering]; ok {
		o.Ordering = &Ordering{}
		if err := decodeExt(raw, o.Ordering); err != nil {
			return nil, fmt.Errorf("%s: %v", ExtOrdering, err)
		}
		if o.Ordering.Entity == "" {
			return nil, fmt.Errorf("%s: entity is required", ExtOrdering)
		}
	}
	raws, err := rawEvents(it, op, o.Body)
	if err != nil {
		return nil, err
	}
	for _, re := range raws {
		oe, err := b.opEvent(it, method, o, re)
		if err != nil {
			return nil, err
		}
		o.Events = append(o.Events, oe)
	}
	return o, nil
}

func queryFields(op *openapi3.Operation) []QueryField {
	out := []QueryField{}
	for _, pr := range op.Parameters {
		p := pr.Value
		if p == nil || p.In != "query" {
			continue
		}
		qf := QueryField{Query: p.Name, Property: stringExt(p.Extensions, ExtBodyProp, p.Name)}
		if p.Schema != nil {
			qf.Type, qf.Nullable = QueryType(p.Schema.Value)
		}
		out = append(out, qf)
	}
	return out
}

// rawEvent is one entry of x-hookgen-events, or one derived from a
// discriminated union or the operation itself.
type rawEvent struct {
	Name        string         `json:"name"`
	Match       map[string]any `json:"match"`
	Schema      string         `json:"schema"`
	Key         []string       `json:"key"`
	Description string         `json:"description"`
}

// rawEvents lists an operation's events: x-hookgen-events when given, else
// one per member of a discriminated body, else the operation itself.
func rawEvents(it PathItem, op *openapi3.Operation, body *openapi3.SchemaRef) ([]rawEvent, error) {
	if raw, ok := op.Extensions[ExtEvents]; ok {
		var raws []rawEvent
		if err := decodeExt(raw, &raws); err != nil {
			return nil, fmt.Errorf("%s: %v", ExtEvents, err)
		}
		return raws, nil
	}
	if body == nil || body.Value == nil || body.Value.Discriminator == nil || len(unionOf(body.Value)) == 0 {
		return []rawEvent{{Name: TypeName(firstNonEmpty(op.OperationID, it.Key))}}, nil
	}
	d := body.Value.Discriminator
	byRef := map[string][]string{}
	var order []string
	if len(d.Mapping) > 0 {
		vals := make([]string, 0, len(d.Mapping))
		for v := range d.Mapping {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		for _, v := range vals {
			ref := d.Mapping[v].Ref
			if _, seen := byRef[ref]; !seen {
				order = append(order, ref)
			}
			byRef[ref] = append(byRef[ref], v)
		}
	} else {
		for _, s := range unionOf(body.Value) {
			order = append(order, s.Ref)
			byRef[s.Ref] = []string{refName(s.Ref)}
		}
	}
	raws := make([]rawEvent, 0, len(order))
	for _, ref := range order {
		vals := make([]any, len(byRef[ref]))
		for i, v := range byRef[ref] {
			vals[i] = v
		}
		raws = append(raws, rawEvent{
			Name:   TypeName(refName(ref)),
			Match:  map[string]any{"$request.body#/" + escapePointer(d.PropertyName): vals},
			Schema: "#/components/schemas/" + refName(ref),
		})
	}
	return raws, nil
}

// opEvent resolves one raw event against the spec's events: one event has
// one payload schema wherever it is sent.
func (b *builder) opEvent(it PathItem, method string, o *Operation, re rawEvent) (*OpEvent, error) {
	if !identRE.MatchString(re.Name) {
		return nil, fmt.Errorf("%s: event name %q is not an exported Go identifier", ExtEvents, re.Name)
	}
	sref, sname := o.Body, o.BodyName
	if re.Schema != "" {
		sname = refName(re.Schema)
		var s *openapi3.SchemaRef
		if b.doc.Components != nil {
			s = b.doc.Components.Schemas[sname]
		}
		if s == nil || !strings.HasPrefix(re.Schema, "#/components/schemas/") {
			return nil, fmt.Errorf("%s: event %s: schema %q is not a local #/components/schemas/ entry", ExtEvents, re.Name, re.Schema)
		}
		sref = &openapi3.SchemaRef{Ref: re.Schema, Value: s.Value}
		if err := CheckKeywords(sref, re.Schema); err != nil {
			return nil, err
		}
	}
	if sref == nil {
		return nil, fmt.Errorf("%s: event %s needs a schema (the operation has no request body)", ExtEvents, re.Name)
	}
	ev := b.events[re.Name]
	if ev == nil {
		ev = &Event{Name: re.Name, SchemaName: sname, Schema: sref, Doc: firstNonEmpty(re.Description, sref.Value.Description), Webhook: it.Key, Method: method}
		b.events[re.Name] = ev
		b.spec.Events = append(b.spec.Events, ev)
	} else if TypeName(ev.SchemaName) != TypeName(sname) {
		return nil, fmt.Errorf("event %s has payload %s here but %s elsewhere; one event must have one payload type", re.Name, TypeName(sname), TypeName(ev.SchemaName))
	}
	if ev.Webhook == it.Key && !contains(ev.Methods, method) {
		ev.Methods = append(ev.Methods, method)
	}
	oe := &OpEvent{Event: ev, Key: re.Key}
	keys := make([]string, 0, len(re.Match))
	for k := range re.Match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		me := MatchEntry{Expr: k}
		switch v := re.Match[k].(type) {
		case []any:
			for _, x := range v {
				me.Values = append(me.Values, scalarString(x))
			}
		default:
			me.Values = []string{scalarString(v)}
		}
		oe.Match = append(oe.Match, me)
	}
	return oe, nil
}

func buildDelivery(op *openapi3.Operation) (Delivery, error) {
	d := Delivery{ModeName: "single-attempt", MaxBodyBytes: 1 << 20}
	var raw struct {
		Mode              string   `json:"mode"`
		SuccessStatus     int      `json:"success-status"`
		AuthFailureStatus int      `json:"auth-failure-status"`
		MaxBodyBytes      int64    `json:"max-body-bytes"`
		RetrySchedule     []string `json:"retry-schedule"`
		MaxRetries        int      `json:"max-retries"`
	}
	if v, ok := op.Extensions[ExtDelivery]; ok {
		if err := decodeExt(v, &raw); err != nil {
			return d, fmt.Errorf("%s: %v", ExtDelivery, err)
		}
		if raw.Mode != "" {
			d.ModeName = raw.Mode
		}
		d.SuccessStatus, d.AuthFailureStatus = raw.SuccessStatus, raw.AuthFailureStatus
		if raw.MaxBodyBytes > 0 {
			d.MaxBodyBytes = raw.MaxBodyBytes
		}
		d.RetrySchedule, d.MaxRetries = raw.RetrySchedule, raw.MaxRetries
	}
	mode, ok := runtime.ParseDeliveryMode(d.ModeName)
	if !ok {
		return d, fmt.Errorf("%s: mode %q is not one of retry-until-success, single-attempt, limited-retries", ExtDelivery, d.ModeName)
	}
	d.Mode = mode
	if op.Responses != nil {
		codes := op.Responses.Map()
		for c := 200; c < 300 && d.SuccessStatus == 0; c++ {
			if _, ok := codes[fmt.Sprint(c)]; ok {
				d.SuccessStatus = c
			}
		}
		if d.AuthFailureStatus == 0 {
			d.AuthFailureStatus = authFailureStatus(codes)
		}
	}
	if d.SuccessStatus == 0 {
		d.SuccessStatus = 200
	}
	if d.AuthFailureStatus == 0 {
		d.AuthFailureStatus = 401
	}
	return d, nil
}

var authWords = regexp.MustCompile(`(?i)token|auth|credential|signature|unauthori`)

// authFailureStatus picks the status the spec declares for a failed
// authentication: 401 or 403 when declared, else the lowest other 4xx
// (400 excluded: it is for bad payloads) whose description speaks of
// tokens, auth or signatures (StackState's 404 "Invalid token.").
func authFailureStatus(codes map[string]*openapi3.ResponseRef) int {
	for _, c := range []int{401, 403} {
		if _, ok := codes[fmt.Sprint(c)]; ok {
			return c
		}
	}
	for c := 402; c < 500; c++ {
		r, ok := codes[fmt.Sprint(c)]
		if ok && r.Value != nil && r.Value.Description != nil && authWords.MatchString(*r.Value.Description) {
			return c
		}
	}
	return 0
}

// requirements turns an OpenAPI security list into sorted scheme names per
// requirement, marking every scheme named in used.
func requirements(reqs openapi3.SecurityRequirements, used map[string]bool) [][]string {
	var security [][]string
	for _, r := range reqs {
		names := make([]string, 0, len(r))
		for n := range r {
			names = append(names, n)
			used[n] = true
		}
		sort.Strings(names)
		security = append(security, names)
	}
	return security
}

// buildSecurity returns the schemes that the root security or any
// operation's own security uses, and the root requirements.
func buildSecurity(doc *openapi3.T, webhooks []*Webhook) ([]Scheme, [][]string, error) {
	used := map[string]bool{}
	security := requirements(doc.Security, used)
	for _, w := range webhooks {
		for _, o := range w.Operations {
			for _, r := range o.Security {
				for _, n := range r {
					used[n] = true
				}
			}
		}
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	var schemes []Scheme
	for _, n := range names {
		s, err := buildScheme(doc, n)
		if err != nil {
			return nil, nil, err
		}
		schemes = append(schemes, s)
	}
	return schemes, security, nil
}

var durRE = regexp.MustCompile(`^([0-9]+)(ms|s|m|h)$`)

func buildScheme(doc *openapi3.T, n string) (Scheme, error) {
	var ref *openapi3.SecuritySchemeRef
	if doc.Components != nil {
		ref = doc.Components.SecuritySchemes[n]
	}
	if ref == nil || ref.Value == nil {
		return Scheme{}, fmt.Errorf("security requirement names scheme %q, which components.securitySchemes does not define", n)
	}
	ss := ref.Value
	s := Scheme{Name: n}
	switch {
	case ss.Type == "apiKey":
		s.Kind, s.In, s.Param = runtime.APIKey, ss.In, ss.Name
		if raw, ok := ss.Extensions[ExtSig]; ok {
			sig := &Signature{}
			if err := decodeExt(raw, sig); err != nil {
				return Scheme{}, fmt.Errorf("securitySchemes.%s %s: %v", n, ExtSig, err)
			}
			if sig.Header == "" {
				sig.Header = ss.Name
			}
			if sig.Tolerance != "" {
				if !durRE.MatchString(sig.Tolerance) {
					return Scheme{}, fmt.Errorf("securitySchemes.%s %s tolerance: %q is not a duration like 300s, 5m or 1h", n, ExtSig, sig.Tolerance)
				}
				sig.ToleranceDuration, _ = time.ParseDuration(sig.Tolerance)
			}
			s.Kind, s.Param, s.Sig = runtime.Signature, sig.Header, sig
		}
	case ss.Type == "http" && strings.EqualFold(ss.Scheme, "basic"):
		s.Kind = runtime.Basic
	case ss.Type == "http" && strings.EqualFold(ss.Scheme, "bearer"):
		s.Kind = runtime.Bearer
	default:
		return Scheme{}, fmt.Errorf("security scheme %q of type %s%s is not supported by webhook receivers: use apiKey, http basic or http bearer, or remove it from security with an overlay", n, ss.Type, suffix(ss.Scheme))
	}
	return s, nil
}

// QueryType derives how a query parameter's text converts to JSON: the
// first non-string type among the schema's types (or its anyOf/oneOf
// members'), falling back to string; nullable when null is a type, the
// schema is nullable, or a member enumerates the literal "null" (kin-openapi
// cannot decode a [integer, "null"] query parameter, so specs spell it
// anyOf: [{type: integer}, {type: string, enum: ["null"]}]).
func QueryType(s *openapi3.Schema) (typ string, nullable bool) {
	if s == nil {
		return "", false
	}
	var types []string
	collect := func(x *openapi3.Schema) {
		if x.Type != nil {
			types = append(types, x.Type.Slice()...)
		}
		nullable = nullable || x.Nullable
		for _, e := range x.Enum {
			if e == "null" || e == nil {
				nullable = true
			}
		}
	}
	collect(s)
	for _, m := range append(append(openapi3.SchemaRefs{}, s.AnyOf...), s.OneOf...) {
		if m.Value != nil {
			collect(m.Value)
		}
	}
	for _, t := range types {
		switch t {
		case "null":
			nullable = true
		case "string":
		default:
			if typ == "" {
				typ = t
			}
		}
	}
	if typ == "" {
		typ = "string"
	}
	return typ, nullable
}

// groupOperations merges operations that bind identically (same encoding,
// body, events, keys and ordering) into one with several methods, so
// NetPulse's five methods share one binding.
func groupOperations(ops []*Operation) []*Operation {
	var out []*Operation
	seen := map[string]*Operation{}
	for _, o := range ops {
		sig := operationSignature(o)
		if g, ok := seen[sig]; ok {
			g.Methods = append(g.Methods, o.Method)
			continue
		}
		seen[sig] = o
		out = append(out, o)
	}
	return out
}

func operationSignature(o *Operation) string {
	evs := make([]string, len(o.Events))
	for i, e := range o.Events {
		evs[i] = fmt.Sprintf("%s|%v|%v", e.Event.Name, e.Match, e.Key)
	}
	return fmt.Sprintf("%v|%v|%p|%v|%v|%v|%v|%q", o.IsQuery, o.Query, bodySchema(o.Body), o.Key, o.Ordering, evs, o.OwnSecurity, o.Security)
}

func bodySchema(sr *openapi3.SchemaRef) *openapi3.Schema {
	if sr == nil {
		return nil
	}
	return sr.Value
}

// --- small helpers -------------------------------------------------------

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func decodeExt(raw any, into any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func stringExt(ext map[string]any, name, def string) string {
	if s, ok := ext[name].(string); ok && s != "" {
		return s
	}
	return def
}

func stringsExt(ext map[string]any, name string) ([]string, error) {
	raw, ok := ext[name]
	if !ok {
		return nil, nil
	}
	var out []string
	if err := decodeExt(raw, &out); err != nil {
		return nil, fmt.Errorf("%s must be a list of runtime expressions: %v", name, err)
	}
	return out, nil
}

func jsonMedia(c openapi3.Content) *openapi3.MediaType {
	for _, k := range mediaKeys(c) {
		if isJSON(k) {
			return c[k]
		}
	}
	return nil
}

func mediaKeys(c openapi3.Content) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isJSON(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

func unionOf(s *openapi3.Schema) openapi3.SchemaRefs {
	if len(s.OneOf) > 0 {
		return s.OneOf
	}
	return s.AnyOf
}

func refName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
