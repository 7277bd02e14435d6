package faulttest

import (
	"net"
	"net/url"
	"sync"
)

// Proxy is a TCP proxy between a client (a receiver's store or its
// handler's database pool) and a server, that a test can cut and restore,
// or stall and resume.
//
// Cut closes every open connection and makes new ones close at once
// (the client sees a reset or EOF, as when the server goes away);
// Restore lets new connections through again. Stall stops forwarding
// bytes in either direction while keeping every connection open (the
// client sees a server that does not answer, as behind a network
// partition); Resume forwards them again.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	cut     bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	refused int           // connections refused while cut
	flowing chan struct{} // closed unless stalled
	done    chan struct{} // closed by Close
	once    sync.Once
}

// NewProxy listens on a loopback port and forwards every connection to
// target (host:port). Close it when done.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	flowing := make(chan struct{})
	close(flowing)
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, flowing: flowing, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns raw (a postgres:// or redis:// URL) with its host:port
// replaced by the proxy's.
func (p *Proxy) URL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.Host = p.Addr()
	return u.String(), nil
}

// Cut closes every connection through the proxy and refuses new ones until
// Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// Restore lets new connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Stall stops forwarding bytes, in both directions and on every
// connection, old and new, until Resume; connections stay open.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
		p.flowing = make(chan struct{})
	default: // already stalled
	}
}

// Resume forwards bytes again after Stall.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
	default:
		close(p.flowing)
	}
}

// flow waits until the proxy is not stalled; false when it is closed.
func (p *Proxy) flow() bool {
	p.mu.Lock()
	ch := p.flowing
	p.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-p.done:
		return false
	}
}

// Refused is how many new connections were refused while the proxy was
// cut: a test reads it to know that a client really tried.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Close stops the proxy and closes every connection through it. It is
// safe to call more than once.
func (p *Proxy) Close() error {
	var err error
	p.once.Do(func() {
		err = p.ln.Close()
		close(p.done)
		p.Cut()
		p.wg.Wait()
	})
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// track registers c (and reports true) unless the proxy is cut.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		p.refused++
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		if _, ok := p.conns[c]; ok {
			delete(p.conns, c)
			_ = c.Close()
		}
	}
}

// serve pipes c to a new connection to the target, both ways, until either
// side closes or the proxy is cut.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	if !p.track(c) {
		_ = c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		p.untrack(c)
		return
	}
	if !p.track(s) {
		_ = s.Close()
		p.untrack(c)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		p.copy(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	p.untrack(c, s)
	<-done
}

// copy forwards src to dst until either fails (EOF, a reset or a cut
// alike), holding every chunk while the proxy is stalled.
func (p *Proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.flow() {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
