package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/dynamic"
	"github.com/hookgen/hookgen/runtime/schema"
)

// suiteDir holds the vendored JSON-Schema-Test-Suite (draft 2020-12).
const suiteDir = "../runtime/schema/testdata/JSON-Schema-Test-Suite"

type suiteGroup struct {
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Tests       []struct {
		Description string          `json:"description"`
		Data        json.RawMessage `json:"data"`
		Valid       bool            `json:"valid"`
	} `json:"tests"`
}

// suiteDeviation lists the suite cases where hookgen deliberately answers
// otherwise than the suite. The suite runs format as an annotation (the
// default of 2020-12); hookgen asserts the formats it knows (uuid, date,
// date-time, email, ipv4, ipv6, uri), as runtime/schema documents, so
// these invalid strings are rejected. The test fails if a listed case stops
// deviating, so the list stays exact.
var suiteDeviation = map[string]string{
	"format.json/email format/invalid email string is only an annotation by default":         "format asserted",
	"format.json/ipv4 format/invalid ipv4 string is only an annotation by default":           "format asserted",
	"format.json/ipv6 format/invalid ipv6 string is only an annotation by default":           "format asserted",
	"format.json/date format/invalid date string is only an annotation by default":           "format asserted",
	"format.json/date-time format/invalid date-time string is only an annotation by default": "format asserted",
	"format.json/uri format/invalid uri string is only an annotation by default":             "format asserted",
	"format.json/uuid format/invalid uuid string is only an annotation by default":           "format asserted",
}

// suiteCase is one payload of one group, at the root of the request body
// or nested under its property "value".
type suiteCase struct {
	file, group, test string
	nested            bool
	body              []byte
	valid             bool
	// interpreted is the interpreted validator's verdict; fn names the
	// compiled validator in the batch program.
	interpreted error
	fn          string
}

func (c *suiteCase) key() string { return c.file + "/" + c.group + "/" + c.test }

// suiteSpec wraps one test schema in an OpenAPI 3.1 document: component S
// is the schema (its local "#..." references rebased onto it), webhook
// "root" takes S as its body and webhook "nested" an object whose required
// property "value" is S.
func suiteSpec(raw json.RawMessage) ([]byte, error) {
	var s any
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	s = rebaseRefs(s, "#/components/schemas/S")
	op := func(id string, body any) any {
		return map[string]any{"post": map[string]any{
			"operationId": id,
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}},
			"responses":   map[string]any{"204": map[string]any{"description": "accepted"}},
		}}
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "suite", "version": "1"},
		"webhooks": map[string]any{
			"root":   op("root", map[string]any{"$ref": "#/components/schemas/S"}),
			"nested": op("nested", map[string]any{"type": "object", "required": []any{"value"}, "properties": map[string]any{"value": s}}),
		},
		"components": map[string]any{"schemas": map[string]any{"S": s}},
	}
	return json.Marshal(doc)
}

// rebaseRefs rewrites document-local "$ref": "#..." values to point into
// base. Other references (remote, relative to a $id) are left for the
// loader to refuse.
func rebaseRefs(v any, base string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, y := range x {
			if k == "enum" || k == "const" || k == "default" || k == "examples" {
				out[k] = y // instance data, not schemas
				continue
			}
			if r, ok := y.(string); ok && k == "$ref" && strings.HasPrefix(r, "#") && !strings.HasPrefix(r, "#/components/") {
				if r == "#" || strings.HasPrefix(r, "#/") {
					out[k] = base + strings.TrimPrefix(r, "#")
					continue
				}
			}
			out[k] = rebaseRefs(y, base)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = rebaseRefs(y, base)
		}
		return out
	}
	return v
}

// suiteStats counts the outcome of one suite file.
type suiteStats struct {
	cases, refused, deviations          int
	interpretedPass, compiledPass       int
	refusals                            map[string]bool
	interpretedFailures, compiledFailed []string
}

