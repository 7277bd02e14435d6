package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/hookgen/hookgen/runtime/serve"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
)

func runMigrate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "-store postgres://…",
		"hookgen migrate -store 'postgres://hookgen@db:5432/hooks?sslmode=require&search_path=hookgen'", stderr)
	storeURL := fs.String("store", os.Getenv(serve.EnvStore), "PostgreSQL store URL (env "+serve.EnvStore+"); the schema is the first of its search_path")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	u, err := url.Parse(*storeURL)
	if *storeURL == "" || err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return usagef("-store %q: migrate applies the PostgreSQL store's migrations: want postgres://…; "+
			"the embedded and Redis stores need none", redactURL(*storeURL))
	}
	if err := pgstore.Migrate(ctx, *storeURL); err != nil {
		return fmt.Errorf("%s: %w", redactURL(*storeURL), err)
	}
	fmt.Fprintf(stdout, "hookgen migrate: %s is up to date\n", redactURL(*storeURL))
	return nil
}

// redactURL hides a URL's password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "@"); i >= 0 {
			return "…" + raw[i:]
		}
		return raw
	}
	return u.Redacted()
}
