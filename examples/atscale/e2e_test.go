package atscale_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookgen/hookgen/examples/atscale"
	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// recorder implements atscale.Handler by recording every call.
type recorder struct{ rec *webhooktest.Recorder }

var _ atscale.Handler = recorder{}

func (h recorder) AggregateBatchStarted(ctx context.Context, d *runtime.Delivery, p *atscale.AggregateBatchStartedEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) AggregateBatchResult(ctx context.Context, d *runtime.Delivery, p *atscale.AggregateBatchResultEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) AggregatePruneResult(ctx context.Context, d *runtime.Delivery, p *atscale.AggregatePruneResultEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) PublishSchemaResponse(ctx context.Context, d *runtime.Delivery, p *atscale.PublishSchemaResponseEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) SlowQuery(ctx context.Context, d *runtime.Delivery, p *atscale.SlowQueryEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) SlowAggBuilds(ctx context.Context, d *runtime.Delivery, p *atscale.SlowAggBuildsEvent) error {
	return h.rec.Record(ctx, d, p)
}

func (h recorder) UnpublishSchemaSuccess(ctx context.Context, d *runtime.Delivery, p *atscale.UnpublishSchemaSuccessEvent) error {
	return h.rec.Record(ctx, d, p)
}

// family is atscale's generated receiver and sender for the e2e harness
// (secrets: see e2e_auth_test.go).
var family = &e2etest.Family{
	Name: "atscale",
	Spec: "../../openapi/atscale.yaml",
	NewHTTPHandler: func(rec *webhooktest.Recorder, opts ...receiver.Option) (http.Handler, *receiver.Receiver, error) {
		rc, err := atscale.New(recorder{rec}, opts...)
		if err != nil {
			return nil, nil, err
		}
		return rc.Handler(), rc, nil
	},
	NewSender:       e2etest.RawSender(atscale.NewSender),
	ReceiverSecrets: receiverSecrets,
	SenderSecrets:   senderSecrets,
	ScenarioSecrets: scenarioSecrets,
}

func TestE2EValidVectors(t *testing.T)   { e2etest.ValidVectors(t, family) }
func TestE2EInvalidVectors(t *testing.T) { e2etest.InvalidVectors(t, family) }
func TestE2ELegacyVectors(t *testing.T)  { e2etest.LegacyVectors(t, family) }

func TestE2EScenarios(t *testing.T) {
	e2etest.DuplicateAndOversize(t, e2etest.Start(t, family), e2etest.Vector(t, family, "docs-aggregate-batch-started"))
}

// TestE2ESmuggledMembers: case variants and duplicate members never reach
// the handler as field values (see e2etest.SmuggledMembers).
func TestE2ESmuggledMembers(t *testing.T) { e2etest.SmuggledMembers(t, family) }

// TestE2EBadBytes: invalid UTF-8 and lone surrogates get a 400
// naming the byte offset (see e2etest.BadBytes).
func TestE2EBadBytes(t *testing.T) { e2etest.BadBytes(t, family) }