// TestSchemaSuite runs every case of the JSON-Schema-Test-Suite (draft
// 2020-12) through the load and model step of hookgen generate/serve, then
// through the interpreted validators of the dynamic path (hookgen serve)
// and (unless -short) the compiled ones,
// with the test schema at the root of a request body and nested under a
// property. A schema the model step refuses counts as refused; every other
// case must get the suite's verdict, and the compiled and interpreted
// validators must report the same findings (pointer, rule, message).
// -update rewrites RESULTS.md.
func TestSchemaSuite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(suiteDir, "tests", "draft2020-12", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ctx := context.Background()
	tmp := t.TempDir()
	stats := map[string]*suiteStats{}
	var cases []*suiteCase
	var progFiles, refusedGroups []string
	gi := 0
	for _, path := range files {
		file := filepath.Base(path)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		var groups []suiteGroup
		require.NoError(t, json.Unmarshal(raw, &groups), file)
		st := &suiteStats{refusals: map[string]bool{}}
		stats[file] = st
		for _, g := range groups {
			gi++
			spec, err := suiteSpec(g.Schema)
			require.NoError(t, err)
			specPath := filepath.Join(tmp, fmt.Sprintf("g%d.json", gi))
			require.NoError(t, os.WriteFile(specPath, spec, 0o644))
			cfg := Config{Spec: specPath, Package: "suite"}
			// generate's model step, and serve's (the dynamic spec), on
			// documents of their own: the model adds components to its.
			doc, err := Load(ctx, cfg)
			var m *Model
			if err == nil {
				m, err = BuildModel(doc, cfg)
			}
			var dspec *dynamic.Spec
			ddoc, derr := dynamic.Load(ctx, cfg.Dynamic())
			if derr == nil {
				dspec, derr = dynamic.Build(ddoc, "", "suite")
			}
			require.Equal(t, err == nil, derr == nil, "%s/%s: generate says %v, serve says %v", file, g.Description, err, derr)
			if err != nil {
				require.ErrorIs(t, err, ErrSpec)
				require.ErrorIs(t, derr, ErrSpec)
				st.cases += 2 * len(g.Tests)
				st.refused += 2 * len(g.Tests)
				st.refusals[refusalReason(err, tmp)] = true
				refusedGroups = append(refusedGroups, fmt.Sprintf("| %s | %s | %s |", strings.TrimSuffix(file, ".json"), strings.ReplaceAll(g.Description, "|", "\\|"), refusalReason(err, tmp)))
				continue
			}
			ops := map[string]*Operation{}
			for _, w := range m.Webhooks {
				for _, o := range w.Operations {
					ops[w.Name] = o
				}
			}
			require.Contains(t, ops, "root")
			require.Contains(t, ops, "nested")
			interpreted := map[string]schema.ValidateFunc{}
			for _, w := range dspec.Webhooks {
				for _, o := range w.Operations {
					interpreted[w.Name] = dynamic.Validator(ddoc, o.Body)
				}
			}
			require.Contains(t, interpreted, "root")
			require.Contains(t, interpreted, "nested")
			prefix := fmt.Sprintf("g%d_", gi)
			src, err := renameValidators(m.Validators, m.ValidatorImports, prefix)
			require.NoError(t, err, "group %s/%s", file, g.Description)
			name := fmt.Sprintf("g%d.go", gi)
			progFiles = append(progFiles, name, src)
			for _, tc := range g.Tests {
				for _, nested := range []bool{false, true} {
					c := &suiteCase{file: file, group: g.Description, test: tc.Description, nested: nested, valid: tc.Valid, body: tc.Data}
					which := "root"
					if nested {
						which = "nested"
						c.body = append(append([]byte(`{"value":`), tc.Data...), '}')
					}
					o := ops[which]
					_, c.interpreted = schema.Check(c.body, true, interpreted[which])
					c.fn = o.Validator
					if !strings.Contains(c.fn, ".") {
						c.fn = prefix + c.fn
					}
					cases = append(cases, c)
					st.cases++
				}
			}
		}
	}
	var compiled []string
	if !testing.Short() {
		compiled = runCompiledSuite(t, progFiles, cases)
	}
	for i, c := range cases {
		st := stats[c.file]
		where := "root"
		if c.nested {
			where = "nested"
		}
		_, deviant := suiteDeviation[c.key()]
		if deviant {
			st.deviations++
		}
		verdict := func(ok bool) bool { return ok == c.valid || (deviant && ok == !c.valid) }
		if verdict(c.interpreted == nil) {
			st.interpretedPass++
		} else {
			st.interpretedFailures = append(st.interpretedFailures, fmt.Sprintf("%s (%s): want valid=%t, got %v", c.key(), where, c.valid, c.interpreted))
		}
		if deviant && (c.interpreted == nil) == c.valid {
			t.Errorf("%s (%s): listed as a deviation but now agrees with the suite; drop it from suiteDeviation", c.key(), where)
		}
		if compiled != nil {
			ierr := ""
			if c.interpreted != nil {
				ierr = c.interpreted.Error()
			}
			if compiled[i] != ierr {
				t.Errorf("%s (%s): the compiled validator says %q, the interpreted one %q", c.key(), where, compiled[i], ierr)
			}
			if verdict(compiled[i] == "") {
				st.compiledPass++
			} else {
				st.compiledFailed = append(st.compiledFailed, fmt.Sprintf("%s (%s): want valid=%t", c.key(), where, c.valid))
			}
		}
	}
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := stats[n]
		for _, f := range st.interpretedFailures {
			t.Errorf("interpreted: %s", f)
		}
		for _, f := range st.compiledFailed {
			t.Errorf("compiled: %s", f)
		}
	}
	table := suiteTable(names, stats, compiled != nil) + "\n## Refused groups\n\n| file | group | refused for |\n|---|---|---|\n" + strings.Join(refusedGroups, "\n") + "\n"
	t.Log("\n" + table)
	if u := flag.Lookup("update"); u != nil && u.Value.String() == "true" {
		require.NoError(t, os.WriteFile(filepath.Join(suiteDir, "RESULTS.md"), []byte(table), 0o644))
	}
}

