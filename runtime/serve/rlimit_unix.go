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
	cur := int(min(lim.Cur, 1<<20))
	return max(minMaxConnections, cur-max(64, cur/8))
}
