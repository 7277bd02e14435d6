package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storetest"
)

// boltPath returns a fresh database path in the test's temporary folder.
func boltPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "store.db")
}

func TestBoltConformance(t *testing.T) {
	paths := sync.Map{} // *store.Bolt → path, for reopen
	open := func(t *testing.T) (a, b store.Backend) {
		path := boltPath(t)
		db, err := store.OpenBolt(path)
		require.NoError(t, err)
		paths.Store(db, path)
		return db, db // one process holds the file: both clients share it
	}
	reopen := func(t *testing.T, old store.Backend) store.Backend {
		path, ok := paths.Load(old)
		require.True(t, ok, "reopen of a store open did not return")
		require.NoError(t, old.Close())
		db, err := store.OpenBolt(path.(string))
		require.NoError(t, err)
		paths.Store(db, path)
		return db
	}
	storetest.Run(t, open, storetest.WithReopen(reopen))
}

func TestOpenBoltErrors(t *testing.T) {
	dir := t.TempDir()
	notADB := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(notADB, []byte(strings.Repeat("not a bolt file ", 512)), 0o600))
	tests := []struct {
		name string
		path string
	}{
		{"MissingFolder", filepath.Join(dir, "no", "such", "folder", "store.db")},
		{"NotABoltFile", notADB},
		{"Folder", dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := store.OpenBolt(tt.path, store.WithOpenTimeout(100*time.Millisecond))
			require.Error(t, err)
			assert.Nil(t, b)
			assert.Contains(t, err.Error(), "store: open bolt")
		})
	}
}

func TestBoltFileLocked(t *testing.T) {
	path := boltPath(t)
	b, err := store.OpenBolt(path)
	require.NoError(t, err)
	defer b.Close()
	start := time.Now()
	second, err := store.OpenBolt(path, store.WithOpenTimeout(100*time.Millisecond))
	require.Error(t, err, "the file is locked while open")
	assert.Nil(t, second)
	assert.Less(t, time.Since(start), 5*time.Second)

	ro, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err == nil {
		_ = ro.Close()
	}
	require.Error(t, err, "a read-only open waits for the writer's lock too")
}

func TestBoltClockAndSweep(t *testing.T) {
	clock := newFakeClock()
	path := boltPath(t)
	b, err := store.OpenBolt(path, store.WithClock(clock.Now), store.WithSweepInterval(10*time.Millisecond))
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()

	for i := range 50 {
		key := fmt.Sprintf("k%d", i)
		c, err := b.Claim(ctx, key, time.Minute)
		require.NoError(t, err)
		require.NoError(t, b.Complete(ctx, key, c.Token, time.Hour))
	}
	require.NoError(t, b.Commit(ctx, "entity", 3, true, true, time.Hour))
	c, err := b.Claim(ctx, "kept", time.Minute)
	require.NoError(t, err)
	require.NoError(t, b.Complete(ctx, "kept", c.Token, 48*time.Hour))

	clock.Advance(2 * time.Hour)
	st, err := b.Get(ctx, "k0")
	require.NoError(t, err)
	assert.Equal(t, store.Absent, st, "expired reads as Absent before any sweep")
	v, err := b.Check(ctx, "entity", 1, true, false)
	require.NoError(t, err)
	assert.Equal(t, store.Accept, v)

	// The sweeper deletes the expired records from the file.
	require.Eventually(t, func() bool { return store.BoltRecordCount(b) == 1 }, 5*time.Second, 20*time.Millisecond,
		"the sweeper leaves only the unexpired record")
	st, err = b.Get(ctx, "kept")
	require.NoError(t, err)
	assert.Equal(t, store.Done, st)
}

// killHelperEnv names the database file the kill helper child writes to.
const killHelperEnv = "HOOKGEN_STORE_KILL_HELPER_DB"

