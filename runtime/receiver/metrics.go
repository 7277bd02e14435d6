package receiver

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics holds the receiver's collectors. They may be shared with other
// receivers registered on the same registerer.
type metrics struct {
	deliveries *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	inFlight   *prometheus.GaugeVec
	warnings   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgen_deliveries_total",
			Help: "Webhook deliveries by family, webhook, event and outcome: the answer (accepted, in durable mode) and, in durable mode, each worker run.",
		}, []string{"family", "webhook", "event", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookgen_delivery_duration_seconds",
			Help:    "Time from reading a delivery to answering it (durable workers: one run), by family, webhook and outcome.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"family", "webhook", "outcome"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookgen_in_flight",
			Help: "Deliveries being processed now, by family.",
		}, []string{"family"}),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookgen_validation_warnings_total",
			Help: "Lenient-mode validation findings that did not reject a payload.",
		}, []string{"family", "webhook", "event"}),
	}
	var err error
	m.deliveries, err = register(reg, m.deliveries)
	if err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.inFlight, err = register(reg, m.inFlight); err != nil {
		return nil, err
	}
	if m.warnings, err = register(reg, m.warnings); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the identical collector registered
// before (another receiver on the same registerer).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// seriesKey names the delivery series of one webhook, event and outcome
// (the family is the receiver's).
type seriesKey struct {
	webhook, event string
	out            Outcome
}

// series is the counter and histogram of one seriesKey, looked up once.
type series struct {
	deliveries prometheus.Counter
	duration   prometheus.Observer
}

// seriesCache holds the series a receiver has counted, so that counting a
// delivery costs one map read instead of two label lookups in the vectors.
// Its size is bounded by the labels: webhooks, events and outcomes.
type seriesCache struct {
	m      *metrics
	family string
	byKey  sync.Map // seriesKey → *series
}

// get returns the series of (webhook, event, out).
func (c *seriesCache) get(webhook, event string, out Outcome) *series {
	k := seriesKey{webhook: webhook, event: event, out: out}
	if s, ok := c.byKey.Load(k); ok {
		return s.(*series) //nolint:forcetypeassert // only *series are stored
	}
	s := &series{
		deliveries: c.m.deliveries.WithLabelValues(c.family, webhook, event, string(out)),
		duration:   c.m.duration.WithLabelValues(c.family, webhook, string(out)),
	}
	v, _ := c.byKey.LoadOrStore(k, s)
	return v.(*series) //nolint:forcetypeassert // only *series are stored
}

// count counts one delivery of (webhook, event, out) that took d.
func (c *seriesCache) count(webhook, event string, out Outcome, d time.Duration) {
	s := c.get(webhook, event, out)
	s.deliveries.Inc()
	s.duration.Observe(d.Seconds())
}
