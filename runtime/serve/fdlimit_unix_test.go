//go:build linux

package serve_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/serve"
)

const fdChildEnv = "HOOKGEN_SERVE_TEST_FD_CHILD"

// TestFDLimitChild is the server process of TestFileDescriptorLimit: with
// a descriptor limit of 1024 and default options it serves until stdin
// closes.
func TestFDLimitChild(t *testing.T) {
	if os.Getenv(fdChildEnv) == "" {
		t.Skip("run by TestFileDescriptorLimit")
	}
	lim := syscall.Rlimit{Cur: 1024, Max: 1024}
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	long := serve.Timeouts{ReadHeader: time.Minute, Read: time.Minute, Write: time.Minute, Idle: time.Minute}
	srv, err := serve.New(&hookHandler{}, serve.WithAddr("127.0.0.1:0"), serve.WithOpsAddr("127.0.0.1:0"), serve.WithTimeouts(long))
	require.NoError(t, err)
	require.NoError(t, srv.Listen(t.Context()))
	fmt.Printf("ADDR %s %s\n", srv.Addr(), srv.OpsAddr())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		cancel()
	}()
	require.NoError(t, srv.Run(ctx))
}

// With 1,024 file descriptors and 1,100 slow connections (silent, or
// trickling headers or body at 1 byte/s, with one-minute timeouts), valid
// deliveries are still answered within a second: the default connection
// cap stays under the limit and evicts the slowest connections.
func TestFileDescriptorLimit(t *testing.T) {
	if os.Getenv(fdChildEnv) != "" {
		t.Skip("child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDLimitChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fdChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("server process did not stop")
		}
	})
	sc := bufio.NewScanner(stdout)
	var addr, opsAddr string
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "ADDR" {
			addr, opsAddr = f[1], f[2]
			break
		}
	}
	require.NotEmpty(t, addr, "child printed its address")
	go func() {
		for sc.Scan() { // drain the rest of the child's output
		}
	}()
	slowClients(t, addr, 1100)
	require.Eventually(t, func() bool { return metric(t, opsAddr, "hookgen_serve_evicted_connections_total") > 0 },
		10*time.Second, 50*time.Millisecond)
	time.Sleep(2 * time.Second)
	worst := time.Duration(0)
	for range 50 {
		code, took := deliver(t, addr)
		assert.Equal(t, http.StatusOK, code)
		worst = max(worst, took)
	}
	assert.Less(t, worst, time.Second)
	t.Logf("1,100 slow connections at 1,024 fds: 50/50 deliveries answered, slowest %v; open %v, evicted %v",
		worst, metric(t, opsAddr, "hookgen_serve_open_connections"), metric(t, opsAddr, "hookgen_serve_evicted_connections_total"))
}
