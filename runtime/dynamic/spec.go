package dynamic

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/runtime"
)

// ErrSpec marks errors about the input document (unreadable, invalid, or
// using a construct hookgen does not support).
var ErrSpec = errors.New("spec error")

// The x-hookgen-* vocabulary (specified in openapi/README.md).
const (
	ExtFamily   = "x-hookgen-family"
	ExtPath     = "x-hookgen-path"
	ExtDelivery = "x-hookgen-delivery"
	ExtKey      = "x-hookgen-idempotency-key"
	ExtOrdering = "x-hookgen-ordering"
	ExtEvents   = "x-hookgen-events"
	ExtBodyFrom = "x-hookgen-body-from"
	ExtBodyProp = "x-hookgen-body-property"
	ExtSig      = "x-hookgen-signature"
)

// Spec is the meaning of one webhook spec: what is received where, how
// events are told apart, keyed and ordered, how senders authenticate and
// what they expect back. It holds names, kinds and rules, never Go source.
// Build makes it; it is not modified afterwards.
type Spec struct {
	// Family is the sender family name.
	Family string
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
	// Webhooks are the receivable webhooks: webhooks: entries sorted by
	// key, then paths: entries sorted by path.
	Webhooks []*Webhook
	// Events are the events, in first-seen order.
	Events []*Event
	// Doc is the loaded document the schemas point into.
	Doc *openapi3.T
}

// Delivery is the parsed x-hookgen-delivery extension.
type Delivery struct {
	// Mode is the sender's delivery mode.
	Mode runtime.DeliveryMode
	// ModeName is the x-hookgen-delivery spelling of Mode.
	ModeName string
	// SuccessStatus is the status the sender needs to stop.
	SuccessStatus int
	// AuthFailureStatus is answered when authentication fails.
	AuthFailureStatus int
	// MaxBodyBytes caps the request body.
	MaxBodyBytes int64
	// RetrySchedule and MaxRetries describe limited-retries senders (used
	// by the simulator).
	RetrySchedule []string
	// MaxRetries is the number of retries of a limited-retries sender.
	MaxRetries int
}

// Scheme is one security scheme.
type Scheme struct {
	// Name is the scheme's key in components.securitySchemes.
	Name string
	// Kind is how the scheme authenticates.
	Kind runtime.SchemeKind
	// In and Param say where an API key is (header, query or cookie).
	In, Param string
	// Sig is the x-hookgen-signature of a Signature scheme.
	Sig *Signature
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
	// Tolerance is the replay window as written in the spec ("5m").
	Tolerance string `json:"tolerance"`
	// ToleranceDuration is Tolerance parsed (0 for the default).
	ToleranceDuration time.Duration `json:"-"`
}

// Webhook is one receivable URL.
type Webhook struct {
	// Name is the webhooks: key, or the operationId or path of a paths:
	// entry.
	Name string
	// Path is where the receiver mounts it.
	Path string
	// ContentTypes are the JSON media types its operations accept.
	ContentTypes []string
	// Operations are its methods, grouped when they bind identically.
	Operations []*Operation
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
	// Body is the schema of the whole payload (nil when there is none).
	Body *openapi3.SchemaRef
	// BodyName names Body: its component name, or a name made from the
	// operation for an inline schema.
	BodyName string
	// Events are the events the operation can carry.
	Events []*OpEvent
	// Key lists the idempotency key's runtime expressions.
	Key []string
	// Ordering is the x-hookgen-ordering extension, if any.
	Ordering *Ordering
	// OwnSecurity reports that the operation declares `security` of its
	// own, which replaces the spec's root security for it.
	OwnSecurity bool
	// Security is the operation's own requirements when OwnSecurity (one
	// empty requirement for `security: []`, which makes it public).
	Security [][]string
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

// MatchEntry is one condition of an event match: the runtime expression
// Expr evaluates to one of Values.
type MatchEntry struct {
	Expr   string
	Values []string
}

// Event is one kind of message a handler receives.
type Event struct {
	// Name is the event's name (an exported Go identifier, the handler
	// method's name).
	Name string
	// SchemaName names the payload schema (a component name, or the name
	// made for an inline body).
	SchemaName string
	// Schema is the payload schema.
	Schema *openapi3.SchemaRef
	// Doc is the event's description.
	Doc string
	// Webhook and Method are where the sender sends it by default.
	Webhook string
	Method  string
	// Methods lists every method the event can be sent with.
	Methods []string
}

var identRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)

