package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Micro is one Go benchmark with every metric it reported, one value per
// -count repetition.
type Micro struct {
	Name    string
	Metrics map[string][]float64
}

// Median returns the median of metric unit (ns/op, B/op, allocs/op,
// ns/payload, ...) and whether it was reported.
func (m Micro) Median(unit string) (float64, bool) {
	v := m.Metrics[unit]
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// ParseBench parses `go test -bench` output: every "Benchmark..." result
// line, the GOMAXPROCS suffix removed, repetitions of a name merged, in
// order of first appearance.
func ParseBench(out []byte) []Micro {
	var order []string
	byName := map[string]*Micro{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		m := byName[name]
		if m == nil {
			m = &Micro{Name: name, Metrics: map[string][]float64{}}
			byName[name] = m
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			m.Metrics[f[i+1]] = append(m.Metrics[f[i+1]], v)
		}
	}
	out2 := make([]Micro, 0, len(order))
	for _, n := range order {
		out2 = append(out2, *byName[n])
	}
	return out2
}

// RunMicro runs the micro-benchmarks of benchDir/micro: the decode, claim
// and pipeline benchmarks count times for benchtime each, then, when
// million is set, the million-key memory benchmark once. The raw output
// goes to rawPath.
func RunMicro(ctx context.Context, benchDir string, count int, benchtime string, million bool, rawPath string) ([]Micro, error) {
	var raw bytes.Buffer
	runs := [][]string{
		{"-bench", "^Benchmark(Decode|Claim|Pipeline)$", "-count", strconv.Itoa(count), "-benchtime", benchtime},
	}
	if million {
		runs = append(runs, []string{"-bench", "^BenchmarkMemoryStoreMillionKeys$", "-count", "1", "-benchtime", "1x"})
	}
	for _, args := range runs {
		cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-run", "^$", "-benchmem"}, append(args, "./micro/")...)...)
		cmd.Dir = benchDir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		out, err := cmd.CombinedOutput()
		raw.Write(out)
		// A failing benchmark fails `go test` but not the others: keep
		// their figures, and the failures (FailedBenchmarks) for the report.
		if err != nil && len(FailedBenchmarks(out)) == 0 {
			_ = os.WriteFile(rawPath, raw.Bytes(), 0o644)
			return nil, fmt.Errorf("micro-benchmarks: %w\n%s", err, out)
		}
	}
	if err := os.WriteFile(rawPath, raw.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return ParseBench(raw.Bytes()), nil
}

// FailedBenchmarks returns the benchmarks `go test -bench` output reports
// as failed, each with the first line of its message.
func FailedBenchmarks(out []byte) []string {
	var failed []string
	lines := strings.Split(string(out), "\n")
	for i, line := range lines {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: ")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, " ")
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ") {
			name += ": " + strings.TrimSpace(lines[i+1])
		}
		failed = append(failed, name)
	}
	return failed
}
