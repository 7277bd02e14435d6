package redisstore_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/redisstore"
	"github.com/hookgen/hookgen/runtime/store/storetest"
)

func open(t *testing.T, url string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance runs the suite with two clients (two connection pools)
// on one Redis; the inbox cases skip (store.ErrUnsupported).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (a, b store.Backend) {
		url := services.RedisURL(t)
		return open(t, url), open(t, url)
	})
}

// TestExactVersions checks that versions compare exactly across the whole
// int64 range (Lua numbers are doubles: 2^53+1 and 2^53 are equal there).
func TestExactVersions(t *testing.T) {
	s := open(t, services.RedisURL(t))
	ctx := context.Background()
	big := int64(1) << 53
	tests := []struct {
		name      string
		committed int64
		next      int64
		want      store.Verdict
	}{
		{"AboveDoublePrecision", big + 1, big, store.Stale},
		{"AboveDoublePrecisionNewer", big, big + 1, store.Accept},
		{"MaxInt64", math.MaxInt64, math.MaxInt64 - 1, store.Stale},
		{"Negative", -5, -10, store.Stale},
		{"NegativeNewer", -10, -5, store.Accept},
		{"MinInt64", math.MinInt64 + 1, math.MinInt64, store.Stale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entity := "exact-" + tt.name
			pos := store.Position{Version: tt.committed, HasVersion: true}
			c, err := s.Acquire(ctx, entity, pos, "a", time.Minute)
			require.NoError(t, err)
			require.Equal(t, store.Accept, c.Verdict)
			require.NoError(t, s.CommitOrder(ctx, entity, c.Token, pos, time.Hour))
			got, err := s.Acquire(ctx, entity, store.Position{Version: tt.next, HasVersion: true}, "b", time.Minute)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Verdict)
		})
	}
}

func TestNoInbox(t *testing.T) {
	s := open(t, services.RedisURL(t))
	err := s.Put(context.Background(), store.Entry{Family: "f", ID: "1"})
	require.ErrorIs(t, err, store.ErrUnsupported)
	_, err = s.List(context.Background(), store.Query{})
	require.ErrorIs(t, err, store.ErrUnsupported)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:6379/0?bogus=1", "redis://127.0.0.1:1/0"} {
		_, err := redisstore.Open(ctx, u)
		assert.Error(t, err, u)
	}
}

// BenchmarkClaimComplete measures synchronous-mode deliveries: a Claim
// and a Complete per delivery, from 32 goroutines per core.
func BenchmarkClaimComplete(b *testing.B) {
	s, err := redisstore.Open(context.Background(), services.RedisURL(b))
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprint("k", n.Add(1))
			c, err := s.Claim(ctx, key, time.Minute)
			if err == nil {
				err = s.Complete(ctx, key, c.Token, time.Hour)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// TestKeysExpire checks that each key carries its retention as a TTL, so
// that Redis drops what expired.
func TestKeysExpire(t *testing.T) {
	raw := services.RedisURL(t)
	s := open(t, raw)
	ctx := context.Background()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	prefix := u.Query().Get("prefix")
	q := u.Query()
	q.Del("prefix")
	u.RawQuery = q.Encode()
	opts, err := redis.ParseURL(u.String())
	require.NoError(t, err)
	rc := redis.NewClient(opts)
	defer rc.Close()

	c, err := s.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	ttl := rc.PTTL(ctx, prefix+"c:k").Val()
	assert.InDelta(t, time.Minute+store.DefaultFailedRetention, ttl, float64(5*time.Second), "lease plus failed retention")
	require.NoError(t, s.Complete(ctx, "k", c.Token, time.Hour))
	assert.InDelta(t, time.Hour, rc.PTTL(ctx, prefix+"c:k").Val(), float64(5*time.Second), "the retention")

	o, err := s.Acquire(ctx, "e", store.Position{}, "h", time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.CommitOrder(ctx, "e", o.Token, store.Position{}, 2*time.Hour))
	assert.InDelta(t, 2*time.Hour, rc.PTTL(ctx, prefix+"o:e").Val(), float64(5*time.Second))

	c, err = s.Claim(ctx, "short", time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "short", c.Token, 50*time.Millisecond))
	require.Eventually(t, func() bool { return rc.Exists(ctx, prefix+"c:short").Val() == 0 }, 5*time.Second, 20*time.Millisecond)
}
