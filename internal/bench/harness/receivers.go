package harness

import (
	"os"
	"path/filepath"

	"github.com/hookgen/hookgen/internal/bench/serve"
)

// Receiver describes one receiver binary of the benchmark and what its
// smoke check expects of it.
type Receiver struct {
	// Name is the short name used on the command line and in file names.
	Name string
	// Label is the row title of the report.
	Label string
	// Bin is the executable name in the build directory.
	Bin string
	// Args returns the arguments for the run's directories and services.
	Args func(e ArgEnv) []string
	// PortFromStdout is set for hookgen serve, which prints its URL.
	PortFromStdout bool
	// Token: a wrong token must not be answered 200.
	Token bool
	// Syntax: truncated JSON must be answered 400.
	Syntax bool
	// Schema: a body without the required notificationId must be answered 400.
	Schema bool
	// Replicas is the number of processes (1 when 0); each closed-loop run
	// then drives all of them at once with one wrk each, the connections
	// split between them, and sums their figures.
	Replicas int
	// PostgresURL, when set, is the PostgreSQL server the receiver writes
	// to: the run gets a schema of its own there (ArgEnv.Postgres), and
	// the WAL fsyncs are counted over each run (acks per fsync).
	PostgresURL string
	// RedisURL, when set, is the Redis server the receiver writes to: the
	// run gets a key prefix of its own there (ArgEnv.Redis).
	RedisURL string
}

// ArgEnv is what a receiver's arguments may depend on.
type ArgEnv struct {
	// Data is the run's data directory, Repo the repository root.
	Data, Repo string
	// Postgres is the URL of the run's own PostgreSQL schema (receivers
	// with a PostgresURL only).
	Postgres string
	// Redis is the URL with the run's own key prefix (receivers with a
	// RedisURL only).
	Redis string
}

func (r Receiver) replicas() int { return max(1, r.Replicas) }

func serviceURL(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// Receivers returns every receiver the harness knows, in report order.
func Receivers() []Receiver {
	none := func(ArgEnv) []string { return nil }
	pgURL := serviceURL("HOOKGEN_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	return []Receiver{
		{Name: "bare", Label: "bare net/http (read body, 200): the limit", Bin: "recv-bare", Args: none},
		{Name: "json", Label: "token + encoding/json decode, by hand", Bin: "recv-json", Args: none,
			Token: true, Syntax: true},
		{Name: "kin", Label: "oapi-codegen middleware + kin-openapi validation (gorilla/mux, decode)", Bin: "recv-kin",
			Args: none, Token: true, Syntax: true, Schema: true},
		{Name: "ogen", Label: "ogen " + OgenVersion + " server from the same schema (3.0.3 path)", Bin: "recv-ogen",
			Args: none, Token: true, Syntax: true, Schema: true},
		{Name: "hookgen-memory", Label: "hookgen generated receiver, memory store (synchronous)", Bin: "recv-hookgen",
			Args: func(ArgEnv) []string { return []string{"-store", "memory"} }, Token: true, Syntax: true, Schema: true},
		{Name: "hookgen-bolt", Label: "hookgen generated receiver, bbolt store, synchronous (claim persisted before the ack)", Bin: "recv-hookgen",
			Args:  func(e ArgEnv) []string { return []string{"-store", "bolt", "-db", filepath.Join(e.Data, "bolt.db")} },
			Token: true, Syntax: true, Schema: true},
		{Name: "hookgen-durable", Label: "hookgen generated receiver, durable mode on bbolt (inbox before the ack)", Bin: "recv-hookgen",
			Args: func(e ArgEnv) []string {
				return []string{"-store", "bolt", "-durable", "-db", filepath.Join(e.Data, "durable.db")}
			}, Token: true, Syntax: true, Schema: true},
		{Name: "hookgen-redis", Label: "hookgen generated receiver, Redis store (synchronous)", Bin: "recv-hookgen",
			Args:  func(e ArgEnv) []string { return []string{"-store", "redis", "-url", e.Redis} },
			Token: true, Syntax: true, Schema: true, RedisURL: serviceURL("HOOKGEN_REDIS_URL", "redis://127.0.0.1:6379/0")},
		{Name: "hookgen-postgres", Label: "hookgen generated receiver, PostgreSQL durable inbox, 3 replicas", Bin: "recv-hookgen",
			Args:  func(e ArgEnv) []string { return []string{"-store", "postgres", "-durable", "-url", e.Postgres} },
			Token: true, Syntax: true, Schema: true, Replicas: 3, PostgresURL: pgURL},
		{Name: "serve", Label: "`hookgen serve` of the spec, memory store", Bin: "hookgen",
			Args: func(e ArgEnv) []string {
				return []string{"serve", "-spec", filepath.Join(e.Repo, "openapi", "stackstate.yaml"), "-addr", "127.0.0.1:0",
					"-store", "memory:", "-secret", "Token=" + serve.Token}
			}, PortFromStdout: true, Token: true},
		{Name: "fsync", Label: "token + append + fsync per request (durable baseline)", Bin: "recv-fsync",
			Args: func(e ArgEnv) []string { return []string{"-log", filepath.Join(e.Data, "fsync.log")} }, Token: true},
	}
}
