// Package crashtest proves durable mode under kill -9: a receiver runs in
// a child process (the test binary run again), a single-attempt sender
// keeps sending, and the child is killed with SIGKILL at random moments
// and restarted on the same store. Every delivery that got a 2xx must be
// processed, and none twice in effect.
//
// A test calls Run with the store target (a bolt path, a PostgreSQL URL)
// and the function that opens it; in the child, Run serves the receiver
// instead (see IsChild).
package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/hookgen/hookgen/runtime/store"
)

// Environment of a child.
const (
	childEnv  = "HOOKGEN_CRASH_CHILD"  // the working directory
	targetEnv = "HOOKGEN_CRASH_TARGET" // the store target
	addrEnv   = "HOOKGEN_CRASH_ADDR"   // where the child writes its address
)

// Kills is how many times a run kills the receiver.
const Kills = 10

// Opener opens the store named by target in the child.
type Opener func(ctx context.Context, target string) (store.Store, error)

// IsChild reports whether this process is a crash test child: the test
// must then call Run at once, before it creates anything (such as a
// database schema) that only the parent should create.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// Figures are what a run measured.
type Figures struct {
	Sent, Acked, Processed, Reruns, Lost, Twice int
	Load                                        time.Duration
}

// AcksPerSecond is the acknowledged deliveries per second of load
// (restarts included).
func (f Figures) AcksPerSecond() float64 { return float64(f.Acked) / f.Load.Seconds() }

// String formats the figures for the log.
func (f Figures) String() string {
	return fmt.Sprintf("sent %d, acknowledged %d, processed %d, reruns suppressed by the handler %d, lost %d, twice %d, acknowledgements/s %.0f (%s of load, restarts included)",
		f.Sent, f.Acked, f.Processed, f.Reruns, f.Lost, f.Twice, f.AcksPerSecond(), f.Load.Round(time.Millisecond))
}

// Run runs the crash test against target, or serves the child.
func Run(t *testing.T, target string, open Opener) Figures {
	if IsChild() {
		child(t, os.Getenv(childEnv), os.Getenv(targetEnv), open)
		return Figures{}
	}
	p := &parent{t: t, dir: t.TempDir(), target: target, acked: map[string]bool{}}
	p.addr.Store("")
	return p.run()
}

type parent struct {
	t      *testing.T
	dir    string
	target string
	addr   atomic.Value // string: the live child's address, "" when down

	sent, ackN atomic.Int64
	mu         sync.Mutex
	acked      map[string]bool
}

func (p *parent) start(gen int) *exec.Cmd {
	t := p.t
	addrFile := filepath.Join(p.dir, "addr"+strconv.Itoa(gen))
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), childEnv+"="+p.dir, targetEnv+"="+p.target, addrEnv+"="+addrFile)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(addrFile)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			p.addr.Store(strings.TrimSpace(string(b)))
			return cmd
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("crashtest: the child did not start")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// send is one single-attempt sender: one POST per delivery, never retried.
func (p *parent) send(w int, stop <-chan struct{}) {
	client := &http.Client{Timeout: 2 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		a := p.addr.Load().(string)
		if a == "" {
			time.Sleep(time.Millisecond)
			continue
		}
		key := fmt.Sprintf("w%d-%d", w, i)
		p.sent.Add(1)
		resp, err := client.Post("http://"+a+Path, "application/json", bytes.NewReader(Body(key)))
		if err != nil {
			time.Sleep(time.Millisecond) // down: the sender gives up; never acknowledged
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			p.ackN.Add(1)
			p.mu.Lock()
			p.acked[key] = true
			p.mu.Unlock()
		}
	}
}

func (p *parent) run() Figures {
	t := p.t
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { p.send(w, stop) })
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	began := time.Now()
	for gen := range Kills {
		cmd := p.start(gen)
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		p.addr.Store("")
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
	}
	close(stop)
	wg.Wait()
	f := Figures{Load: time.Since(began), Sent: int(p.sent.Load()), Acked: int(p.ackN.Load())}

	// The last restart drains what was acknowledged and is still pending.
	cmd := p.start(Kills)
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	effectsPath := filepath.Join(p.dir, "effects")
	var effects map[string]int
	deadline := time.Now().Add(2 * time.Minute)
	for {
		effects = readLines(t, effectsPath)
		f.Lost = 0
		for k := range p.acked {
			if effects[k] == 0 {
				f.Lost++
			}
		}
		if f.Lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.Processed = len(effects)
	for _, n := range effects {
		if n > 1 {
			f.Twice++
		}
	}
	for _, n := range readLines(t, filepath.Join(p.dir, "reruns")) {
		f.Reruns += n
	}
	t.Logf("crash (%d kills): %s", Kills, f)
	assert.Positive(t, f.Acked)
	assert.Zero(t, f.Lost, "acknowledged but never processed")
	assert.Zero(t, f.Twice, "processed twice in effect")
	return f
}

// child serves the durable receiver until it is killed. The handler's
// effect is one line per key in the effects file; a key already there (a
// rerun after a crash between the effect and the settle) is not written
// again but counted in the reruns file.
func child(t *testing.T, dir, target string, open Opener) {
	st, err := open(context.Background(), target)
	require.NoError(t, err)
	effectsPath := filepath.Join(dir, "effects")
	done := map[string]bool{}
	for k := range readLines(t, effectsPath) {
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
	// A short lease: the entries a killed child held are leased again
	// 2 s after the restart.
	rcv, err := receiver.New(Family(), handler, receiver.WithStore(st), receiver.WithLease(2*time.Second),
		receiver.WithPollInterval(20*time.Millisecond), receiver.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, receiver.Durable, rcv.Mode())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(os.Getenv(addrEnv), []byte(ln.Addr().String()+"\n"), 0o600))
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		require.NoError(t, err)
	}
}

// readLines counts the complete lines of a file; a torn last line (the
// process was killed in the middle of a write) does not count.
func readLines(t *testing.T, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	require.NoError(t, err)
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		b = b[:i+1]
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out[sc.Text()]++
	}
	return out
}

// Path is where Family receives.
const Path = "/task"

// Body is a delivery of Family with the given key.
func Body(key string) []byte { return []byte(`{"taskId":"` + key + `"}`) }

// Family is a single-attempt family: a JSON POST whose taskId is the
// idempotency key.
func Family() *runtime.Family {
	return &runtime.Family{
		Name:     "crash",
		Delivery: runtime.DeliveryPolicy{Mode: runtime.SingleAttempt},
		Webhooks: []runtime.Webhook{{
			Name:    "task",
			Path:    Path,
			Methods: []string{http.MethodPost},
			Decode: func(req *runtime.Request, _ bool) (runtime.Event, error) {
				var v struct {
					TaskID string `json:"taskId"`
				}
				if err := json.Unmarshal(req.Body, &v); err != nil || v.TaskID == "" {
					return runtime.Event{}, &runtime.ValidationError{Errors: []runtime.FieldError{{Pointer: "/taskId", Rule: "required", Message: "taskId is required"}}}
				}
				return runtime.Event{Name: "Task", Payload: v.TaskID}, nil
			},
			Key: func(_ *runtime.Request, ev runtime.Event) (string, error) { return ev.Payload.(string), nil },
		}},
	}
}
