package harness

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// PrepareRedis gives one run a key prefix of its own on the Redis server at
// base: it returns base with the prefix parameter the Redis store reads, and
// the function that deletes every key under the prefix at the end.
func PrepareRedis(ctx context.Context, base string) (string, func(), error) {
	opts, err := redis.ParseURL(base)
	if err != nil {
		return "", nil, fmt.Errorf("harness: %w", err)
	}
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return "", nil, fmt.Errorf("harness: Redis unreachable (set HOOKGEN_REDIS_URL): %w", err)
	}
	prefix := fmt.Sprintf("hookgen_bench_%d:", time.Now().UnixNano())
	u, err := url.Parse(base)
	if err != nil {
		_ = client.Close()
		return "", nil, fmt.Errorf("harness: %w", err)
	}
	q := u.Query()
	q.Set("prefix", prefix)
	u.RawQuery = q.Encode()
	drop := func() {
		defer func() { _ = client.Close() }()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	}
	return u.String(), drop, nil
}
