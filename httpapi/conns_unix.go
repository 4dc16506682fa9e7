//go:build unix

package httpapi

import "syscall"

// DefaultMaxConns is the connection limit sized to the file limit: three
// quarters of the descriptors the process may open, leaving the rest for
// documents, the index and outgoing connections; at least 64.
func DefaultMaxConns() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 1024
	}
	return max(64, int(min(rl.Cur, 1<<20))*3/4)
}
