package faulttest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

// Environment of a replica process.
const (
	childEnv   = "HOOKGEN_FAULT_CHILD"   // the replica's number
	storeEnv   = "HOOKGEN_FAULT_STORE"   // the store URL
	effectsEnv = "HOOKGEN_FAULT_EFFECTS" // the handler's database URL
	modeEnv    = "HOOKGEN_FAULT_MODE"    // sync or durable
	addrEnv    = "HOOKGEN_FAULT_ADDR"    // where the replica writes its address
)

// IsChild reports whether this process is a replica started by
// StartReplicas: the test must then call ServeReplica at once, before it
// creates anything (such as a database schema) that only the parent
// should create.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// Replicas are receiver processes started by StartReplicas.
type Replicas struct {
	Addrs  []string // host:port of each replica
	cmds   []*exec.Cmd
	exited []chan struct{}
}

// StartReplicas starts n receiver processes, each the test binary run
// again with only the current test, serving Family on storeURL in mode,
// with CountingHandler on effectsURL. They are killed when the test ends.
func StartReplicas(t *testing.T, n int, storeURL, effectsURL string, mode receiver.Mode) *Replicas {
	t.Helper()
	dir := t.TempDir()
	r := &Replicas{}
	t.Cleanup(r.stop)
	for i := range n {
		addrFile := filepath.Join(dir, "addr"+strconv.Itoa(i))
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), ReplicaEnv(i, storeURL, effectsURL, mode, addrFile)...)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		r.cmds, r.exited = append(r.cmds, cmd), append(r.exited, exited)
	}
	deadline := time.Now().Add(60 * time.Second)
	for i := range r.cmds {
		addrFile := filepath.Join(dir, "addr"+strconv.Itoa(i))
		for {
			b, err := os.ReadFile(addrFile)
			if err == nil && bytes.HasSuffix(b, []byte("\n")) {
				r.Addrs = append(r.Addrs, strings.TrimSpace(string(b)))
				break
			}
			select {
			case <-r.exited[i]:
				t.Fatalf("faulttest: replica %d exited before it served", i)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("faulttest: replica %d did not start", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return r
}

// ReplicaEnv is the environment that makes the test binary serve replica
// number i (see ServeReplica), writing its address to addrFile.
func ReplicaEnv(i int, storeURL, effectsURL string, mode receiver.Mode, addrFile string) []string {
	return []string{childEnv + "=" + strconv.Itoa(i), storeEnv + "=" + storeURL,
		effectsEnv + "=" + effectsURL, modeEnv + "=" + mode.String(), addrEnv + "=" + addrFile}
}

// stop kills the replicas.
func (r *Replicas) stop() {
	for i, cmd := range r.cmds {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-r.exited[i]
	}
}

// ServeReplica serves a replica until the parent kills it, or exits when
// the parent is gone (a parent that panicked does not run its cleanups).
func ServeReplica(t *testing.T) {
	ctx := context.Background()
	go exitWithParent(os.Getppid())
	n, err := strconv.Atoi(os.Getenv(childEnv))
	require.NoError(t, err)
	mode, ok := receiver.ParseMode(os.Getenv(modeEnv))
	require.True(t, ok, "mode %q", os.Getenv(modeEnv))
	st, err := storeurl.Open(ctx, os.Getenv(storeEnv))
	require.NoError(t, err)
	defer st.Close()
	effects, err := pgxpool.New(ctx, os.Getenv(effectsEnv))
	require.NoError(t, err)
	defer effects.Close()
	rcv, err := receiver.New(Family(), CountingHandler(effects, n), receiver.WithStore(st), receiver.WithMode(mode),
		receiver.WithPollInterval(50*time.Millisecond), receiver.WithBackoff(20*time.Millisecond, 500*time.Millisecond))
	require.NoError(t, err)
	defer rcv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(os.Getenv(addrEnv), []byte(ln.Addr().String()+"\n"), 0o600))
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		require.NoError(t, err)
	}
}

// exitWithParent exits the process once its parent is no longer ppid.
func exitWithParent(ppid int) {
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != ppid {
			os.Exit(2)
		}
	}
}
