package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/internal/specserver"
)

// serveConfig is the -config file of serve. Flags win over it.
type serveConfig struct {
	// Secrets per scheme ("Token") or per family and scheme ("stackstate.Token").
	Secrets map[string][]string `yaml:"secrets"`
	Addr    string              `yaml:"addr"`
	Store   string              `yaml:"store"`
	Strict  bool                `yaml:"strict"`
}

// shutdownTimeout bounds the graceful stop.
const shutdownTimeout = 10 * time.Second

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "-spec FILE [-spec FILE]... -addr HOST:PORT [-config FILE] [-secret SCHEME=VALUE]... [-store URL] [-strict]",
		"hookgen serve -spec openapi/stackstate.yaml -addr 127.0.0.1:8080 -secret Token=$(openssl rand -hex 16)\n"+
			"  HOOKGEN_SECRET_TOKEN=s3cret hookgen serve -spec openapi/stackstate.yaml -spec openapi/butler.yaml -addr :8080 -store bolt:/var/lib/hookgen", stderr)
	var specs, secretArgs multiFlag
	fs.Var(&specs, "spec", "OpenAPI document to serve (repeatable: each family at its own default paths)")
	addr := fs.String("addr", "", "listen address HOST:PORT (port 0 picks a free port; default 127.0.0.1:8080)")
	cfgPath := fs.String("config", "", "YAML file with secrets: {SCHEME: [VALUE, ...]} (and addr, store, strict)")
	fs.Var(&secretArgs, "secret", "[FAMILY.]SCHEME=VALUE or SCHEME=@FILE (repeatable; several for one scheme rotate); else HOOKGEN_SECRET_<SCHEME>")
	storeURL := fs.String("store", "", "bolt:PATH (a directory, or a .db file with one spec; default bolt:.hookgen) or memory:")
	strict := fs.Bool("strict", false, "strict validation (unknown enum values, bad formats and unknown events are rejected)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if len(specs) == 0 {
		return usagef("-spec is required")
	}
	var cfg serveConfig
	if *cfgPath != "" {
		raw, err := os.ReadFile(*cfgPath)
		if err != nil {
			return usagef("-config: %v", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return usagef("-config %s: %v", *cfgPath, err)
		}
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if *storeURL != "" {
		cfg.Store = *storeURL
	}
	if err := specserver.CheckStore(cfg.Store); err != nil {
		return usagef("-store: %v", err)
	}
	cfg.Strict = cfg.Strict || *strict
	var parsed []secretArg
	for _, s := range secretArgs {
		a, err := parseSecret(s)
		if err != nil {
			return err
		}
		parsed = append(parsed, a)
	}
	loaded := make([]*specrun.Spec, 0, len(specs))
	for _, path := range specs {
		sp, err := specrun.Load(ctx, path)
		if err != nil {
			return err
		}
		loaded = append(loaded, sp)
	}
	secrets, err := collectSecrets(loaded, parsed, cfg.Secrets, os.Getenv)
	if err != nil {
		return err
	}
	srv, err := specserver.Serve(ctx, specserver.ServeConfig{
		Specs: loaded, Addr: cfg.Addr, Secrets: secrets, Store: cfg.Store, Strict: cfg.Strict,
		Logger: slog.New(slog.NewJSONHandler(stderr, nil)),
	})
	var missing *specserver.MissingSecretError
	if errors.As(err, &missing) {
		how := make([]string, 0, len(missing.Schemes))
		for _, sc := range missing.Schemes {
			how = append(how, fmt.Sprintf("-secret %s=VALUE or %s=VALUE", sc.Name, envName(sc.Name)))
		}
		return usagef("%v: pass %s, or secrets: {%s: [VALUE]} in the -config file",
			missing, strings.Join(how, ", or "), missing.Schemes[0].Name)
	}
	if err != nil {
		return err
	}
	mode := "lenient"
	if cfg.Strict {
		mode = "strict"
	}
	fmt.Fprintf(stdout, "hookgen serve: listening on %s (%s)\n", srv.URL, mode)
	for _, e := range srv.Endpoints {
		fmt.Fprintf(stdout, "  %-10s %-22s %-28s %s\n", e.Family, e.Webhook, strings.Join(e.Methods, ","), e.URL)
	}
	for _, sp := range loaded {
		if f := srv.Files[sp.Name()]; f != "" {
			fmt.Fprintf(stdout, "  %-10s records %s (list them with: hookgen deliveries -store %s)\n", sp.Name(), f, f)
		}
		if _, ok := secrets[sp.Name()]; !ok && len(sp.Family.Security) > 0 {
			fmt.Fprintf(stdout, "  %-10s WARNING: optional security with no secret: deliveries are not authenticated\n", sp.Name())
		}
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-waitChan(srv):
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if serveErr != nil {
		return serveErr
	}
	fmt.Fprintln(stdout, "hookgen serve: stopped")
	return nil
}

func waitChan(srv *specserver.Server) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- srv.Wait() }()
	return ch
}
