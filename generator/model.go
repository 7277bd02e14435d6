package generator

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// The x-hookgen-* vocabulary (specified in openapi/README.md).
const (
	extFamily   = "x-hookgen-family"
	extPath     = "x-hookgen-path"
	extDelivery = "x-hookgen-delivery"
	extKey      = "x-hookgen-idempotency-key"
	extOrdering = "x-hookgen-ordering"
	extEvents   = "x-hookgen-events"
	extBodyFrom = "x-hookgen-body-from"
	extBodyProp = "x-hookgen-body-property"
	extSig      = "x-hookgen-signature"
)

// Model is the intermediate model of one spec: every decision the templates
// need is a field here, so templates only render.
type Model struct {
	// Package is the Go package name of the output.
	Package string
	// Family is the sender family name.
	Family string
	// Source is the spec's file name, for headers.
	Source string
	// Title is info.title.
	Title string
	// Delivery is the family's delivery policy.
	Delivery Delivery
	// Schemes are the security schemes the root security or any
	// operation's security uses.
	Schemes []Scheme
	// Security lists the alternative requirements (scheme names) of the
	// spec's root security, which every operation without security of its
	// own uses.
	Security [][]string
	// Webhooks are the receivable webhooks, in spec order (sorted by key).
	Webhooks []*Webhook
	// Events are the Handler methods, in first-seen order.
	Events []*Event
	// Validators holds the compiled validator code.
	Validators string
	// ValidatorImports lists extra imports the validators need.
	ValidatorImports []string
}

// Delivery is the parsed x-hookgen-delivery extension.
type Delivery struct {
	// Mode is the sender's delivery mode.
	Mode runtime.DeliveryMode
	// ModeName is the x-hookgen-delivery spelling.
	ModeName          string
	SuccessStatus     int
	AuthFailureStatus int
	MaxBodyBytes      int64
	// RetrySchedule and MaxRetries describe limited-retries senders (used by
	// the simulator).
	RetrySchedule []string
	MaxRetries    int
}

// Scheme is one security scheme.
type Scheme struct {
	Name  string
	Kind  runtime.SchemeKind
	In    string
	Param string
	Sig   *Signature
}

// Signature is the parsed x-hookgen-signature extension.
type Signature struct {
	Format          string `json:"format"`
	Header          string `json:"header"`
	Algorithm       string `json:"algorithm"`
	Encoding        string `json:"encoding"`
	Prefix          string `json:"prefix"`
	IDHeader        string `json:"id-header"`
	TimestampHeader string `json:"timestamp-header"`
	Tolerance       string `json:"tolerance"`
	// ToleranceGo is Tolerance as a Go duration expression ("0" for default).
	ToleranceGo string `json:"-"`
}

// Webhook is one receivable URL.
type Webhook struct {
	Name         string
	Path         string
	ContentTypes []string
	Operations   []*Operation
}

// Operation is one method of a webhook, or several that bind identically
// (Methods lists them all; Method is the first).
type Operation struct {
	Method  string
	Methods []string
	// Query is non-nil for query-encoded operations.
	Query []QueryField
	// IsQuery reports whether the payload comes from query parameters.
	IsQuery bool
	// Validator is the function validating the whole body schema ("" when
	// the operation has no body schema).
	Validator string
	Events    []*OpEvent
	Key       []string
	Ordering  *Ordering
	// OwnSecurity reports that the operation declares `security` of its
	// own, which replaces the spec's root security for it.
	OwnSecurity bool
	// Security is the operation's own requirements when OwnSecurity (one
	// empty requirement for `security: []`, which makes it public).
	Security [][]string

	bodyRef *openapi3.SchemaRef
}

// QueryField maps a query parameter to a JSON property.
type QueryField struct {
	Query, Property, Type string
	Nullable              bool
}

// Ordering is the parsed x-hookgen-ordering extension.
type Ordering struct {
	Entity   string   `json:"entity"`
	Version  string   `json:"version"`
	Event    string   `json:"event"`
	Terminal []string `json:"terminal"`
}

// OpEvent is an event as one operation selects it.
type OpEvent struct {
	Event *Event
	Match []MatchEntry
	Key   []string
}

// MatchEntry is one condition of an event match.
type MatchEntry struct {
	Expr   string
	Values []string
}

