package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/hookgen/hookgen/internal/specserver"
	"github.com/hookgen/hookgen/runtime/inboxapi"
	"github.com/hookgen/hookgen/runtime/serve"
	"github.com/hookgen/hookgen/runtime/store"
)

// storeFlags are the -store and -admin flags of the commands that read a
// store's inbox.
type storeFlags struct {
	store, admin *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		store: fs.String("store", specserver.DefaultStore, "store URL: bolt:PATH (a file, or a directory holding hookgen.db) or memory:; "+
			"a bolt file held by a running serve is read through its admin endpoint"),
		admin: fs.String("admin", "", "operations URL of a running serve or receiver (http://HOST:PORT), instead of -store; token from "+serve.EnvOpsToken),
	}
}

// inboxHandle is an inbox to read and a function to release it.
type inboxHandle struct {
	inboxapi.Admin
	close func() error
}

// open opens the inbox: through -admin, else the -store file, else (when
// a running serve holds the bolt file) through the admin URL it wrote
// next to the file.
func (f storeFlags) open(ctx context.Context, getenv func(string) string) (inboxHandle, error) {
	token := getenv(serve.EnvOpsToken)
	if *f.admin != "" {
		c, err := inboxapi.NewClient(*f.admin, token, nil)
		if err != nil {
			return inboxHandle{}, usagef("-admin: %v", err)
		}
		return inboxHandle{Admin: c, close: func() error { return nil }}, nil
	}
	raw := *f.store
	if !strings.Contains(raw, ":") {
		raw = "bolt:" + raw // a plain path names a bolt file or directory
	}
	url, err := serve.ResolveStore(raw)
	if err != nil {
		return inboxHandle{}, usagef("-store: %v", err)
	}
	if url == "memory:" {
		return inboxHandle{}, usagef("-store %s: a memory store lives in its process: pass -admin URL of the running serve", url)
	}
	path, ok := strings.CutPrefix(url, "bolt:")
	if !ok { // a shared store: open it directly, as many processes may
		b, err := serve.OpenStore(ctx, url)
		if err != nil {
			return inboxHandle{}, err
		}
		return inboxHandle{Admin: b, close: b.Close}, nil
	}
	if _, err := os.Stat(path); err != nil {
		return inboxHandle{}, fmt.Errorf("store %s: %w", path, err)
	}
	b, err := store.OpenBolt(path, store.WithOpenTimeout(500*time.Millisecond))
	if err == nil {
		return inboxHandle{Admin: b, close: b.Close}, nil
	}
	if !errors.Is(err, bolterrors.ErrTimeout) {
		return inboxHandle{}, fmt.Errorf("open store %s: %w", path, err)
	}
	admin, rerr := os.ReadFile(serve.AdminFile(path))
	if rerr != nil {
		return inboxHandle{}, fmt.Errorf("store %s is locked by a running process: pass -admin with its operations URL", path)
	}
	c, err := inboxapi.NewClient(strings.TrimSpace(string(admin)), token, nil)
	if err != nil {
		return inboxHandle{}, err
	}
	return inboxHandle{Admin: c, close: func() error { return nil }}, nil
}
