package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/runtime/sender"
)

const asMain = "HOOKGEN_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) != "" {
		os.Args = append([]string{"stackstate-receiver"}, strings.Fields(os.Getenv(asMain))...)
		main()
		return
	}
	os.Exit(m.Run())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// runMain starts this command as a process with args and env.
func runMain(t *testing.T, args string, env ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), asMain+"="+args), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, &stderr
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "%s never answered", url)
}

// The main reads the secret from HOOKGEN_SECRET_TOKEN (the CLI's name),
// serves webhooks on -addr and the operations endpoints only on -ops-addr,
// keeps its state in the -store file, and stops with exit 0 on SIGTERM.
func TestMainServes(t *testing.T) {
	addr, ops := freeAddr(t), freeAddr(t)
	db := filepath.Join(t.TempDir(), "s.db")
	cmd, stderr := runMain(t, "-addr "+addr+" -ops-addr "+ops+" -store bolt:"+db, "HOOKGEN_SECRET_TOKEN=s3cret", "HOOKGEN_OPS_TOKEN=op5")
	waitUp(t, "http://"+ops+"/readyz")
	admin, err := os.ReadFile(db + ".admin")
	require.NoError(t, err, "the operations URL is kept next to the locked store file")
	assert.Equal(t, "http://"+ops+"\n", string(admin))

	raw, err := os.ReadFile("../../../../openapi/examples/stackstate/docs-open.json")
	require.NoError(t, err)
	var p stackstate.NotificationOpenedEnvelope
	require.NoError(t, json.Unmarshal(raw, &p))
	s, err := stackstate.NewSender("http://"+addr, sender.WithSecret("Token", "s3cret"))
	require.NoError(t, err)
	res, err := s.SendNotificationOpened(context.Background(), &p)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status, string(res.Body))

	bad, err := stackstate.NewSender("http://"+addr, sender.WithSecret("Token", "wrong"))
	require.NoError(t, err)
	res, err = bad.SendNotificationOpened(context.Background(), &p)
	require.NoError(t, err)
	assert.NotEqual(t, http.StatusOK, res.Status)

	// A wrong token is refused from the headers, before any body byte.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = conn.Write([]byte("POST /stackstate/notification HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
		"X-StackState-Webhook-Token: wrong\r\nContent-Length: 100000\r\n\r\n"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(3*time.Second)))
	early, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "answered without the body")
	assert.Equal(t, http.StatusNotFound, early.StatusCode, "StackState's auth failure status")
	_ = conn.Close()

	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "webhook port %s", path)
	}
	resp, err := http.Get("http://" + ops + "/metrics")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "HOOKGEN_OPS_TOKEN guards /metrics")
	req, err := http.NewRequest(http.MethodGet, "http://"+ops+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer op5")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(body)
	_ = resp.Body.Close()
	assert.Contains(t, body.String(), "hookgen_serve_open_connections")
	assert.Contains(t, body.String(), `family="stackstate"`, "the receiver's metrics are on the ops port")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), stderr.String())
	assert.Contains(t, stderr.String(), `"msg":"stopped"`)
	_, err = os.Stat(db)
	assert.NoError(t, err, "the store file was created")
	_, err = os.Stat(db + ".admin")
	assert.ErrorIs(t, err, os.ErrNotExist, "removed at a graceful stop")
}

// A missing secret fails at start with exit 1 and names the variable; a
// bad flag exits 2.
func TestMainExitCodes(t *testing.T) {
	cmd, stderr := runMain(t, "-addr "+freeAddr(t)+" -store memory:", "HOOKGEN_SECRET_TOKEN=")
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, stderr.String(), "HOOKGEN_SECRET_TOKEN")

	cmd, _ = runMain(t, "-no-such-flag")
	require.ErrorAs(t, cmd.Wait(), &ee)
	assert.Equal(t, 2, ee.ExitCode())

	cmd, _ = runMain(t, "-store nosuch:x", "HOOKGEN_SECRET_TOKEN=x")
	require.ErrorAs(t, cmd.Wait(), &ee)
	assert.Equal(t, 2, ee.ExitCode())
}

// The mode and addresses come from -config, the environment overrides the
// file, and a flag overrides both: durable mode answers "accepted", sync
// mode "processed".
func TestMainConfigPrecedence(t *testing.T) {
	raw, err := os.ReadFile("../../../../openapi/examples/stackstate/docs-open.json")
	require.NoError(t, err)
	var p stackstate.NotificationOpenedEnvelope
	require.NoError(t, json.Unmarshal(raw, &p))
	outcome := func(args string, env ...string) string {
		t.Helper()
		addr, ops := freeAddr(t), freeAddr(t)
		cfg := filepath.Join(t.TempDir(), "receiver.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("addr: "+addr+"\nops_addr: "+ops+"\nstore: bolt:"+
			filepath.Join(t.TempDir(), "s.db")+"\nmode: durable\n"), 0o600))
		cmd, stderr := runMain(t, "-config "+cfg+" "+args, append(env, "HOOKGEN_SECRET_TOKEN=s3cret")...)
		waitUp(t, "http://"+ops+"/readyz")
		s, err := stackstate.NewSender("http://"+addr, sender.WithSecret("Token", "s3cret"))
		require.NoError(t, err)
		res, err := s.SendNotificationOpened(context.Background(), &p)
		require.NoError(t, err)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, cmd.Wait(), stderr.String())
		return res.Header.Get("Hookgen-Outcome")
	}
	assert.Equal(t, "accepted", outcome(""), "mode from the file")
	assert.Equal(t, "processed", outcome("", "HOOKGEN_MODE=sync"), "the environment wins over the file")
	assert.Equal(t, "accepted", outcome("-mode durable", "HOOKGEN_MODE=sync"), "a flag wins over the environment")

	cmd, _ := runMain(t, "-mode fast", "HOOKGEN_SECRET_TOKEN=x")
	var ee *exec.ExitError
	require.ErrorAs(t, cmd.Wait(), &ee)
	assert.Equal(t, 2, ee.ExitCode())
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("listen: x\n"), 0o600))
	cmd, _ = runMain(t, "-config "+cfg, "HOOKGEN_SECRET_TOKEN=x")
	require.ErrorAs(t, cmd.Wait(), &ee)
	assert.Equal(t, 2, ee.ExitCode(), "unknown config keys are refused")
}
