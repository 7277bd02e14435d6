package mapping

import (
	"context"
	"fmt"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/atscale"
)

// AtScale handles AtScale aggregate batch results: a batch result with an
// error opens a ticket for its cube (a different error adds a note), and a
// later successful batch for the same cube resolves it.
type AtScale struct {
	atscale.Unimplemented
	Tickets Applier
}

// AggregateBatchResult opens or resolves the cube's ticket.
func (h AtScale) AggregateBatchResult(ctx context.Context, d *runtime.Delivery, p *atscale.AggregateBatchResultEvent) error {
	a, ok := AtScaleBatchResult(p)
	if !ok {
		return nil
	}
	return apply(ctx, h.Tickets, d, a)
}

// AtScaleBatchResult maps a batch result; ok is false when the payload
// names no cube (cube_id null, "null" or absent), which nothing correlates.
func AtScaleBatchResult(p *atscale.AggregateBatchResultEvent) (a ticket.Action, ok bool) {
	cube := deref(p.CubeId, "null")
	if cube == "null" {
		return ticket.Action{}, false
	}
	key := "atscale/" + cube
	if p.Error == nil || *p.Error == "" {
		return ticket.Action{Kind: ticket.Resolve, Key: key, Reason: fmt.Sprintf("Aggregate batch %s for cube %s succeeded", p.Id, cube)}, true
	}
	return ticket.Action{
		Kind:         ticket.Open,
		Key:          key,
		Subject:      "AtScale aggregate batch failing for cube " + cube,
		Description:  fmt.Sprintf("Cube: %s\nBatch: %s\nError: %s\n", cube, p.Id, *p.Error),
		Fingerprint:  *p.Error,
		Note:         fmt.Sprintf("Batch %s failed: %s", p.Id, *p.Error),
		AfterResolve: ticket.Reopen,
	}, true
}