// Event is one Handler method.
type Event struct {
	Name string
	// GoType is the handler's payload type: the type of Schema, or the
	// event's own narrowing of it (see narrowUnions).
	GoType string
	// Schema is the Go type name of the schema the payload is validated
	// against.
	Schema    string
	Validator string
	Doc       string
	// Webhook and Method are where the sender sends it by default.
	Webhook string
	Method  string
	// Methods lists every method the event can be sent with.
	Methods []string

	schemaRef *openapi3.SchemaRef
}

var identRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)

// BuildModel turns a loaded document into the model. It may add component
// schemas to doc for inline request bodies, so that every payload has a
// named Go type; call it before generating models from doc.
func BuildModel(doc *openapi3.T, cfg Config) (*Model, error) {
	m := &Model{Package: cfg.Package, Source: cfg.Source}
	if doc.Info != nil {
		m.Title = doc.Info.Title
	}
	m.Family = cfg.Family
	if m.Family == "" {
		if s, ok := doc.Extensions[extFamily].(string); ok {
			m.Family = s
		}
	}
	if m.Family == "" {
		m.Family = cfg.Package
	}
	if doc.Components == nil {
		doc.Components = &openapi3.Components{}
	}
	if doc.Components.Schemas == nil {
		doc.Components.Schemas = openapi3.Schemas{}
	}
	vg := newValidatorGen(doc)
	events := map[string]*Event{}
	items := dynamic.PathItems(doc)
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: the spec declares no webhooks and no paths: add a webhooks: entry (OpenAPI 3.1) or a path with a request body", ErrSpec)
	}
	var firstOp *openapi3.Operation
	for _, it := range items {
		w := &Webhook{Name: it.Key}
		for _, method := range dynamic.SortedMethods(it.Item) {
			op := it.Item.GetOperation(method)
			if firstOp == nil {
				firstOp = op
			}
			if w.Path == "" {
				w.Path = stringExt(op.Extensions, extPath, stringExt(it.Item.Extensions, extPath, ""))
			}
			o, err := buildOperation(doc, vg, m, it, method, op, events)
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s: %w", ErrSpec, method, it.Where(), err)
			}
			if o == nil {
				continue
			}
			w.Operations = append(w.Operations, o)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for ct := range op.RequestBody.Value.Content {
					if isJSON(ct) && !contains(w.ContentTypes, ct) {
						w.ContentTypes = append(w.ContentTypes, ct)
					}
				}
			}
		}
		if len(w.Operations) == 0 {
			continue
		}
		// A query-encoded operation (Butler GET) has no body schema of its
		// own: its payload is the same document the webhook's JSON
		// operations carry, so it is validated against their body schema.
		for _, o := range w.Operations {
			if o.IsQuery && o.Validator == "" {
				for _, j := range w.Operations {
					if !j.IsQuery && j.Validator != "" {
						o.Validator, o.bodyRef = j.Validator, j.bodyRef
						break
					}
				}
			}
		}
		w.Operations = groupOperations(w.Operations)
		sort.Strings(w.ContentTypes)
		if w.Path == "" {
			if it.IsPath {
				w.Path = it.Path
			} else {
				w.Path = "/" + m.Family + "/" + slug(it.Key)
			}
		}
		if !strings.HasPrefix(w.Path, "/") {
			return nil, fmt.Errorf("%w: %s: %s %q must start with /", ErrSpec, it.Where(), extPath, w.Path)
		}
		m.Webhooks = append(m.Webhooks, w)
	}
	if len(m.Webhooks) == 0 {
		return nil, fmt.Errorf("%w: no operation has a JSON request body or %s: query; hookgen receives webhooks with payloads", ErrSpec, extBodyFrom)
	}
	var err error
	if m.Delivery, err = buildDelivery(firstOp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	if m.Schemes, m.Security, err = buildSecurity(doc, m.Webhooks); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	// Key default for Standard Webhooks senders: their delivery id.
	for _, s := range m.Schemes {
		if s.Sig != nil && s.Sig.Format == "standard-webhooks" {
			for _, w := range m.Webhooks {
				for _, o := range w.Operations {
					if len(o.Key) == 0 {
						o.Key = []string{"$request.header." + orDefault(s.Sig.IDHeader, "webhook-id")}
					}
				}
			}
		}
	}
	m.Validators, m.ValidatorImports = vg.render()
	return m, nil
}

