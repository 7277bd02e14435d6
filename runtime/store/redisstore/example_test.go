package redisstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/redisstore"
)

// Replicas in synchronous mode share claims and ordering through Redis.
func ExampleOpen() {
	ctx := context.Background()
	s, err := redisstore.Open(ctx, "redis://127.0.0.1:6379/0?prefix=hooks:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	c, _ := s.Acquire(ctx, "atscale:alert-7", store.Position{Version: 3, HasVersion: true}, "delivery-9", 30*time.Second)
	if c.Verdict == store.Accept {
		// ... run the handler, then:
		_ = s.CommitOrder(ctx, "atscale:alert-7", c.Token, store.Position{Version: 3, HasVersion: true}, 24*time.Hour)
	}
}
