// Package serve is the plumbing every benchmark receiver binary shares: it
// listens on a loopback address only, tells the harness the port the kernel
// chose through a port file, and serves until SIGTERM or SIGINT.
package serve

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// The request every receiver of the benchmark accepts: the StackState
// webhook at its x-hookgen-path with the channel token in its header.
const (
	Path        = "/stackstate/notification"
	TokenHeader = "X-StackState-Webhook-Token"
	Token       = "bench-secret-token-5f0c2b1e"
)

// MaxBody caps the request bodies the hand-written receivers read, as the
// spec's max-body-bytes does for the generated ones.
const MaxBody = 1 << 20

// ErrNotLoopback is returned by Listen for an address that is not a
// loopback address: the benchmark never opens a port to the network.
var ErrNotLoopback = errors.New("serve: not a loopback address")

// TokenOK reports whether r carries the benchmark token, compared in
// constant time.
func TokenOK(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(Token)) == 1
}

// Listen listens on addr, which must be a loopback host with a port (0 lets
// the kernel choose), and writes the bound port to portFile when it is not
// empty (atomically, through a rename).
func Listen(addr, portFile string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if portFile != "" {
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		tmp := portFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(port+"\n"), 0o600); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("serve: %w", err)
		}
		if err := os.Rename(tmp, portFile); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("serve: %w", err)
		}
	}
	return ln, nil
}

// Run serves h on ln until SIGTERM or SIGINT, then shuts the server down
// gracefully (3 s at most).
func Run(ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
