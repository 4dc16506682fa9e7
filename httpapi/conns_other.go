//go:build !unix

package httpapi

// DefaultMaxConns is the connection limit where the file limit cannot be
// read.
func DefaultMaxConns() int { return 1024 }
