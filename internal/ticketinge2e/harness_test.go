package ticketinge2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/servicetest"
	"github.com/hookgen/hookgen/runtime/ticket/redmine"
)

// root is the repository root as seen from this package.
var root = filepath.Join("..", "..")

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ticketinge2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// bins builds the hookgen CLI and the scaffolded receiver once.
var bins = sync.OnceValues(func() ([2]string, error) {
	hg, rc := filepath.Join(binDir, "hookgen"), filepath.Join(binDir, "ticketing")
	build := func(dir, out, pkg string) error {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		return nil
	}
	if err := build(root, hg, "./generator/cmd/hookgen"); err != nil {
		return [2]string{}, err
	}
	return [2]string{hg, rc}, build(filepath.Join(root, "examples", "ticketing"), rc, ".")
})

type world struct {
	t       *testing.T
	rm      servicetest.Redmine
	project string
	client  *redmine.Client
	hookgen string
	recv    string
}

// waitProcessed waits until r has processed n deliveries in all. Families
// whose senders make a single attempt run in durable mode: the delivery is
// acknowledged when persisted and processed by a worker afterwards, so a
// test waits for the worker before it looks at Redmine (as a vendor's next
// event comes later than its acknowledgement).
func (r *receiver) waitProcessed(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return strings.Count(r.log.String(), `"outcome":"processed"`) >= n
	}, 30*time.Second, 20*time.Millisecond, "waiting for %d processed deliveries; receiver log:\n%s", n, r.log.String())
}

// kill stops r with SIGKILL, as a crash would.
func (r *receiver) kill() {
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

func newWorld(t *testing.T) *world {
	t.Helper()
	rm := servicetest.NewRedmine(t)
	b, err := bins()
	require.NoError(t, err)
	project := rm.Project(t)
	c, err := redmine.New(rm.URL, rm.Key, project)
	require.NoError(t, err)
	return &world{t: t, rm: rm, project: project, client: c, hookgen: b[0], recv: b[1]}
}

// receiver is one running process of the scaffolded service.
type receiver struct {
	URL string
	cmd *exec.Cmd
	log *syncBuffer
}

// syncBuffer is a bytes.Buffer the process writes to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the scaffolded receiver with redmineURL (the real one or a
// proxy in front of it) and store (a bbolt path or a postgres URL).
func (w *world) start(redmineURL, store string) *receiver {
	w.t.Helper()
	return w.startIn(redmineURL, store, w.t.TempDir())
}

// startIn is start with the receivers' data directory given, so that a
// restarted process finds its stores again.
func (w *world) startIn(redmineURL, store, data string) *receiver {
	t := w.t
	t.Helper()
	addr := freeAddr(t)
	if store == "" {
		store = filepath.Join(data, "tickets.db")
	}
	cmd := exec.Command(w.recv)
	cmd.Env = append(os.Environ(),
		"TICKETING_ADDR="+addr, "TICKETING_STORE="+store, "TICKETING_DATA_DIR="+data,
		"REDMINE_URL="+redmineURL, "REDMINE_API_KEY="+w.rm.Key, "REDMINE_PROJECT="+w.project,
		"HOOKGEN_SECRET_Token=s3cret", "HOOKGEN_SECRET_Basic=netpulse:s3cret")
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	r := &receiver{URL: "http://" + addr, cmd: cmd, log: log}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("receiver log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(r.URL + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		require.True(t, time.Now().Before(deadline), "receiver did not come up: %s", log.String())
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// send runs 'hookgen send' with payload for family to the receivers and
// returns its exit code and output.
func (w *world) send(family, payload string, urls []string, extra ...string) (int, string) {
	t := w.t
	t.Helper()
	f := filepath.Join(t.TempDir(), "payload.json")
	require.NoError(t, os.WriteFile(f, []byte(payload), 0o600))
	args := []string{"send", "-spec", filepath.Join(root, "openapi", family+".yaml"), "-file", f, "-time-scale", "0.05"}
	if family == "stackstate" {
		args = append(args, "-secret", "Token=s3cret")
	}
	if family == "netpulse" {
		args = append(args, "-secret", "Basic=netpulse:s3cret")
	}
	if family == "butler" {
		args = append(args, "-rate-limit", "0")
	}
	for _, u := range urls {
		args = append(args, "-url", u)
	}
	args = append(args, extra...)
	cmd := exec.Command(w.hookgen, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "hookgen send: %v", err)
		code = ee.ExitCode()
	}
	return code, string(out)
}

// mustSend sends and requires success.
func (w *world) mustSend(family, payload string, urls []string, extra ...string) string {
	w.t.Helper()
	code, out := w.send(family, payload, urls, extra...)
	require.Equal(w.t, 0, code, "hookgen send %s:\n%s", family, out)
	return out
}

// counts returns the project's issues with their notes.
func (w *world) issues() []redmine.Issue {
	w.t.Helper()
	list, err := w.client.Issues(context.Background())
	require.NoError(w.t, err)
	out := make([]redmine.Issue, 0, len(list))
	for _, i := range list {
		full, err := w.client.Issue(context.Background(), fmt.Sprint(i.ID))
		require.NoError(w.t, err)
		out = append(out, full)
	}
	return out
}

// report logs the scenario's counts for the record.
func (w *world) report(scenario string, issues []redmine.Issue) {
	w.t.Helper()
	var parts []string
	for _, i := range issues {
		parts = append(parts, fmt.Sprintf("#%d %s, %d notes", i.ID, i.Status.Name, len(i.Notes())))
	}
	w.t.Logf("COUNTS %s: %d issues (%s)", scenario, len(issues), strings.Join(parts, "; "))
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// proxy forwards TCP to target while up; down closes the listener and every
// connection, so that clients get "connection refused" as from a stopped
// server, and up listens again on the same address.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	l      net.Listener
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T, targetURL string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: strings.TrimPrefix(targetURL, "http://"), conns: map[net.Conn]struct{}{}}
	p.addr = freeAddr(t)
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *proxy) URL() string { return "http://" + p.addr }

func (p *proxy) up() {
	p.t.Helper()
	var l net.Listener
	var err error
	for range 50 {
		if l, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(p.t, err)
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go p.accept(l)
}

func (p *proxy) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
	_, _ = io.Copy(c, u)
	_ = c.Close()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		_ = p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}
