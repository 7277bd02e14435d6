package netpulse_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookgen/hookgen/examples/netpulse"
	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// recorder implements netpulse.Handler by recording every call.
type recorder struct{ rec *webhooktest.Recorder }

var _ netpulse.Handler = recorder{}

func (h recorder) JobCompleted(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) JobFailed(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) DetachedCompleted(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) DetachedLogPush(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) DetachedFailed(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) LegacyResultSucceeded(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV03) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) LegacyResultFailed(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV03) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) LegacyResultV02(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV02) error {
	return h.rec.Record(ctx, d, p)
}

// family is netpulse's generated receiver and sender for the e2e harness
// (secrets: see e2e_auth_test.go).
var family = &e2etest.Family{
	Name: "netpulse",
	Spec: "../../openapi/netpulse.yaml",
	NewHTTPHandler: func(rec *webhooktest.Recorder, opts ...receiver.Option) (http.Handler, *receiver.Receiver, error) {
		rc, err := netpulse.New(recorder{rec}, opts...)
		if err != nil {
			return nil, nil, err
		}
		return rc.Handler(), rc, nil
	},
	NewSender:       e2etest.RawSender(netpulse.NewSender),
	ReceiverSecrets: receiverSecrets,
	SenderSecrets:   senderSecrets,
	ScenarioSecrets: scenarioSecrets,
}

func TestE2EValidVectors(t *testing.T)   { e2etest.ValidVectors(t, family) }
func TestE2EInvalidVectors(t *testing.T) { e2etest.InvalidVectors(t, family) }
func TestE2ELegacyVectors(t *testing.T)  { e2etest.LegacyVectors(t, family) }

func TestE2EScenarios(t *testing.T) {
	e2etest.DuplicateAndOversize(t, e2etest.Start(t, family), e2etest.Vector(t, family, "docs-v042-job-completed"))
}

// TestE2ESmuggledMembers: case variants and duplicate members never reach
// the handler as field values (see e2etest.SmuggledMembers).
func TestE2ESmuggledMembers(t *testing.T) { e2etest.SmuggledMembers(t, family) }

// TestE2EBadBytes: invalid UTF-8 and lone surrogates get a 400
// naming the byte offset (see e2etest.BadBytes).
func TestE2EBadBytes(t *testing.T) { e2etest.BadBytes(t, family) }
