//go:build unix

package serve

import "syscall"

// defaultMaxConnections leaves an eighth of the file descriptor limit (at
// least 64) to files, stores and the operations listener.
func defaultMaxConnections() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return defaultFallbackMaxConn
	}
	return maxConnectionsFor(int(min(lim.Cur, 1<<20)))
}

// maxConnectionsFor is the connection cap for a descriptor limit.
func maxConnectionsFor(fds int) int {
	return max(minMaxConnections, fds-max(64, fds/8))
}
