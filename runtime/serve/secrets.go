package serve

import (
	"slices"
	"strings"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
)

// SecretEnvPrefix starts the name of every environment variable holding a
// secret.
const SecretEnvPrefix = "HOOKGEN_SECRET_"

// SecretEnvName is the environment variable holding the secret of the
// security scheme named scheme: HOOKGEN_SECRET_ followed by the scheme name
// upper-cased, every character other than A-Z and 0-9 replaced by '_'
// ("Tier3-RsaSha1" → HOOKGEN_SECRET_TIER3_RSASHA1).
func SecretEnvName(scheme string) string {
	var b strings.Builder
	b.WriteString(SecretEnvPrefix)
	for _, r := range strings.ToUpper(scheme) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// SchemesUsed lists, in order of first use, the security schemes that the
// security requirements of fam's operations name (each operation's own,
// else the family's).
func SchemesUsed(fam *runtime.Family) []string {
	var out []string
	for _, list := range fam.SecurityLists() {
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

// EnvSecrets reads the secret of every security scheme fam uses from
// SecretEnvName(scheme) through getenv (os.Getenv in a main). Unset and
// empty variables are left out, so that the receiver can name what is
// missing; variables for schemes fam does not use are ignored.
func EnvSecrets(fam *runtime.Family, getenv func(string) string) auth.Secrets {
	out := auth.Secrets{}
	for _, scheme := range SchemesUsed(fam) {
		if v := getenv(SecretEnvName(scheme)); v != "" {
			out[scheme] = []string{v}
		}
	}
	return out
}