// TestBoltKillHelper is not a test on its own: TestBoltKillNine runs the
// test binary again with only this test and killHelperEnv set. The child
// completes keys and puts inbox entries from several goroutines, printing
// "ACK key" right after its Complete and Put returned, until it has completed killHelperKeys, then keeps
// claiming until it is killed.
func TestBoltKillHelper(t *testing.T) {
	path := os.Getenv(killHelperEnv)
	if path == "" {
		t.Skip("helper process of TestBoltKillNine")
	}
	b, err := store.OpenBolt(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	var mu sync.Mutex // one line per write to stdout
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := 0; i < killHelperKeys/workers; i++ {
				key := fmt.Sprintf("ack-%d-%d", w, i)
				c, err := b.Claim(ctx, key, time.Minute)
				if err == nil {
					err = b.Complete(ctx, key, c.Token, time.Hour)
				}
				if err == nil {
					err = b.Put(ctx, store.Entry{Family: "fam", ID: key, Entity: fmt.Sprint("e", i%7), Body: []byte(key)})
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "complete:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ACK %s\n", key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := 0; ; i++ {
		_, _ = b.Claim(ctx, fmt.Sprintf("tail-%d", i), time.Minute)
	}
}

const killHelperKeys = 2000

// TestBoltKillNine kills a process that is completing keys and putting
// inbox entries with SIGKILL and checks that every key it acknowledged is
// Done, and its entry present, in the reopened file.
func TestBoltKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	path := boltPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	const killAfter = 300 // acknowledgements read before the kill, mid-stream
	acked := make([]string, 0, killAfter)
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	for len(acked) < killAfter && sc.Scan() {
		if key, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			acked = append(acked, key)
		}
	}
	require.NoError(t, cmd.Process.Kill())
	deadline.Stop()
	// Acknowledgements already in the pipe were written after their
	// Complete returned too: they must survive as well.
	for sc.Scan() {
		if key, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			acked = append(acked, key)
		}
	}
	_ = cmd.Wait()
	require.GreaterOrEqual(t, len(acked), killAfter, "child stderr: %s", stderr.String())
	require.Less(t, len(acked), killHelperKeys, "the kill must land mid-stream")

	b, err := store.OpenBolt(path)
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	for _, key := range acked {
		st, err := b.Get(ctx, key)
		require.NoError(t, err)
		require.Equal(t, store.Done, st, "acknowledged key %s lost by kill -9", key)
		e, err := b.GetEntry(ctx, "fam", key)
		require.NoError(t, err, "acknowledged entry %s lost by kill -9", key)
		require.Equal(t, []byte(key), e.Body)
	}
	// The reopened inbox is consistent: every entry is listed once and
	// each entity's head can be leased.
	n := 0
	for q := (store.Query{Family: "fam", Limit: store.MaxPageSize}); ; {
		p, err := b.List(ctx, q)
		require.NoError(t, err)
		n += len(p.Entries)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	assert.GreaterOrEqual(t, n, len(acked))
	l, err := b.Lease(ctx, 100, time.Minute)
	require.NoError(t, err)
	assert.Len(t, l, 7, "one head per entity e0..e6")
	t.Logf("%d acknowledged keys survived kill -9", len(acked))
}

func ExampleOpenBolt() {
	dir, err := os.MkdirTemp("", "hookgen-store")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := store.OpenBolt(filepath.Join(dir, "idempotency.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := s.Claim(ctx, "delivery-42", 30*time.Second)
	_ = s.Complete(ctx, "delivery-42", c.Token, 24*time.Hour) // on disk when this returns
	_ = s.Close()

	// After a restart the completed key is still there.
	s, err = store.OpenBolt(filepath.Join(dir, "idempotency.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	dup, _ := s.Claim(ctx, "delivery-42", 30*time.Second)
	fmt.Println("duplicate after restart:", dup.Won, dup.State)
	// Output:
	// duplicate after restart: false done
}

func BenchmarkBoltClaimComplete(b *testing.B) {
	s, err := store.OpenBolt(boltPath(b))
	require.NoError(b, err)
	defer s.Close()
	// Many deliveries in flight, as under a receiver's load: group commit
	// shares each fsync among them.
	b.SetParallelism(32)
	benchClaimComplete(b, s)
}
