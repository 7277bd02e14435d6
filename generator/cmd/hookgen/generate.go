package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

func runGenerate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("generate", "-spec FILE -package NAME -out DIR [-config hookgen.yaml] [-overlay FILE]",
		"//go:generate go run github.com/hookgen/hookgen/generator/cmd/hookgen generate -spec ../../openapi/stackstate.yaml -package stackstate -out .", stderr)
	spec := fs.String("spec", "", "OpenAPI document (3.0.x paths or 3.1 webhooks; relative $refs followed)")
	pkg := fs.String("package", "", "Go package name of the generated code")
	out := fs.String("out", "", "output directory (created if missing)")
	cfgPath := fs.String("config", "", "hookgen.yaml with the settings above and more (flags win)")
	overlay := fs.String("overlay", "", "OpenAPI Overlay 1.0 document applied to the spec first")
	quiet := fs.Bool("q", false, "print nothing on success")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	var cfg generator.Config
	if *cfgPath != "" {
		c, err := generator.LoadConfig(*cfgPath)
		if err != nil {
			return err
		}
		cfg = c
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.Spec, *spec)
	set(&cfg.Package, *pkg)
	set(&cfg.Out, *out)
	set(&cfg.Overlay, *overlay)
	if cfg.Spec == "" || cfg.Package == "" || cfg.Out == "" {
		return usagef("-spec, -package and -out are required (or a -config file that sets them)")
	}
	cfg.OnWarning = func(w dynamic.Warning) { fmt.Fprintf(stderr, "hookgen generate: warning: %s\n", w) }
	files, err := generator.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := writeAll(cfg.Out, files); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stdout, "hookgen: wrote %d files to %s\n", len(files), cfg.Out)
	}
	return nil
}

// writeAll writes every file or none: each goes to a temporary file first,
// and only when all are written are they renamed into place.
func writeAll(dir string, files []generator.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	tmps := make([]string, 0, len(files))
	cleanup := func() {
		for _, t := range tmps {
			_ = os.Remove(t)
		}
	}
	for _, f := range files {
		tmp, err := os.CreateTemp(dir, ".hookgen-*.tmp")
		if err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		tmps = append(tmps, tmp.Name())
		if _, err := tmp.Write(f.Content); err != nil {
			_ = tmp.Close()
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		if err := tmp.Close(); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	for i, f := range files {
		if err := os.Rename(tmps[i], filepath.Join(dir, f.Name)); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	return nil
}
