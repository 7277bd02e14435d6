package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/serve"
)

// secretArg is one -secret [FAMILY.]SCHEME=VALUE.
type secretArg struct {
	family, scheme, value string
}

// parseSecret parses [FAMILY.]SCHEME=VALUE; a VALUE of @FILE is read from
// FILE (PEM keys).
func parseSecret(s string) (secretArg, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return secretArg{}, usagef("-secret %q: want SCHEME=VALUE (or SCHEME=@FILE)", redactArg(s))
	}
	var a secretArg
	if fam, scheme, ok := strings.Cut(name, "."); ok {
		a.family, a.scheme = fam, scheme
	} else {
		a.scheme = name
	}
	v, err := secretValue(value)
	if err != nil {
		return secretArg{}, err
	}
	if v == "" {
		return secretArg{}, usagef("-secret %s: empty value", name)
	}
	a.value = v
	return a, nil
}

// secretValue reads @FILE values.
func secretValue(v string) (string, error) {
	if path, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", usagef("cannot read secret file %s: %v", path, err)
		}
		return strings.TrimRight(string(b), "\r\n") + "\n", nil
	}
	return v, nil
}

// redactArg hides the value of a SCHEME=VALUE argument.
func redactArg(s string) string {
	if name, _, ok := strings.Cut(s, "="); ok {
		return name + "=…"
	}
	return "…"
}

// envName is the environment variable holding a scheme's secret, named
// as the generated mains name it.
func envName(scheme string) string { return serve.SecretEnvName(scheme) }

// usedSchemes lists the schemes the security of any operation of a spec
// names.
func usedSchemes(sp *specrun.Spec) []string {
	var out []string
	for _, list := range sp.Family.SecurityLists() {
		for _, req := range list {
			for _, n := range req {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// collectSecrets merges flag, config-file and environment secrets per
// family: for each scheme, flags win, then the config file, then
// HOOKGEN_SECRET_<SCHEME>. Several flag or config values rotate.
func collectSecrets(specs []*specrun.Spec, flags []secretArg, config map[string][]string, getenv func(string) string) (map[string]auth.Secrets, error) {
	out := map[string]auth.Secrets{}
	for _, a := range flags {
		matched := false
		for _, sp := range specs {
			if a.family != "" && a.family != sp.Name() {
				continue
			}
			if slices.Contains(usedSchemes(sp), a.scheme) {
				matched = true
			}
		}
		if !matched {
			return nil, usagef("-secret %s: no served family uses security scheme %q (%s)", a.scheme, a.scheme, schemeList(specs))
		}
	}
	for _, sp := range specs {
		sec := auth.Secrets{}
		for _, scheme := range usedSchemes(sp) {
			for _, a := range flags {
				if a.scheme == scheme && (a.family == "" || a.family == sp.Name()) {
					sec[scheme] = append(sec[scheme], a.value)
				}
			}
			if len(sec[scheme]) > 0 {
				continue
			}
			for _, key := range []string{sp.Name() + "." + scheme, scheme} {
				if vs, ok := config[key]; ok && len(sec[scheme]) == 0 {
					for _, v := range vs {
						v, err := secretValue(v)
						if err != nil {
							return nil, err
						}
						sec[scheme] = append(sec[scheme], v)
					}
				}
			}
			if len(sec[scheme]) > 0 {
				continue
			}
			if v := getenv(envName(scheme)); v != "" {
				sec[scheme] = []string{v}
			}
		}
		if len(sec) > 0 {
			out[sp.Name()] = sec
		}
	}
	return out, nil
}

func schemeList(specs []*specrun.Spec) string {
	var parts []string
	for _, sp := range specs {
		if s := usedSchemes(sp); len(s) > 0 {
			parts = append(parts, sp.Name()+": "+strings.Join(s, ", "))
		} else {
			parts = append(parts, sp.Name()+": none")
		}
	}
	return fmt.Sprintf("schemes by family: %s", strings.Join(parts, "; "))
}
