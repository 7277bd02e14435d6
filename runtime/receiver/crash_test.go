package receiver_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// crashChildEnv names the directory of a crash test child; set, the test
// binary serves a durable receiver instead of running the test.
const crashChildEnv = "HOOKGEN_CRASH_CHILD"

// TestCrashDurableBolt runs a durable receiver on a bolt file in a child
// process, under continuous load from a single-attempt sender, and kills
// it with SIGKILL at random moments 10 times, restarting it on the same
// file each time. Every delivery that got a 2xx must be processed, none
// more than once in effect: the handler's effect is a line per key in a
// file, written once (a rerun after a crash finds its line and does not
// write it again).
func TestCrashDurableBolt(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("crash test: not in -short mode")
	}
	dir := t.TempDir()
	var addr atomic.Value
	addr.Store("")
	start := func(gen int) *exec.Cmd {
		addrFile := filepath.Join(dir, "addr"+strconv.Itoa(gen))
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurableBolt$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "HOOKGEN_CRASH_ADDR="+addrFile)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		waitFor(t, func() bool {
			b, err := os.ReadFile(addrFile)
			if err == nil && bytes.HasSuffix(b, []byte("\n")) {
				addr.Store(strings.TrimSpace(string(b)))
				return true
			}
			return false
		})
		return cmd
	}

	// The sender: single attempt per delivery, unique keys.
	var sent, acked atomic.Int64
	var mu sync.Mutex
	ackedKeys := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 2 * time.Second}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := addr.Load().(string)
				if a == "" {
					time.Sleep(time.Millisecond)
					continue
				}
				key := fmt.Sprintf("w%d-%d", w, i)
				sent.Add(1)
				resp, err := client.Post("http://"+a+fixture.TaskPath, "application/json", bytes.NewReader(fixture.TaskBody(key)))
				if err != nil {
					time.Sleep(time.Millisecond) // the receiver is down: lost by the sender, never acknowledged
					continue
				}
				_ = resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					acked.Add(1)
					mu.Lock()
					ackedKeys[key] = true
					mu.Unlock()
				}
			}
		})
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	const kills = 10
	began := time.Now()
	for gen := range kills {
		cmd := start(gen)
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		addr.Store("")
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
	}
	close(stop)
	wg.Wait()
	loadTime := time.Since(began)

	// The last restart drains what was acknowledged and is still pending.
	cmd := start(kills)
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	var effects map[string]int
	deadline := time.Now().Add(60 * time.Second)
	for {
		effects = readEffects(t, filepath.Join(dir, "effects"))
		missing := 0
		mu.Lock()
		for k := range ackedKeys {
			if effects[k] == 0 {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	reruns := countLines(t, filepath.Join(dir, "reruns"))

	lost, twice := 0, 0
	for k := range ackedKeys {
		if effects[k] == 0 {
			lost++
		}
	}
	for _, n := range effects {
		if n > 1 {
			twice++
		}
	}
	t.Logf("crash (bolt, %d kills, %s of load): sent %d, acknowledged %d, processed %d, reruns suppressed by the handler %d, lost %d, twice %d, durable acks/s %.0f",
		kills, loadTime.Round(time.Millisecond), sent.Load(), acked.Load(), len(effects), reruns, lost, twice, float64(acked.Load())/loadTime.Seconds())
	assert.Positive(t, acked.Load())
	assert.Zero(t, lost, "acknowledged but never processed")
	assert.Zero(t, twice, "processed twice in effect")
}

// crashChild serves the durable receiver until it is killed.
func crashChild(t *testing.T, dir string) {
	b, err := store.OpenBolt(filepath.Join(dir, "store.db"))
	require.NoError(t, err)
	effectsPath := filepath.Join(dir, "effects")
	done := map[string]bool{}
	for k := range readEffects(t, effectsPath) {
		done[k] = true
	}
	effects, err := os.OpenFile(effectsPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	reruns, err := os.OpenFile(filepath.Join(dir, "reruns"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	var mu sync.Mutex
	handler := func(_ context.Context, d *runtime.Delivery, _ runtime.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if done[d.Key] {
			_, err := reruns.WriteString(d.Key + "\n")
			return err
		}
		if _, err := effects.WriteString(d.Key + "\n"); err != nil {
			return err
		}
		done[d.Key] = true
		return nil
	}
	rcv, err := receiver.New(fixture.SingleAttempt(), handler, receiver.WithStore(b),
		receiver.WithPollInterval(20*time.Millisecond), receiver.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, receiver.Durable, rcv.Mode())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(os.Getenv("HOOKGEN_CRASH_ADDR"), []byte(ln.Addr().String()+"\n"), 0o600))
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second}
	err = srv.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		require.NoError(t, err)
	}
}

// readEffects counts the complete lines of the effects file per key.
func readEffects(t *testing.T, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out[sc.Text()]++
	}
	if len(b) > 0 && b[len(b)-1] != '\n' { // a torn last line: not an effect
		lines := strings.Split(string(b), "\n")
		out[lines[len(lines)-1]]--
		if out[lines[len(lines)-1]] <= 0 {
			delete(out, lines[len(lines)-1])
		}
	}
	return out
}

func countLines(t *testing.T, path string) int {
	n := 0
	for _, c := range readEffects(t, path) {
		n += c
	}
	return n
}