func buildOperation(doc *openapi3.T, vg *validatorGen, m *Model, it dynamic.PathItem, method string, op *openapi3.Operation, events map[string]*Event) (*Operation, error) {
	o := &Operation{Method: method, Methods: []string{method}}
	var bodyRef *openapi3.SchemaRef
	if stringExt(op.Extensions, extBodyFrom, "") == "query" {
		o.IsQuery = true
		o.Query = []QueryField{}
		for _, pr := range op.Parameters {
			p := pr.Value
			if p == nil || p.In != "query" {
				continue
			}
			qf := QueryField{Query: p.Name, Property: stringExt(p.Extensions, extBodyProp, p.Name)}
			if p.Schema != nil {
				qf.Type, qf.Nullable = dynamic.QueryType(p.Schema.Value)
			}
			o.Query = append(o.Query, qf)
		}
	} else {
		if op.RequestBody == nil || op.RequestBody.Value == nil {
			return nil, nil // not a webhook delivery (no payload)
		}
		mt := jsonMedia(op.RequestBody.Value.Content)
		if mt == nil {
			return nil, fmt.Errorf("request body has no JSON media type (found %s); hookgen receives JSON payloads", strings.Join(mediaKeys(op.RequestBody.Value.Content), ", "))
		}
		bodyRef = mt.Schema
		if bodyRef == nil {
			return nil, fmt.Errorf("request body has no schema")
		}
		if err := checkKeywords(bodyRef, dynamic.BodyPointer(it, method, op.RequestBody.Value.Content, mt)); err != nil {
			return nil, err
		}
		if bodyRef.Ref == "" {
			name := codegen.SchemaNameToTypeName(firstNonEmpty(op.OperationID, it.Key)) + "Body"
			doc.Components.Schemas[name] = &openapi3.SchemaRef{Value: bodyRef.Value}
			bodyRef = &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: bodyRef.Value}
			mt.Schema = bodyRef
		}
		o.Validator = vg.fn(bodyRef, "")
		o.bodyRef = bodyRef
	}
	if op.Security != nil {
		o.OwnSecurity = true
		o.Security = requirements(*op.Security, map[string]bool{})
		if len(o.Security) == 0 {
			o.Security = [][]string{{}} // security: [] — public
		}
	}
	var err error
	if o.Key, err = stringsExt(op.Extensions, extKey); err != nil {
		return nil, err
	}
	if raw, ok := op.Extensions[extOrdering]; ok {
		o.Ordering = &Ordering{}
		if err := decodeExt(raw, o.Ordering); err != nil {
			return nil, fmt.Errorf("%s: %v", extOrdering, err)
		}
		if o.Ordering.Entity == "" {
			return nil, fmt.Errorf("%s: entity is required", extOrdering)
		}
	}
	// Events.
	type rawEvent struct {
		Name        string         `json:"name"`
		Match       map[string]any `json:"match"`
		Schema      string         `json:"schema"`
		Key         []string       `json:"key"`
		Description string         `json:"description"`
	}
	var raws []rawEvent
	if raw, ok := op.Extensions[extEvents]; ok {
		if err := decodeExt(raw, &raws); err != nil {
			return nil, fmt.Errorf("%s: %v", extEvents, err)
		}
	} else if bodyRef != nil && bodyRef.Value != nil && bodyRef.Value.Discriminator != nil && len(unionOf(bodyRef.Value)) > 0 {
		d := bodyRef.Value.Discriminator
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
			for _, s := range unionOf(bodyRef.Value) {
				order = append(order, s.Ref)
				byRef[s.Ref] = []string{refName(s.Ref)}
			}
		}
		for _, ref := range order {
			vals := make([]any, len(byRef[ref]))
			for i, v := range byRef[ref] {
				vals[i] = v
			}
			raws = append(raws, rawEvent{
				Name:   codegen.SchemaNameToTypeName(refName(ref)),
				Match:  map[string]any{"$request.body#/" + escapePointer(d.PropertyName): vals},
				Schema: "#/components/schemas/" + refName(ref),
			})
		}
	} else {
		raws = []rawEvent{{Name: codegen.SchemaNameToTypeName(firstNonEmpty(op.OperationID, it.Key))}}
	}
	for _, re := range raws {
		if !identRE.MatchString(re.Name) {
			return nil, fmt.Errorf("%s: event name %q is not an exported Go identifier", extEvents, re.Name)
		}
		sref := bodyRef
		if re.Schema != "" {
			name := refName(re.Schema)
			s, ok := doc.Components.Schemas[name]
			if !ok || !strings.HasPrefix(re.Schema, "#/components/schemas/") {
				return nil, fmt.Errorf("%s: event %s: schema %q is not a local #/components/schemas/ entry", extEvents, re.Name, re.Schema)
			}
			sref = &openapi3.SchemaRef{Ref: re.Schema, Value: s.Value}
			if err := checkKeywords(sref, re.Schema); err != nil {
				return nil, err
			}
		}
		if sref == nil {
			return nil, fmt.Errorf("%s: event %s needs a schema (the operation has no request body)", extEvents, re.Name)
		}
		validateRef := sref
		if n := narrowUnions(doc, re.Name, sref, re.Match); n != nil {
			sref = n
		}
		goType := codegen.SchemaNameToTypeName(refName(sref.Ref))
		ev := events[re.Name]
		if ev == nil {
			ev = &Event{Name: re.Name, GoType: goType, Schema: codegen.SchemaNameToTypeName(refName(validateRef.Ref)), Validator: vg.fn(validateRef, ""), Doc: firstNonEmpty(re.Description, sref.Value.Description), Webhook: it.Key, Method: method, schemaRef: sref}
			events[re.Name] = ev
			m.Events = append(m.Events, ev)
		} else if ev.GoType != goType {
			return nil, fmt.Errorf("event %s has payload %s here but %s elsewhere; one event must have one payload type", re.Name, goType, ev.GoType)
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
		o.Events = append(o.Events, oe)
	}
	return o, nil
}

