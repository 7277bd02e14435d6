package mapping

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/netpulse"
)

// NetPulse handles NetPulse job results. The family has no close event: a
// failed job opens a ticket for its device and command, and the next
// completed job with the same device and command resolves it.
type NetPulse struct {
	netpulse.Unimplemented
	Tickets Applier
}

// JobFailed opens the device+command ticket.
func (h NetPulse) JobFailed(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return apply(ctx, h.Tickets, d, NetPulseFailed(p))
}

// DetachedFailed opens the device+command ticket.
func (h NetPulse) DetachedFailed(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return apply(ctx, h.Tickets, d, NetPulseFailed(p))
}

// JobCompleted resolves the device+command ticket.
func (h NetPulse) JobCompleted(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return apply(ctx, h.Tickets, d, NetPulseCompleted(p))
}

// DetachedCompleted resolves the device+command ticket.
func (h NetPulse) DetachedCompleted(ctx context.Context, d *runtime.Delivery, p *netpulse.ResultV042) error {
	return apply(ctx, h.Tickets, d, NetPulseCompleted(p))
}

// NetPulseKey correlates by device and command.
func NetPulseKey(p *netpulse.ResultV042) (key, device, command string) {
	device = deref(p.DeviceName, "")
	if p.Device != nil && p.Device.Host != nil && *p.Device.Host != "" {
		device = *p.Device.Host
	}
	if device == "" {
		device = "unknown-device"
	}
	if p.Command != nil {
		command = strings.Join(*p.Command, "; ")
	}
	return "netpulse/" + device + "/" + command, device, command
}

// NetPulseFailed maps a failed job.
func NetPulseFailed(p *netpulse.ResultV042) ticket.Action {
	key, device, command := NetPulseKey(p)
	detail := ""
	if p.Result != nil && p.Result.Error != nil {
		detail = strings.TrimSpace(deref(p.Result.Error.Type, "") + " " + deref(p.Result.Error.Message, ""))
	}
	return ticket.Action{
		Kind:         ticket.Open,
		Key:          key,
		Subject:      fmt.Sprintf("NetPulse job failing on %s: %s", device, command),
		Description:  fmt.Sprintf("Device: %s\nCommand: %s\nJob: %s\nError: %s\n", device, command, p.Id, detail),
		Fingerprint:  "failed",
		Note:         fmt.Sprintf("Job %s failed: %s", p.Id, detail),
		AfterResolve: ticket.Reopen,
	}
}

// NetPulseCompleted maps a completed job: resolve the open ticket.
func NetPulseCompleted(p *netpulse.ResultV042) ticket.Action {
	key, _, _ := NetPulseKey(p)
	return ticket.Action{Kind: ticket.Resolve, Key: key, Reason: fmt.Sprintf("Job %s completed", p.Id)}
}
