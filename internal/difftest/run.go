package difftest

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
)

// MinVariants is how many generated variants Run checks per family.
const MinVariants = 10000

// Run checks every vector of family and at least MinVariants variants of
// its valid JSON vectors through fam's generated decoders (strict) and
// kin-openapi, and fails on any disagreement.
func Run(t *testing.T, family string, newFamily func() *runtime.Family) {
	t.Helper()
	fam := newFamily()
	oracle, err := NewOracle(context.Background(), family)
	require.NoError(t, err)
	vectors, err := openapi.Vectors(family)
	require.NoError(t, err)

	var bases []Case
	var cases []Case
	for _, v := range vectors {
		if v.Synthetic != "" || (v.ContentType != "" && v.ContentType != "application/json") {
			continue // transport-level vectors: the pipeline's job, not the validator's
		}
		h := http.Header{}
		if v.ContentType != "" {
			h.Set("Content-Type", v.ContentType)
		}
		c := Case{Name: v.Name, Webhook: v.Webhook, Method: v.Method, Body: v.Body, Query: v.Query, Header: h}
		cases = append(cases, c)
		if v.Verdict == openapi.VerdictValid && v.Query == "" {
			bases = append(bases, c)
		}
	}
	require.NotEmpty(t, bases, "family %s has no valid JSON vectors to mutate", family)
	per := MinVariants/len(bases) + 1
	for i, b := range bases {
		cases = append(cases, Variants(b, per, uint64(i+1))...)
	}
	require.GreaterOrEqual(t, len(cases), MinVariants)

	var mismatches []Outcome
	agreeValid, agreeInvalid := 0, 0
	for _, c := range cases {
		ours, oerr := Ours(fam, c)
		kin, kerr := oracle.Valid(c)
		if ours != kin {
			mismatches = append(mismatches, Outcome{Case: c, Ours: ours, Kin: kin, OurErr: oerr, KinErr: kerr})
			continue
		}
		if ours {
			agreeValid++
		} else {
			agreeInvalid++
		}
	}
	t.Logf("%s: %d cases, agree %d valid + %d invalid, %d disagreements", family, len(cases), agreeValid, agreeInvalid, len(mismatches))
	for i, m := range mismatches {
		if i == 15 {
			t.Errorf("... and %d more", len(mismatches)-15)
			break
		}
		t.Errorf("%s: hookgen valid=%v (%s) but kin valid=%v (%s)\nbody: %s", m.Name, m.Ours, m.OurErr, m.Kin, trunc(m.KinErr), trunc(string(m.Body)))
	}
	require.Positive(t, agreeInvalid, "no invalid case at all: the mutations are not exercising the validator")
	require.Positive(t, agreeValid)
}

func trunc(s string) string {
	if len(s) > 400 {
		return s[:400] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}
