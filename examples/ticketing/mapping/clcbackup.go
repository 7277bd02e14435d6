package mapping

import (
	"context"
	"fmt"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/clcbackup"
)

// CenturyLink handles CenturyLink (Lumen) Cloud backup notifications. The
// family has no close event: a FAILED or MISSING backup opens a ticket for
// its server and account policy, PARTIAL_SUCCESS adds a note to that open
// ticket, and the next SUCCESS for the same server and account policy
// resolves it. A failure after that opens a new ticket.
type CenturyLink struct {
	clcbackup.Unimplemented
	Tickets Applier
}

// BackupFailed opens (or notes) the policy's ticket.
func (h CenturyLink) BackupFailed(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	return apply(ctx, h.Tickets, d, CenturyLinkFailed(p))
}

// BackupMissing opens (or notes) the policy's ticket.
func (h CenturyLink) BackupMissing(ctx context.Context, d *runtime.Delivery, p *clcbackup.MissingBackup) error {
	return apply(ctx, h.Tickets, d, CenturyLinkMissing(p))
}

// BackupPartialSuccess adds a note to the policy's open ticket.
func (h CenturyLink) BackupPartialSuccess(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	return apply(ctx, h.Tickets, d, CenturyLinkPartial(p))
}

// BackupSucceeded resolves the policy's open ticket.
func (h CenturyLink) BackupSucceeded(ctx context.Context, d *runtime.Delivery, p *clcbackup.BackupCompleted) error {
	return apply(ctx, h.Tickets, d, CenturyLinkSucceeded(p))
}

// CenturyLinkKey correlates by server and account policy (the server
// policy id stands in for a server name the payload leaves out).
func CenturyLinkKey(server *string, serverPolicyID string, accountPolicyID *string) string {
	return "clcbackup/" + deref(server, serverPolicyID) + "/" + deref(accountPolicyID, serverPolicyID)
}

func centuryLinkOpen(key, server, policy, state, text string) ticket.Action {
	return ticket.Action{
		Kind:         ticket.Open,
		Key:          key,
		Subject:      fmt.Sprintf("Backup %s on %s (policy %s)", state, server, policy),
		Description:  text,
		Fingerprint:  state,
		Note:         fmt.Sprintf("Backup %s: %s", state, text),
		AfterResolve: ticket.Reopen,
	}
}

// CenturyLinkFailed maps a FAILED backup.
func CenturyLinkFailed(p *clcbackup.BackupCompleted) ticket.Action {
	server := deref(p.Server, p.ServerPolicyId)
	return centuryLinkOpen(CenturyLinkKey(p.Server, p.ServerPolicyId, p.AccountPolicyId), server,
		deref(p.AccountPolicyName, deref(p.AccountPolicyId, p.ServerPolicyId)), "FAILED", deref(p.Text, "restore point "+p.RestorePointId))
}

// CenturyLinkMissing maps a backup that did not run when expected.
func CenturyLinkMissing(p *clcbackup.MissingBackup) ticket.Action {
	server := deref(p.Server, p.ServerPolicyId)
	return centuryLinkOpen(CenturyLinkKey(p.Server, p.ServerPolicyId, p.AccountPolicyId), server,
		deref(p.AccountPolicyName, deref(p.AccountPolicyId, p.ServerPolicyId)), "MISSING",
		deref(p.Text, "expected at "+p.ExpectedDate.UTC().Format("2006-01-02 15:04:05Z")))
}

// CenturyLinkPartial maps PARTIAL_SUCCESS: a note on the open ticket (one
// per restore point), nothing when no ticket is open.
func CenturyLinkPartial(p *clcbackup.BackupCompleted) ticket.Action {
	return ticket.Action{
		Kind:        ticket.Note,
		Key:         CenturyLinkKey(p.Server, p.ServerPolicyId, p.AccountPolicyId),
		Fingerprint: "PARTIAL_SUCCESS|" + p.RestorePointId,
		Note:        "Backup PARTIAL_SUCCESS: " + deref(p.Text, "restore point "+p.RestorePointId),
		Additive:    true,
	}
}

// CenturyLinkSucceeded maps SUCCESS: resolve the open ticket.
func CenturyLinkSucceeded(p *clcbackup.BackupCompleted) ticket.Action {
	return ticket.Action{
		Kind:   ticket.Resolve,
		Key:    CenturyLinkKey(p.Server, p.ServerPolicyId, p.AccountPolicyId),
		Reason: fmt.Sprintf("Backup succeeded (restore point %s, finished %s)", p.RestorePointId, deref(p.FinishedDate, "unknown")),
	}
}