// narrowUnions gives an event its own payload type when its match selects
// one branch of a discriminated union inside the payload: StackState's
// NotificationOpened matches $request.body#/event/type: open, so it gets
// NotificationOpenedEnvelope, an Envelope whose event is an OpenEvent
// rather than the raw Open|Close union. It returns nil when the match
// selects no union branch. The new schema is added to doc's components
// (for oapi-codegen); the event is still validated against the original
// schema, whose discriminator check is the same selection.
func narrowUnions(doc *openapi3.T, event string, sref *openapi3.SchemaRef, match map[string]any) *openapi3.SchemaRef {
	if sref == nil || sref.Value == nil || sref.Ref == "" {
		return nil
	}
	var narrowed *openapi3.Schema
	keys := make([]string, 0, len(match))
	for k := range match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ptr, ok := strings.CutPrefix(k, "$request.body#/")
		if !ok {
			continue
		}
		toks := strings.Split(ptr, "/")
		if len(toks) != 2 {
			continue
		}
		for i, t := range toks {
			toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		}
		ps := sref.Value.Properties[toks[0]]
		if ps == nil || ps.Value == nil || ps.Value.Discriminator == nil || ps.Value.Discriminator.PropertyName != toks[1] {
			continue
		}
		target := branchFor(ps.Value, match[k])
		if target == "" {
			continue
		}
		bs, ok := doc.Components.Schemas[refName(target)]
		if !ok || bs.Value == nil {
			continue
		}
		if narrowed == nil {
			cp := *sref.Value
			cp.Properties = maps.Clone(sref.Value.Properties)
			narrowed = &cp
		}
		narrowed.Properties[toks[0]] = &openapi3.SchemaRef{Ref: target, Value: bs.Value}
	}
	if narrowed == nil {
		return nil
	}
	name := event + refName(sref.Ref)
	if _, taken := doc.Components.Schemas[name]; taken {
		return nil
	}
	doc.Components.Schemas[name] = &openapi3.SchemaRef{Value: narrowed}
	return &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: narrowed}
}

// branchFor returns the $ref of the one union branch that every matched
// discriminator value selects, or "" when they select none or several.
func branchFor(u *openapi3.Schema, values any) string {
	var vals []string
	switch v := values.(type) {
	case []any:
		for _, x := range v {
			vals = append(vals, scalarString(x))
		}
	default:
		vals = []string{scalarString(v)}
	}
	target := ""
	for _, v := range vals {
		ref := ""
		if m, ok := u.Discriminator.Mapping[v]; ok {
			ref = m.Ref
		} else {
			for _, b := range unionOf(u) {
				if refName(b.Ref) == v {
					ref = b.Ref
				}
			}
		}
		if ref == "" || (target != "" && ref != target) {
			return ""
		}
		target = ref
	}
	return target
}

