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
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/serve"
)

// serveConfig is the -config file of serve. Flags win over it.
type serveConfig struct {
	// Secrets per scheme ("Token") or per family and scheme ("stackstate.Token").
	Secrets map[string][]string `yaml:"secrets"`
	Addr    string              `yaml:"addr"`
	OpsAddr string              `yaml:"ops_addr"`
	Store   string              `yaml:"store"`
	Mode    string              `yaml:"mode"`
	Strict  bool                `yaml:"strict"`
}

// shutdownTimeout bounds the graceful stop.
const shutdownTimeout = 10 * time.Second

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "-spec FILE [-spec FILE]... -addr HOST:PORT [-ops-addr HOST:PORT] [-config FILE] [-secret SCHEME=VALUE]... [-store URL] [-mode sync|durable] [-strict]",
		"hookgen serve -spec openapi/stackstate.yaml -addr 127.0.0.1:8080 -secret Token=$(openssl rand -hex 16)\n"+
			"  HOOKGEN_SECRET_TOKEN=s3cret hookgen serve -spec openapi/stackstate.yaml -spec openapi/butler.yaml -addr :8080 -store bolt:/var/lib/hookgen/hookgen.db -mode durable", stderr)
	var specs, secretArgs multiFlag
	fs.Var(&specs, "spec", "OpenAPI document to serve (repeatable: each family at its own default paths)")
	addr := fs.String("addr", "", "listen address HOST:PORT (port 0 picks a free port; default 127.0.0.1:8080)")
	opsAddr := fs.String("ops-addr", "", "listen address of /healthz, /readyz, /metrics and the inbox admin API (default 127.0.0.1:0, printed; env "+serve.EnvOpsAddr+")")
	cfgPath := fs.String("config", "", "YAML file with secrets: {SCHEME: [VALUE, ...]} (and addr, ops_addr, store, mode, strict)")
	fs.Var(&secretArgs, "secret", "[FAMILY.]SCHEME=VALUE or SCHEME=@FILE (repeatable; several for one scheme rotate); else HOOKGEN_SECRET_<SCHEME>")
	storeURL := fs.String("store", "", "the one store of every family: bolt:PATH (a file, or a directory holding hookgen.db) or memory: (default "+specserver.DefaultStore+"; env "+serve.EnvStore+")")
	mode := fs.String("mode", "", "acknowledgement mode of every family: sync or durable (default: durable for single-attempt senders, else sync; env "+serve.EnvMode+")")
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
	override(&cfg.Store, *storeURL, os.Getenv(serve.EnvStore))
	override(&cfg.OpsAddr, *opsAddr, os.Getenv(serve.EnvOpsAddr))
	override(&cfg.Mode, *mode, os.Getenv(serve.EnvMode))
	if cfg.Store == "" {
		cfg.Store = specserver.DefaultStore
	}
	if _, err := serve.ResolveStore(cfg.Store); err != nil {
		return usagef("-store: %v", err)
	}
	if _, ok := receiver.ParseMode(cfg.Mode); cfg.Mode != "" && !ok {
		return usagef("-mode %q: want sync or durable", cfg.Mode)
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
		Specs: loaded, Addr: cfg.Addr, OpsAddr: cfg.OpsAddr, OpsToken: os.Getenv(serve.EnvOpsToken),
		Secrets: secrets, Store: cfg.Store, Mode: cfg.Mode, Strict: cfg.Strict,
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
	validation := "lenient"
	if cfg.Strict {
		validation = "strict"
	}
	fmt.Fprintf(stdout, "hookgen serve: listening on %s (%s)\n", srv.URL, validation)
	for _, e := range srv.Endpoints {
		fmt.Fprintf(stdout, "  %-10s %-22s %-28s %s\n", e.Family, e.Webhook, strings.Join(e.Methods, ","), e.URL)
	}
	fmt.Fprintf(stdout, "  operations %s (/healthz /readyz /metrics /admin/inbox)\n", srv.OpsURL)
	fmt.Fprintf(stdout, "  store      %s (hookgen inbox list -store %s; hookgen deliveries -store %s)\n", srv.Store, srv.Store, srv.Store)
	for _, sp := range loaded {
		if _, ok := secrets[sp.Name()]; !ok && len(usedSchemes(sp)) > 0 {
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

// override sets *dst to the flag value, else the environment value, when
// either is set (a flag wins over the environment, both over the config
// file).
func override(dst *string, flagValue, envValue string) {
	switch {
	case flagValue != "":
		*dst = flagValue
	case envValue != "":
		*dst = envValue
	}
}

func waitChan(srv *specserver.Server) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- srv.Wait() }()
	return ch
}
