package serve

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/inboxapi"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

// Environment variables App reads; a flag wins over its variable.
const (
	EnvAddr     = "HOOKGEN_ADDR"      // -addr
	EnvOpsAddr  = "HOOKGEN_OPS_ADDR"  // -ops-addr
	EnvStore    = "HOOKGEN_STORE"     // -store
	EnvOpsToken = "HOOKGEN_OPS_TOKEN" // bearer token of /metrics and /admin/
	EnvMode     = "HOOKGEN_MODE"      // -mode
)

// App is a generated receiver's command. Its Main is the whole main
// function:
//
//	serve.App{Name: "stackstate-receiver", Family: stackstate.Family, Build: func(o ...receiver.Option) (*receiver.Receiver, error) {
//		return stackstate.New(handler{}, o...)
//	}}.Main()
type App struct {
	// Name is the command name, for usage and errors.
	Name string
	// Family returns the family served (the generated package's Family).
	Family func() *runtime.Family
	// Build builds the receiver with the options App computed (the
	// generated package's New with the application's handler).
	Build func(opts ...receiver.Option) (*receiver.Receiver, error)
	// Logger receives the receiver's and the server's logs (default: JSON
	// on stderr).
	Logger *slog.Logger
	// Options are added after the ones App computes from flags and
	// environment.
	Options []Option
}

// AppConfig is what App reads from its -config YAML file; a flag wins over
// the environment, which wins over the file.
type AppConfig struct {
	Addr    string `yaml:"addr"`
	OpsAddr string `yaml:"ops_addr"`
	Store   string `yaml:"store"`
	Mode    string `yaml:"mode"`
}

// config parses the flags and merges them with the environment, the
// config file and the defaults.
func (a App) config(args []string, getenv func(string) string, fam *runtime.Family, stderr io.Writer) (AppConfig, error) {
	fs := flag.NewFlagSet(a.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var flags AppConfig
	fs.StringVar(&flags.Addr, "addr", "", "webhook listen address (env "+EnvAddr+"; default "+DefaultAddr+")")
	fs.StringVar(&flags.OpsAddr, "ops-addr", "", "listen address of /healthz, /readyz, /metrics and /admin/inbox (env "+EnvOpsAddr+"; default "+DefaultOpsAddr+")")
	fs.StringVar(&flags.Store, "store", "", "store URL: "+storeurl.Forms+" (env "+EnvStore+"; default bolt:"+fam.Name+".db)")
	fs.StringVar(&flags.Mode, "mode", "", "acknowledgement mode: sync or durable (env "+EnvMode+"; default: durable for single-attempt senders when the store keeps an inbox, else sync)")
	cfgPath := fs.String("config", "", "YAML file with addr, ops_addr, store and mode")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n\nSecrets: %s\n\nFlags:\n", a.Name, envHint(fam))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return AppConfig{}, err
		}
		return AppConfig{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return AppConfig{}, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	cfg := AppConfig{Addr: DefaultAddr, OpsAddr: DefaultOpsAddr, Store: "bolt:" + fam.Name + ".db"}
	if *cfgPath != "" {
		raw, err := os.ReadFile(*cfgPath)
		if err != nil {
			return AppConfig{}, fmt.Errorf("%w: -config: %w", errUsage, err)
		}
		var file AppConfig
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
			return AppConfig{}, fmt.Errorf("%w: -config %s: %w", errUsage, *cfgPath, err)
		}
		merge(&cfg, file)
	}
	merge(&cfg, AppConfig{Addr: getenv(EnvAddr), OpsAddr: getenv(EnvOpsAddr), Store: getenv(EnvStore), Mode: getenv(EnvMode)})
	merge(&cfg, flags)
	return cfg, nil
}

// merge overrides dst's fields with the non-empty fields of src.
func merge(dst *AppConfig, src AppConfig) {
	for _, p := range []struct {
		d *string
		s string
	}{
		{&dst.Addr, src.Addr}, {&dst.OpsAddr, src.OpsAddr}, {&dst.Store, src.Store}, {&dst.Mode, src.Mode},
	} {
		if p.s != "" {
			*p.d = p.s
		}
	}
}

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

// Main runs the command with os.Args, the environment and SIGINT/SIGTERM
// for a graceful stop, and exits: 0 after a graceful stop, 2 on a usage
// error, 1 on any other failure.
func (a App) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := a.Run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "%s: %v\n", a.Name, err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", a.Name, err)
		os.Exit(1)
	}
}

