//go:build !unix

package loader

import "os"

// openFile opens path for reading; only Unix has FIFOs whose open blocks.
func openFile(path string) (*os.File, error) {
	return os.Open(path)
}