// Build derives the meanings of a loaded document. family overrides
// x-hookgen-family; when both are empty, fallback names the family. Build
// does not modify doc.
func Build(doc *openapi3.T, family, fallback string) (*Spec, error) {
	s := &Spec{Doc: doc, Family: family}
	if doc.Info != nil {
		s.Title = doc.Info.Title
	}
	if s.Family == "" {
		s.Family, _ = doc.Extensions[ExtFamily].(string)
	}
	if s.Family == "" {
		s.Family = fallback
	}
	items := PathItems(doc)
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: the spec declares no webhooks and no paths: add a webhooks: entry (OpenAPI 3.1) or a path with a request body", ErrSpec)
	}
	b := &builder{doc: doc, spec: s, events: map[string]*Event{}}
	var firstOp *openapi3.Operation
	for _, it := range items {
		w, first, err := b.webhook(it)
		if err != nil {
			return nil, err
		}
		if firstOp == nil {
			firstOp = first
		}
		if w != nil {
			s.Webhooks = append(s.Webhooks, w)
		}
	}
	if len(s.Webhooks) == 0 {
		return nil, fmt.Errorf("%w: no operation has a JSON request body or %s: query; hookgen receives webhooks with payloads", ErrSpec, ExtBodyFrom)
	}
	var err error
	if s.Delivery, err = buildDelivery(firstOp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	if s.Schemes, s.Security, err = buildSecurity(doc, s.Webhooks); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	defaultStandardWebhooksKey(s)
	return s, nil
}

// defaultStandardWebhooksKey keys Standard Webhooks senders by their
// delivery id unless the spec says otherwise.
func defaultStandardWebhooksKey(s *Spec) {
	for _, sc := range s.Schemes {
		if sc.Sig == nil || sc.Sig.Format != "standard-webhooks" {
			continue
		}
		for _, w := range s.Webhooks {
			for _, o := range w.Operations {
				if len(o.Key) == 0 {
					o.Key = []string{"$request.header." + firstNonEmpty(sc.Sig.IDHeader, "webhook-id")}
				}
			}
		}
	}
}

type builder struct {
	doc    *openapi3.T
	spec   *Spec
	events map[string]*Event
}

// webhook builds one webhook; nil when none of its operations carries a
// payload. It also returns the first operation met (the family's delivery
// and security come from it).
func (b *builder) webhook(it PathItem) (*Webhook, *openapi3.Operation, error) {
	w := &Webhook{Name: it.Key}
	var first *openapi3.Operation
	for _, method := range SortedMethods(it.Item) {
		op := it.Item.GetOperation(method)
		if first == nil {
			first = op
		}
		if w.Path == "" {
			w.Path = stringExt(op.Extensions, ExtPath, stringExt(it.Item.Extensions, ExtPath, ""))
		}
		o, err := b.operation(it, method, op)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s %s: %w", ErrSpec, method, it.Where(), err)
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
		return nil, first, nil
	}
	// A query-encoded operation (Butler GET) has no body schema of its
	// own: its payload is the same document the webhook's JSON operations
	// carry, so it is validated against their body schema.
	for _, o := range w.Operations {
		if o.IsQuery && o.Body == nil {
			for _, j := range w.Operations {
				if !j.IsQuery && j.Body != nil {
					o.Body, o.BodyName = j.Body, j.BodyName
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
			w.Path = "/" + b.spec.Family + "/" + slug(it.Key)
		}
	}
	if !strings.HasPrefix(w.Path, "/") {
		return nil, nil, fmt.Errorf("%w: %s: %s %q must start with /", ErrSpec, it.Where(), ExtPath, w.Path)
	}
	return w, first, nil
}

// PathItem is one receivable entry of a spec: a webhooks: entry, or a
// paths: entry of a spec that describes its receiver in paths.
type PathItem struct {
	Key    string // webhooks: key, or operationId/path for paths:
	Path   string // the paths: key (IsPath only)
	IsPath bool
	Item   *openapi3.PathItem
}

// Where names the entry as a dotted location for error messages.
func (p PathItem) Where() string {
	if p.IsPath {
		return "paths." + p.Path
	}
	return "webhooks." + p.Key
}

// PathItems lists webhooks: entries (sorted by key) then paths:
// entries (sorted by path).
func PathItems(doc *openapi3.T) []PathItem {
	var out []PathItem
	keys := make([]string, 0, len(doc.Webhooks))
	for k := range doc.Webhooks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, PathItem{Key: k, Item: doc.Webhooks[k]})
	}
	if doc.Paths != nil {
		paths := doc.Paths.Keys()
		sort.Strings(paths)
		for _, p := range paths {
			item := doc.Paths.Value(p)
			key := p
			for _, m := range SortedMethods(item) {
				if id := item.GetOperation(m).OperationID; id != "" {
					key = id
					break
				}
			}
			out = append(out, PathItem{Key: key, Path: p, IsPath: true, Item: item})
		}
	}
	return out
}

// SortedMethods lists the item's methods, POST first, in a fixed order.
func SortedMethods(item *openapi3.PathItem) []string {
	ops := item.Operations()
	ms := make([]string, 0, len(ops))
	for m := range ops {
		ms = append(ms, strings.ToUpper(m))
	}
	sort.Slice(ms, func(i, j int) bool { return methodRank(ms[i]) < methodRank(ms[j]) })
	return ms
}

func methodRank(m string) int {
	for i, x := range []string{"POST", "PUT", "PATCH", "GET", "DELETE", "HEAD", "OPTIONS", "TRACE"} {
		if x == m {
			return i
		}
	}
	return 99
}
