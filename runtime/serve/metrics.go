package serve

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// serverMetrics are the server's own collectors.
type serverMetrics struct {
	open     prometheus.Gauge
	inflight prometheus.Gauge
	evicted  prometheus.Counter
	refused  prometheus.Counter
	rejected prometheus.Counter
}

func newServerMetrics(reg prometheus.Registerer) (*serverMetrics, error) {
	m := &serverMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookgen_serve_open_connections", Help: "Open webhook connections.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookgen_serve_inflight_requests", Help: "Webhook requests holding a delivery slot.",
		}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookgen_serve_evicted_connections_total", Help: "Idle or slow connections closed to make room for a new one.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookgen_serve_refused_connections_total", Help: "New connections closed because every open one was busy.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookgen_serve_saturated_requests_total", Help: "Requests answered 503 because the server was saturated.",
		}),
	}
	for _, c := range []prometheus.Collector{m.open, m.inflight, m.evicted, m.refused, m.rejected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("serve: metrics: %w", err)
		}
	}
	return m, nil
}