// Run is Main without the process: it parses args, reads the environment
// through getenv, writes usage to stderr, and serves until ctx is done.
func (a App) Run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fam := a.Family()
	cfg, err := a.config(args, getenv, fam, stderr)
	if err != nil {
		return err
	}
	log := a.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	reg := prometheus.NewRegistry()
	st, rc, err := a.receiver(ctx, fam, cfg, getenv, log, reg)
	if err != nil {
		return err
	}
	closeAll := func(context.Context) error { return errors.Join(rc.Close(), st.Close()) }
	opts := []Option{WithAddr(cfg.Addr), WithOpsAddr(cfg.OpsAddr), WithOpsToken(getenv(EnvOpsToken)),
		WithRegistry(reg), WithLogger(log.With("family", fam.Name)), WithAdmin(inboxapi.Handler(rc.Inbox())),
		OnShutdown(rc.Shutdown), OnShutdown(closeAll)}
	canonical, _ := ResolveStore(cfg.Store)
	boltPath, isBolt := strings.CutPrefix(canonical, "bolt:")
	if isBolt {
		opts = append(opts, OnShutdown(func(context.Context) error { return removeAdminFile(boltPath) }))
	}
	srv, err := New(rc.Handler(), append(opts, a.Options...)...)
	if err == nil {
		err = srv.Listen(ctx)
	}
	if err == nil && isBolt && srv.OpsAddr() != "" {
		err = os.WriteFile(AdminFile(boltPath), []byte("http://"+srv.OpsAddr()+"\n"), 0o600)
	}
	if err != nil {
		_ = closeAll(ctx)
		return err
	}
	return srv.Run(ctx)
}

// receiver opens the store cfg names and builds the receiver on it with
// the secrets from the environment.
func (a App) receiver(ctx context.Context, fam *runtime.Family, cfg AppConfig, getenv func(string) string, log *slog.Logger,
	reg *prometheus.Registry) (store.Backend, *receiver.Receiver, error) {
	var mode receiver.Option
	if cfg.Mode != "" {
		m, ok := receiver.ParseMode(cfg.Mode)
		if !ok {
			return nil, nil, fmt.Errorf("%w: -mode %q: want sync or durable", errUsage, cfg.Mode)
		}
		mode = receiver.WithMode(m)
	}
	if _, err := ResolveStore(cfg.Store); err != nil {
		return nil, nil, fmt.Errorf("%w: -store: %w", errUsage, err)
	}
	st, err := OpenStore(ctx, cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	opts := []receiver.Option{receiver.WithStore(st), receiver.WithLogger(log),
		receiver.WithRegisterer(reg), receiver.WithOpsEndpoints(false), mode}
	if sec := EnvSecrets(fam, getenv); len(sec) > 0 {
		opts = append(opts, receiver.WithSecrets(sec))
	}
	rc, err := a.Build(opts...)
	if err != nil {
		_ = st.Close()
		if errors.Is(err, runtime.ErrConfig) && len(SchemesUsed(fam)) > 0 {
			return nil, nil, fmt.Errorf("%w (secrets: %s)", err, envHint(fam))
		}
		return nil, nil, err
	}
	return st, rc, nil
}

func removeAdminFile(boltPath string) error {
	if err := os.Remove(AdminFile(boltPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// AdminFile is the file next to a bolt store in which a running receiver
// (App, or hookgen serve) keeps the URL of its operations listener, so that
// hookgen inbox and deliveries reach its inbox while it holds the file's
// lock. It is removed at a graceful stop.
func AdminFile(boltPath string) string { return boltPath + ".admin" }

// envHint names the variables holding fam's secrets.
func envHint(fam *runtime.Family) string {
	schemes := SchemesUsed(fam)
	if len(schemes) == 0 {
		return "none (the family declares no security)"
	}
	parts := make([]string, len(schemes))
	for i, s := range schemes {
		parts[i] = SecretEnvName(s) + " (scheme " + s + ")"
	}
	return strings.Join(parts, ", ")
}

// DefaultBoltFile is the file bolt:DIR names when DIR is a directory.
const DefaultBoltFile = "hookgen.db"

// ResolveStore checks a store URL and makes it canonical: "memory:",
// "redis://…", "rediss://…", "postgres://…", "postgresql://…" unchanged, and
// "bolt:FILE" where a PATH naming an existing directory becomes
// PATH/hookgen.db (one file per process, whatever the number of families).
func ResolveStore(url string) (string, error) {
	kind, rest, ok := strings.Cut(url, ":")
	switch {
	case ok && kind == "memory" && rest == "":
		return url, nil
	case ok && kind == "bolt" && rest != "":
		if st, err := os.Stat(rest); err == nil && st.IsDir() {
			rest = filepath.Join(rest, DefaultBoltFile)
		}
		return "bolt:" + rest, nil
	case ok && strings.HasPrefix(rest, "//") && (kind == "redis" || kind == "rediss" || kind == "postgres" || kind == "postgresql"):
		return url, nil
	}
	return "", fmt.Errorf("%w: store %q: want %s", store.ErrInvalid, url, storeurl.Forms)
}

// OpenStore opens the backend a store URL names (see ResolveStore and
// package storeurl); for bolt it creates the file's directory when
// missing. A PostgreSQL store gets its migrations applied.
func OpenStore(ctx context.Context, url string) (store.Backend, error) {
	url, err := ResolveStore(url)
	if err != nil {
		return nil, err
	}
	if path, ok := strings.CutPrefix(url, "bolt:"); ok {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store %s: %w", url, err)
		}
	}
	return storeurl.Open(ctx, url)
}
