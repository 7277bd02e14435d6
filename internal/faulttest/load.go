package faulttest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Load is continuous traffic of fresh deliveries from several senders to
// several receivers, started by StartLoad and ended by Stop.
type Load struct {
	Sender *Sender
	addrs  []string
	retry  bool

	sent, acked atomic.Int64
	mu          sync.Mutex
	ackedIDs    map[string]bool
	givenUp     []string

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// StartLoad starts senders goroutines posting fresh deliveries (ids
// prefix-N) round robin to addrs. With retry, each delivery is sent until
// acknowledged (a retry-until-success sender, see PostUntilAcked);
// without, once (a single-attempt sender).
func StartLoad(prefix string, addrs []string, senders int, retry bool) *Load {
	l := &Load{Sender: NewSender(), addrs: addrs, retry: retry, ackedIDs: map[string]bool{}, stop: make(chan struct{})}
	for w := range senders {
		l.wg.Go(func() { l.run(fmt.Sprintf("%s%d-", prefix, w), w) })
	}
	return l
}

func (l *Load) run(prefix string, w int) {
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		id := prefix + fmt.Sprint(i)
		addr := l.addrs[(w+i)%len(l.addrs)]
		l.sent.Add(1)
		var ok bool
		if l.retry {
			// A generous deadline: the verdict must not depend on timing.
			ok = l.Sender.PostUntilAcked(addr, id, time.Now().Add(2*time.Minute))
		} else {
			ok, _ = l.Sender.Post(addr, id)
		}
		l.mu.Lock()
		if ok {
			l.acked.Add(1)
			l.ackedIDs[id] = true
		} else if l.retry {
			l.givenUp = append(l.givenUp, id)
		}
		l.mu.Unlock()
	}
}

// Stop ends the load: every sender finishes the delivery it is sending
// (a retrying one until it is acknowledged or gives up). It is safe to
// call more than once.
func (l *Load) Stop() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// Sent is how many deliveries were sent (each counted once, however many
// times it was retried).
func (l *Load) Sent() int { return int(l.sent.Load()) }

// Acked is how many deliveries were acknowledged.
func (l *Load) Acked() int { return int(l.acked.Load()) }

// AckedIDs are the acknowledged deliveries' ids.
func (l *Load) AckedIDs() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]bool, len(l.ackedIDs))
	for k := range l.ackedIDs {
		out[k] = true
	}
	return out
}

// GivenUp are the deliveries a retrying sender gave up on (a status other
// than 2xx or 503, or its deadline).
func (l *Load) GivenUp() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.givenUp...)
}
