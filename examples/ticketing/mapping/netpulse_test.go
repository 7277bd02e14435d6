package mapping

import (
	"testing"

	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/netpulse"
)

func TestNetPulseCorrelatesDeviceAndCommand(t *testing.T) {
	host, other := "192.0.2.1", "192.0.2.2"
	cmd := []string{"show version"}
	failed := &netpulse.ResultV042{Id: "j1", Device: &netpulse.Device{Host: &host}, Command: &cmd}
	done := &netpulse.ResultV042{Id: "j2", Device: &netpulse.Device{Host: &host}, Command: &cmd}
	elsewhere := &netpulse.ResultV042{Id: "j3", Device: &netpulse.Device{Host: &other}, Command: &cmd}
	open, res := NetPulseFailed(failed), NetPulseCompleted(done)
	if open.Kind != ticket.Open || res.Kind != ticket.Resolve || open.Key != res.Key {
		t.Fatalf("a completed job must resolve the same device+command: %+v %+v", open, res)
	}
	if NetPulseCompleted(elsewhere).Key == open.Key {
		t.Fatal("another device must not resolve this ticket")
	}
}