// refusalReason is the part of a model error that names the refused
// keyword, for the results table.
func refusalReason(err error, tmp string) string {
	msg := strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), "")
	var kw *KeywordError
	if errors.As(err, &kw) {
		return "refused " + kw.Keyword
	}
	for _, known := range []string{"refusing to resolve remote", "error resolving reference", "expected fragment prefix", "bad data in", "not found", "unsupported URI", "no such file", "not a valid OpenAPI document"} {
		if strings.Contains(msg, known) {
			return "loader: " + known
		}
	}
	if len(msg) > 100 {
		msg = msg[:100] + "…"
	}
	return "loader: " + msg
}

func suiteTable(names []string, stats map[string]*suiteStats, withCompiled bool) string {
	var b strings.Builder
	b.WriteString("# JSON-Schema-Test-Suite draft2020-12: hookgen results\n\n")
	b.WriteString("Written by `go test ./generator -run TestSchemaSuite -update`. Each case runs twice: the\n")
	b.WriteString("schema at the root of the request body and nested under a property, so `cases` is twice the\n")
	b.WriteString("suite's count. `refused` cases belong to schemas that `hookgen generate`/`serve` refuse: \"refused\n")
	b.WriteString("<keyword>\" is hookgen's own check (its error names the keyword and the JSON pointer),\n")
	b.WriteString("\"loader: …\" the OpenAPI loader's (remote or unresolvable `$ref`s, `$anchor`s, a `default`\n")
	b.WriteString("its schema rejects). `deviations` are the cases hookgen\n")
	b.WriteString("answers otherwise on purpose (formats it knows are asserted, not annotations); they count as\n")
	b.WriteString("passes in the pass columns.\n\n")
	b.WriteString("| file | cases | interpreted pass | compiled pass | refused | deviations | refused for |\n|---|---|---|---|---|---|---|\n")
	var tot suiteStats
	for _, n := range names {
		st := stats[n]
		comp := "-"
		if withCompiled {
			comp = fmt.Sprint(st.compiledPass)
		}
		reasons := make([]string, 0, len(st.refusals))
		for r := range st.refusals {
			reasons = append(reasons, strings.ReplaceAll(r, "|", "\\|"))
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %d | %d | %s |\n", strings.TrimSuffix(n, ".json"), st.cases, st.interpretedPass, comp, st.refused, st.deviations, strings.Join(reasons, "; "))
		tot.cases += st.cases
		tot.interpretedPass += st.interpretedPass
		tot.compiledPass += st.compiledPass
		tot.refused += st.refused
		tot.deviations += st.deviations
	}
	comp := "-"
	if withCompiled {
		comp = fmt.Sprint(tot.compiledPass)
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %s | %d | %d | |\n", tot.cases, tot.interpretedPass, comp, tot.refused, tot.deviations)
	return b.String()
}

// renameValidators turns the validator source of one model into a file of
// package main whose top-level names carry prefix, so that the validators
// of every suite group build into one program.
func renameValidators(src string, imports []string, prefix string) (string, error) {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"github.com/hookgen/hookgen/runtime/schema\"\n")
	for _, im := range imports {
		fmt.Fprintf(&b, "\t%q\n", im)
	}
	b.WriteString(")\n\nvar _ = schema.Ptr\n\n")
	b.WriteString(src)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "v.go", b.String(), parser.ParseComments)
	if err != nil {
		return "", fmt.Errorf("%w\n%s", err, b.String())
	}
	top := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			top[d.Name.Name] = true
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if vs, ok := s.(*ast.ValueSpec); ok {
					for _, n := range vs.Names {
						top[n.Name] = n.Name != "_"
					}
				}
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && top[id.Name] {
			id.Name = prefix + id.Name
		}
		return true
	})
	var out bytes.Buffer
	if err := printer.Fprint(&out, fset, f); err != nil {
		return "", err
	}
	return out.String(), nil
}

