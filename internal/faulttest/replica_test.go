package faulttest_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/faulttest"
	"github.com/hookgen/hookgen/runtime/receiver"
)

// TestReplicaExitsWithParent: a replica whose parent is gone (a parent
// that panicked runs no cleanup) exits by itself instead of serving on.
func TestReplicaExitsWithParent(t *testing.T) {
	if faulttest.IsChild() {
		faulttest.ServeReplica(t)
		return
	}
	addrFile := filepath.Join(t.TempDir(), "addr")
	// The shell starts the replica in the background and exits once it
	// serves: the replica's parent is gone. Its store is in memory and
	// its handler's pool connects lazily, so it needs no server.
	cmd := exec.Command("sh", "-c", `"$0" -test.run='^TestReplicaExitsWithParent$' -test.count=1 >/dev/null 2>&1 &
		n=0; while [ ! -s "$1" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; echo $!`, os.Args[0], addrFile)
	cmd.Env = append(os.Environ(), faulttest.ReplicaEnv(0, "memory:", "postgres://127.0.0.1:1/none", receiver.Sync, addrFile)...)
	out, err := cmd.Output()
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	require.NoError(t, err)
	t.Cleanup(func() {
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(addrFile)
		return err == nil && bytes.HasSuffix(b, []byte("\n"))
	}, 60*time.Second, 10*time.Millisecond, "the replica serves")
	require.Eventually(t, func() bool { return !alive(pid) }, 30*time.Second, 50*time.Millisecond, "the orphaned replica exits")
}

// alive reports whether process pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}