func buildDelivery(op *openapi3.Operation) (Delivery, error) {
	d := Delivery{ModeName: "single-attempt", SuccessStatus: 0, AuthFailureStatus: 0, MaxBodyBytes: 1 << 20}
	var raw struct {
		Mode              string   `json:"mode"`
		SuccessStatus     int      `json:"success-status"`
		AuthFailureStatus int      `json:"auth-failure-status"`
		MaxBodyBytes      int64    `json:"max-body-bytes"`
		RetrySchedule     []string `json:"retry-schedule"`
		MaxRetries        int      `json:"max-retries"`
	}
	if v, ok := op.Extensions[extDelivery]; ok {
		if err := decodeExt(v, &raw); err != nil {
			return d, fmt.Errorf("%s: %v", extDelivery, err)
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
	switch d.ModeName {
	case "retry-until-success":
		d.Mode = runtime.RetryUntilSuccess
	case "single-attempt":
		d.Mode = runtime.SingleAttempt
	case "limited-retries":
		d.Mode = runtime.LimitedRetries
	default:
		return d, fmt.Errorf("%s: mode %q is not one of retry-until-success, single-attempt, limited-retries", extDelivery, d.ModeName)
	}
	if op.Responses != nil {
		codes := op.Responses.Map()
		if d.SuccessStatus == 0 {
			for c := 200; c < 300 && d.SuccessStatus == 0; c++ {
				if _, ok := codes[fmt.Sprint(c)]; ok {
					d.SuccessStatus = c
				}
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
	for _, c := range []string{"401", "403"} {
		if _, ok := codes[c]; ok {
			return atoi(c)
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
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	var schemes []Scheme
	for _, n := range names {
		var ref *openapi3.SecuritySchemeRef
		if doc.Components != nil {
			ref = doc.Components.SecuritySchemes[n]
		}
		if ref == nil || ref.Value == nil {
			return nil, nil, fmt.Errorf("security requirement names scheme %q, which components.securitySchemes does not define", n)
		}
		ss := ref.Value
		s := Scheme{Name: n}
		switch {
		case ss.Type == "apiKey":
			s.Kind, s.In, s.Param = runtime.APIKey, ss.In, ss.Name
			if raw, ok := ss.Extensions[extSig]; ok {
				sig := &Signature{}
				if err := decodeExt(raw, sig); err != nil {
					return nil, nil, fmt.Errorf("securitySchemes.%s %s: %v", n, extSig, err)
				}
				if sig.Header == "" {
					sig.Header = ss.Name
				}
				sig.ToleranceGo = "0"
				if sig.Tolerance != "" {
					dur, err := parseDuration(sig.Tolerance)
					if err != nil {
						return nil, nil, fmt.Errorf("securitySchemes.%s %s tolerance: %v", n, extSig, err)
					}
					sig.ToleranceGo = dur
				}
				s.Kind, s.Param, s.Sig = runtime.Signature, sig.Header, sig
			}
		case ss.Type == "http" && strings.EqualFold(ss.Scheme, "basic"):
			s.Kind = runtime.Basic
		case ss.Type == "http" && strings.EqualFold(ss.Scheme, "bearer"):
			s.Kind = runtime.Bearer
		default:
			return nil, nil, fmt.Errorf("security scheme %q of type %s%s is not supported by webhook receivers: use apiKey, http basic or http bearer, or remove it from security with an overlay", n, ss.Type, suffix(ss.Scheme))
		}
		schemes = append(schemes, s)
	}
	return schemes, security, nil
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
	keys := mediaKeys(c)
	for _, k := range keys {
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

func orDefault(s, d string) string { return firstNonEmpty(s, d) }

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

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

var durRE = regexp.MustCompile(`^([0-9]+)(ms|s|m|h)$`)

// parseDuration turns "5m" into a Go constant expression "5 * time.Minute".
func parseDuration(s string) (string, error) {
	mm := durRE.FindStringSubmatch(s)
	if mm == nil {
		return "", fmt.Errorf("%q is not a duration like 300s, 5m or 1h", s)
	}
	unit := map[string]string{"ms": "time.Millisecond", "s": "time.Second", "m": "time.Minute", "h": "time.Hour"}[mm[2]]
	return mm[1] + " * " + unit, nil
}

// groupOperations merges operations that bind identically (same encoding,
// validator, events, keys and ordering) into one with several methods, so
// NetPulse's five methods share one binding in the generated code.
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
	return fmt.Sprintf("%v|%v|%s|%v|%v|%v|%v|%q", o.IsQuery, o.Query, o.Validator, o.Key, o.Ordering, evs, o.OwnSecurity, o.Security)
}
