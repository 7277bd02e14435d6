package mapping

import (
	"testing"

	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/atscale"
)

func TestAtScaleFailingBatchOpensSuccessfulBatchResolves(t *testing.T) {
	cube, other, msg := "48d6ad30-f139-4f77-517f-36158d7b032b", "other-cube", "aggregate build timed out"
	open, ok := AtScaleBatchResult(&atscale.AggregateBatchResultEvent{Id: "b1", CubeId: &cube, Error: &msg})
	if !ok || open.Kind != ticket.Open {
		t.Fatalf("a batch with an error must open a ticket: %+v", open)
	}
	res, ok := AtScaleBatchResult(&atscale.AggregateBatchResultEvent{Id: "b2", CubeId: &cube})
	if !ok || res.Kind != ticket.Resolve || res.Key != open.Key {
		t.Fatalf("a later successful batch of the cube must resolve it: %+v", res)
	}
	if o, _ := AtScaleBatchResult(&atscale.AggregateBatchResultEvent{Id: "b3", CubeId: &other}); o.Key == open.Key {
		t.Fatal("another cube must not resolve this ticket")
	}
	null := "null"
	if _, ok := AtScaleBatchResult(&atscale.AggregateBatchResultEvent{Id: "b4", CubeId: &null, Error: &msg}); ok {
		t.Fatal("a batch without a cube correlates with nothing")
	}
}
