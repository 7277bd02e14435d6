// Package scaffold writes new, self-contained Go modules built on hookgen:
// today a ticketing integration (vendor alerts become tickets in an issue
// tracker, exactly once).
//
// Ticketing returns the files of the module; the hookgen CLI writes them
// ('hookgen scaffold ticketing').
package scaffold

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/openapi"
)

//go:embed ticketing
var templates embed.FS

// ErrUnknownFamily is wrapped by the error for a family with no mapping.
var ErrUnknownFamily = errors.New("unknown family")

// ErrUnknownTracker is wrapped by the error for a tracker with no adapter.
var ErrUnknownTracker = errors.New("unknown tracker")

// ErrInvalid is wrapped by the error for other unusable options.
var ErrInvalid = errors.New("invalid option")

// Families are the vendor families Ticketing has a mapping layer for.
func Families() []string {
	return []string{"atscale", "butler", "clcbackup", "netpulse", "stackstate"}
}

// Trackers are the issue trackers Ticketing has an adapter for.
func Trackers() []string { return []string{"redmine"} }

// File is one file of the scaffolded module, by slash-separated path.
type File struct {
	Path    string
	Content []byte
}

// TicketingOptions configures Ticketing.
type TicketingOptions struct {
	// Families to receive (at least one of Families()).
	Families []string
	// Tracker is the issue tracker ("redmine").
	Tracker string
	// Module is the new module's path.
	Module string
	// Hookgen, when set, is the directory of a hookgen checkout: go.mod gets
	// a replace directive to it (relative to Out when Out is set) and the
	// checkout's requirements and go.sum, so the module builds offline.
	Hookgen string
	// Out is the directory the files will be written to; used only to make
	// the replace path relative.
	Out string
}

type data struct {
	Module   string
	Families []string
	Has      map[string]bool
}

// Ticketing returns the files of a ticketing module for o.
func Ticketing(ctx context.Context, o TicketingOptions) ([]File, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	d := data{Module: o.Module, Families: slices.Sorted(slices.Values(o.Families)), Has: map[string]bool{}}
	for _, f := range d.Families {
		d.Has[f] = true
	}
	var files []File
	for _, f := range d.Families {
		gen, err := receiver(ctx, f)
		if err != nil {
			return nil, err
		}
		files = append(files, gen...)
	}
	tmpl, err := render(d)
	if err != nil {
		return nil, err
	}
	files = append(files, tmpl...)
	mod, sum, err := goMod(o)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: "go.mod", Content: mod})
	if sum != nil {
		files = append(files, File{Path: "go.sum", Content: sum})
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

func (o TicketingOptions) validate() error {
	if len(o.Families) == 0 {
		return fmt.Errorf("%w: no family given (one or more of %s)", ErrInvalid, strings.Join(Families(), ","))
	}
	seen := map[string]bool{}
	for _, f := range o.Families {
		if !slices.Contains(Families(), f) {
			return fmt.Errorf("%w %q (known: %s)", ErrUnknownFamily, f, strings.Join(Families(), ","))
		}
		if seen[f] {
			return fmt.Errorf("%w: family %q given twice", ErrInvalid, f)
		}
		seen[f] = true
	}
	if !slices.Contains(Trackers(), o.Tracker) {
		return fmt.Errorf("%w %q (known: %s)", ErrUnknownTracker, o.Tracker, strings.Join(Trackers(), ","))
	}
	if o.Module == "" || strings.ContainsAny(o.Module, " \t\n\"'`\\") {
		return fmt.Errorf("%w: module path %q", ErrInvalid, o.Module)
	}
	return nil
}

// receiver generates a family's receiver package through the normal
// generator, from the spec embedded in hookgen.
func receiver(ctx context.Context, family string) ([]File, error) {
	dir, err := os.MkdirTemp("", "hookgen-scaffold-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := os.CopyFS(dir, openapi.FS()); err != nil {
		return nil, fmt.Errorf("scaffold: copy specs: %w", err)
	}
	gen, err := generator.Run(ctx, generator.Config{Spec: filepath.Join(dir, openapi.SpecPath(family)),
		Package: family, Source: "openapi/" + openapi.SpecPath(family)})
	if err != nil {
		return nil, fmt.Errorf("scaffold: generate %s: %w", family, err)
	}
	out := make([]File, 0, len(gen))
	for _, g := range gen {
		out = append(out, File{Path: path.Join("receivers", family, g.Name), Content: g.Content})
	}
	return out, nil
}

// render executes the templates: files under ticketing/all/ always, files
// under ticketing/<family>/ for each chosen family.
func render(d data) ([]File, error) {
	var out []File
	err := fs.WalkDir(templates, "ticketing", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, "ticketing/")
		group, name, _ := strings.Cut(rel, "/")
		if group != "all" && !d.Has[group] {
			return nil
		}
		src, err := fs.ReadFile(templates, p)
		if err != nil {
			return err
		}
		t, err := template.New(rel).Parse(string(src))
		if err != nil {
			return fmt.Errorf("scaffold: template %s: %w", rel, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, d); err != nil {
			return fmt.Errorf("scaffold: template %s: %w", rel, err)
		}
		name = strings.TrimSuffix(name, ".tmpl")
		b := buf.Bytes()
		if strings.HasSuffix(name, ".go") {
			if b, err = format.Source(b); err != nil {
				return fmt.Errorf("scaffold: template %s: %w", rel, err)
			}
		}
		out = append(out, File{Path: name, Content: b})
		return nil
	})
	return out, err
}

