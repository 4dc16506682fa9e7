// Command ceiling is the "HTTP ceiling" of bench/http.sh: a bare net/http
// server that reads and discards every request's body and answers with one
// fixed JSON body of -bytes bytes. Loaded like citebot's POST /v1/ask, with
// the same generator and a body of the same size, it shows the most
// requests per second the HTTP stack alone manages on this machine, so the
// ask figure can be read as a share of it.
//
//	ceiling -addr 127.0.0.1:0 -bytes 5000
//
// It prints the address it listens on as its first line of output.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	size := flag.Int("bytes", 4096, "size of the response body in bytes (at least 16)")
	setLength := flag.Bool("content-length", false, "send a Content-Length header (by default net/http chunks bodies over 2 KiB, as it does citebot's answers)")
	flag.Parse()
	if *size < 16 {
		fmt.Fprintln(os.Stderr, "ceiling: -bytes must be at least 16")
		os.Exit(2)
	}
	body := fixedBody(*size)
	length := strconv.Itoa(len(body))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if *setLength {
			w.Header().Set("Content-Length", length)
		}
		w.Write(body)
	})
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// fixedBody is a valid JSON object, newline-terminated like citebot's
// answers, of exactly n bytes.
func fixedBody(n int) []byte {
	const head, tail = `{"pad":"`, "\"}\n"
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}
