package servicetest_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/servicetest"
)

// childEnv makes TestChild run: it asks for the Redmine the parent set.
const childEnv = "HOOKGEN_SERVICETEST_CHILD"

// TestChild is run by TestMissingRedmine in a child process.
func TestChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("child process of TestMissingRedmine")
	}
	servicetest.NewRedmine(t)
	t.Log("CHILD GOT A REDMINE")
}

// TestMissingRedmine checks the skip-or-fail rule: an unset or unreachable
// Redmine skips naming the variables, or fails when services are required.
func TestMissingRedmine(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	tests := []struct {
		name     string
		env      []string
		wantFail bool
		wantOut  string
	}{
		{"UnsetSkips", []string{"HOOKGEN_REDMINE_URL=", "HOOKGEN_REQUIRE_SERVICES="}, false, "set HOOKGEN_REDMINE_URL and HOOKGEN_REDMINE_KEY"},
		{"UnsetFailsWhenRequired", []string{"HOOKGEN_REDMINE_URL=", "HOOKGEN_REQUIRE_SERVICES=1"}, true, "set HOOKGEN_REDMINE_URL and HOOKGEN_REDMINE_KEY"},
		{"DownSkips", []string{"HOOKGEN_REDMINE_URL=http://127.0.0.1:1", "HOOKGEN_REDMINE_KEY=k", "HOOKGEN_REQUIRE_SERVICES="}, false, "HOOKGEN_REDMINE_URL=http://127.0.0.1:1 unusable"},
		{"DownFailsWhenRequired", []string{"HOOKGEN_REDMINE_URL=http://127.0.0.1:1", "HOOKGEN_REDMINE_KEY=k", "HOOKGEN_REQUIRE_SERVICES=1"}, true, "unusable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), append(tt.env, childEnv+"=1")...)
			out, err := cmd.CombinedOutput()
			if tt.wantFail {
				require.Error(t, err, "%s", out)
				assert.Contains(t, string(out), "--- FAIL: TestChild")
			} else {
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "--- SKIP: TestChild")
			}
			assert.Contains(t, string(out), tt.wantOut)
			assert.NotContains(t, string(out), "CHILD GOT A REDMINE")
		})
	}
}