// goMod writes the module's go.mod (and go.sum, with a checkout).
func goMod(o TicketingOptions) ([]byte, []byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo 1.26.0\n\nrequire github.com/hookgen/hookgen v0.0.0-00010101000000-000000000000\n", o.Module)
	if o.Hookgen == "" {
		return []byte(b.String()), nil, nil
	}
	reqs, err := requires(filepath.Join(o.Hookgen, "go.mod"))
	if err != nil {
		return nil, nil, err
	}
	if len(reqs) > 0 {
		b.WriteString("\nrequire (\n")
		for _, r := range reqs {
			fmt.Fprintf(&b, "\t%s // indirect\n", r)
		}
		b.WriteString(")\n")
	}
	rel := o.Hookgen
	if o.Out != "" {
		absOut, err1 := filepath.Abs(o.Out)
		absHG, err2 := filepath.Abs(o.Hookgen)
		if err1 == nil && err2 == nil {
			if r, err := filepath.Rel(absOut, absHG); err == nil {
				rel = r
			}
		}
	}
	rel = filepath.ToSlash(rel)
	if !strings.HasPrefix(rel, ".") && !strings.HasPrefix(rel, "/") {
		rel = "./" + rel
	}
	fmt.Fprintf(&b, "\nreplace github.com/hookgen/hookgen => %s\n", rel)
	sum, err := os.ReadFile(filepath.Join(o.Hookgen, "go.sum"))
	if err != nil {
		return nil, nil, fmt.Errorf("scaffold: -hookgen %s: %w", o.Hookgen, err)
	}
	return []byte(b.String()), sum, nil
}

// requires returns the "path version" requirements of a go.mod.
func requires(goModPath string) ([]string, error) {
	src, err := os.ReadFile(goModPath)
	if err != nil {
		return nil, fmt.Errorf("scaffold: -hookgen: %w", err)
	}
	if !bytes.Contains(src, []byte("module github.com/hookgen/hookgen\n")) {
		return nil, fmt.Errorf("%w: %s is not hookgen's go.mod", ErrInvalid, goModPath)
	}
	var out []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line, _, _ = strings.Cut(line, "//")
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			in = true
		case in && line == ")":
			in = false
		case in && line != "":
			out = append(out, line)
		case strings.HasPrefix(line, "require "):
			out = append(out, strings.TrimPrefix(line, "require "))
		}
	}
	return out, sc.Err()
}
