package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/openapi"
)

// knownLenientDivergence lists vectors whose lenient verdict in hookgen
// differs from the manifest; each is reported as a bug. The test fails when
// one stops diverging, so the entry gets removed.
var knownLenientDivergence = map[string]string{}

// writeVector writes a vector's payload to dir and returns the file.
func writeVector(t *testing.T, dir string, v openapi.Vector) string {
	t.Helper()
	name, data := v.Name+".json", v.Body
	if v.Query != "" || strings.HasSuffix(v.File, ".query") {
		name, data = v.Name+".query", []byte(v.Query)
	}
	p := filepath.Join(dir, v.Family+"-"+name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// TestValidateCorpus runs validate over every vector of every family, in
// strict and lenient mode, and checks the verdict against the manifest
// (kin-openapi's verdict): valid ↔ exit 0, invalid/legacy ↔ exit 1, and the
// event of valid vectors. Content-type vectors (415) are transport-level and
// have no payload verdict: they are covered by the serve/send test.
func TestValidateCorpus(t *testing.T) {
	dir := t.TempDir()
	for _, fam := range openapi.Families() {
		vs, err := openapi.Vectors(fam)
		require.NoError(t, err)
		t.Run(fam, func(t *testing.T) {
			checked := 0
			for _, v := range vs {
				if v.ContentType != "" && !strings.Contains(v.ContentType, "json") {
					continue
				}
				file := writeVector(t, dir, v)
				for _, strict := range []bool{true, false} {
					want := v.Verdict
					if !strict && v.Lenient != "" {
						want = v.Lenient
					}
					args := []string{"validate", "-spec", specPath(fam), "-op", v.Webhook, "-format", "json", file}
					mode := "lenient"
					if strict {
						args = append(args, "-strict")
						mode = "strict"
					}
					code, stdout, stderr := cli(t, nil, args...)
					require.NotEqual(t, 2, code, "%s %s: %s", v.Name, mode, stderr)
					var got specrun.Verdict
					require.NoError(t, json.Unmarshal([]byte(stdout), &got), "%s: %q", v.Name, stdout)
					wantValid := want == openapi.VerdictValid
					if why, ok := knownLenientDivergence[fam+"/"+v.Name]; ok && !strict {
						assert.NotEqual(t, wantValid, got.Valid, "%s/%s: known divergence (%s) is gone: remove it", fam, v.Name, why)
						continue
					}
					assert.Equal(t, wantValid, got.Valid, "%s/%s %s: %+v", fam, v.Name, mode, got)
					assert.Equal(t, map[bool]int{true: 0, false: 1}[wantValid], code, "%s/%s %s exit code", fam, v.Name, mode)
					if wantValid {
						assert.Equal(t, v.Event, got.Event, "%s/%s %s event", fam, v.Name, mode)
					} else {
						assert.NotEmpty(t, got.Errors, "%s/%s: an invalid verdict names its errors", fam, v.Name)
						if strict && v.Pointer != "" && v.Synthetic == "" { // the manifest pointer is the strict (kin-openapi) one
							var ptrs []string
							for _, e := range got.Errors {
								ptrs = append(ptrs, e.Pointer)
							}
							assert.Contains(t, ptrs, v.Pointer, "%s/%s %s error pointer", fam, v.Name, mode)
						}
					}
					checked++
				}
			}
			assert.Positive(t, checked)
		})
	}
}

// TestValidateTextAndSelection covers the text format, stdin, query strings
// given as arguments, operation auto-selection and -event.
func TestValidateTextAndSelection(t *testing.T) {
	dir := t.TempDir()
	vec := func(fam, name string) openapi.Vector {
		vs, err := openapi.Vectors(fam)
		require.NoError(t, err)
		for _, v := range vs {
			if v.Name == name {
				return v
			}
		}
		t.Fatalf("no vector %s/%s", fam, name)
		return openapi.Vector{}
	}
	open := writeVector(t, dir, vec("stackstate", "docs-open"))
	bad := writeVector(t, dir, vec("stackstate", "neg-missing-notification-id"))

	code, stdout, _ := cli(t, nil, "validate", "-spec", specPath("stackstate"), open, bad)
	assert.Equal(t, 1, code)
	assert.Equal(t, "ok "+open+" NotificationOpened\ninvalid "+bad+": /notificationId: property \"notificationId\" is missing (required)\n", stdout)

	body, err := os.ReadFile(open)
	require.NoError(t, err)
	code, stdout, _ = cli(t, strings.NewReader(string(body)), "validate", "-spec", specPath("stackstate"), "-event", "NotificationOpened", "-")
	assert.Equal(t, 0, code)
	assert.Equal(t, "ok - NotificationOpened\n", stdout)

	code, stdout, _ = cli(t, strings.NewReader(string(body)), "validate", "-spec", specPath("stackstate"), "-event", "NotificationClosed", "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "dispatches to NotificationOpened, not NotificationClosed (event)")

	// A Butler GET given as a URL on the command line: the query operation
	// is selected from the payload's shape.
	q := vec("butler", "docs-get").Query
	code, stdout, _ = cli(t, nil, "validate", "-spec", specPath("butler"), "http://hooks.example/butler_get?"+q)
	assert.Equal(t, 0, code, stdout)
	assert.Contains(t, stdout, " ReloadTaskFailed\n")

	// operationId selection, and a JSON payload against a query-only operation.
	post := writeVector(t, dir, vec("butler", "docs-post"))
	code, stdout, _ = cli(t, nil, "validate", "-spec", specPath("butler"), "-op", "handleAlertPost", post)
	assert.Equal(t, 0, code, stdout)
	code, stdout, _ = cli(t, nil, "validate", "-spec", specPath("butler"), "-op", "handleAlertQuery", post)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "(operation)")

	// Lenient findings are printed as warnings; -strict rejects them.
	unk := writeVector(t, dir, vec("netpulse", "neg-unknown-result-type"))
	code, stdout, stderr := cli(t, nil, "validate", "-spec", specPath("netpulse"), unk)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "ok "+unk+" JobCompleted")
	assert.Contains(t, stderr, "warning "+unk+": /result/type:")
	code, _, _ = cli(t, nil, "validate", "-spec", specPath("netpulse"), "-strict", unk)
	assert.Equal(t, 1, code)
}
