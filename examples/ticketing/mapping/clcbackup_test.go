package mapping

import (
	"testing"

	"github.com/hookgen/hookgen/runtime/ticket"

	"example.com/alerts/receivers/clcbackup"
)

func TestCenturyLinkCorrelatesServerAndAccountPolicy(t *testing.T) {
	s1, s2, acct := "VA1ACMEWEB01", "VA1ACMEWEB02", "pol-acct"
	fail := &clcbackup.BackupCompleted{Server: &s1, ServerPolicyId: "sp1", AccountPolicyId: &acct, RestorePointId: "r1", Status: clcbackup.FAILED}
	ok := &clcbackup.BackupCompleted{Server: &s1, ServerPolicyId: "sp1", AccountPolicyId: &acct, RestorePointId: "r2", Status: clcbackup.SUCCESS}
	other := &clcbackup.BackupCompleted{Server: &s2, ServerPolicyId: "sp2", AccountPolicyId: &acct, RestorePointId: "r3", Status: clcbackup.SUCCESS}
	open, res := CenturyLinkFailed(fail), CenturyLinkSucceeded(ok)
	if open.Kind != ticket.Open || res.Kind != ticket.Resolve || open.Key != res.Key {
		t.Fatalf("a success must resolve the failure of the same server and policy: %+v %+v", open, res)
	}
	if CenturyLinkSucceeded(other).Key == open.Key {
		t.Fatal("another server must not resolve this ticket")
	}
	if open.AfterResolve != ticket.Reopen {
		t.Fatal("a failure after a resolved ticket must open a new one")
	}
	missing := CenturyLinkMissing(&clcbackup.MissingBackup{Server: &s1, ServerPolicyId: "sp1", AccountPolicyId: &acct})
	if missing.Key != open.Key || missing.Kind != ticket.Open {
		t.Fatalf("MISSING must open the same policy's ticket: %+v", missing)
	}
	if p := CenturyLinkPartial(fail); p.Kind != ticket.Note || p.Key != open.Key {
		t.Fatalf("PARTIAL_SUCCESS must note the open ticket: %+v", p)
	}
}
