package butler_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookgen/hookgen/examples/butler"
	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// recorder implements butler.Handler by recording every call.
type recorder struct{ rec *webhooktest.Recorder }

var _ butler.Handler = recorder{}

func (h recorder) ReloadTaskFailed(ctx context.Context, d *runtime.Delivery, p *butler.ReloadTaskEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) ReloadTaskAborted(ctx context.Context, d *runtime.Delivery, p *butler.ReloadTaskEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) ServiceStateChanged(ctx context.Context, d *runtime.Delivery, p *butler.ServiceMonitorEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) LicenseStatus(ctx context.Context, d *runtime.Delivery, p *butler.LicenseEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) LicenseExpired(ctx context.Context, d *runtime.Delivery, p *butler.LicenseEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) LicenseAboutToExpire(ctx context.Context, d *runtime.Delivery, p *butler.LicenseEvent) error {
	return h.rec.Record(ctx, d, p)
}

// family is butler's generated receiver and sender for the e2e harness
// (secrets: see e2e_auth_test.go).
var family = &e2etest.Family{
	Name: "butler",
	Spec: "../../openapi/butler.yaml",
	NewHTTPHandler: func(rec *webhooktest.Recorder, opts ...receiver.Option) (http.Handler, *receiver.Receiver, error) {
		rc, err := butler.New(recorder{rec}, opts...)
		if err != nil {
			return nil, nil, err
		}
		return rc.Handler(), rc, nil
	},
	NewSender:       e2etest.RawSender(butler.NewSender),
	ReceiverSecrets: receiverSecrets,
	SenderSecrets:   senderSecrets,
	ScenarioSecrets: scenarioSecrets,
}

func TestE2EValidVectors(t *testing.T)   { e2etest.ValidVectors(t, family) }
func TestE2EInvalidVectors(t *testing.T) { e2etest.InvalidVectors(t, family) }
func TestE2ELegacyVectors(t *testing.T)  { e2etest.LegacyVectors(t, family) }

func TestE2EScenarios(t *testing.T) {
	e2etest.DuplicateAndOversize(t, e2etest.Start(t, family), e2etest.Vector(t, family, "docs-post"))
}

// TestE2ESmuggledMembers: case variants and duplicate members never reach
// the handler as field values (see e2etest.SmuggledMembers).
func TestE2ESmuggledMembers(t *testing.T) { e2etest.SmuggledMembers(t, family) }

// TestE2EBadBytes: invalid UTF-8 and lone surrogates get a 400
// naming the byte offset (see e2etest.BadBytes).
func TestE2EBadBytes(t *testing.T) { e2etest.BadBytes(t, family) }
