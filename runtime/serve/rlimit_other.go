//go:build !unix

package serve

// defaultMaxConnections is a fixed cap where the descriptor limit is unknown.
func defaultMaxConnections() int { return defaultFallbackMaxConn }