// runCompiledSuite builds every group's compiled validators into one
// program (in a directory of this module, removed afterwards), feeds it
// every case and returns its verdicts in order: "" for valid, else the
// error text.
func runCompiledSuite(t *testing.T, files []string, cases []*suiteCase) []string {
	t.Helper()
	dir, err := os.MkdirTemp(".", "_suite")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for i := 0; i < len(files); i += 2 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, files[i]), []byte(files[i+1]), 0o644))
	}
	fns := map[string]bool{}
	for _, c := range cases {
		fns[c.fn] = true
	}
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	var m strings.Builder
	m.WriteString(`package main

import (
	"encoding/json"
	"os"

	"github.com/hookgen/hookgen/runtime/schema"
)

var table = map[string]schema.ValidateFunc{
`)
	for _, n := range names {
		fmt.Fprintf(&m, "\t%q: %s,\n", n, n)
	}
	m.WriteString(`}

type input struct {
	Fn   string          ` + "`json:\"fn\"`" + `
	Body json.RawMessage ` + "`json:\"body\"`" + `
}

func main() {
	var in []input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := make([]string, len(in))
	for i, c := range in {
		if _, err := schema.Check(c.Body, true, table[c.Fn]); err != nil {
			out[i] = err.Error()
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(m.String()), 0o644))
	type input struct {
		Fn   string          `json:"fn"`
		Body json.RawMessage `json:"body"`
	}
	in := make([]input, len(cases))
	for i, c := range cases {
		in[i] = input{Fn: c.fn, Body: c.body}
	}
	stdin, err := json.Marshal(in)
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "suite")
	out, err := exec.Command("go", "build", "-o", bin, "./"+filepath.ToSlash(dir)).CombinedOutput()
	if err != nil {
		// Show the first file the compiler complains about.
		if m := regexp.MustCompile(`(g\d+\.go):`).FindSubmatch(out); m != nil {
			src, _ := os.ReadFile(filepath.Join(dir, string(m[1])))
			out = append(append(out, '\n'), src...)
		}
		require.NoError(t, err, "compiled suite validators do not build:\n%s", out)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	var verdicts []string
	require.NoError(t, json.Unmarshal(out, &verdicts))
	require.Len(t, verdicts, len(cases))
	return verdicts
}
