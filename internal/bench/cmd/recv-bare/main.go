// Command recv-bare is the benchmark's limit: a net/http handler that reads
// the whole body and answers 200, checking nothing.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/hookgen/hookgen/internal/bench/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback listen address")
	portFile := flag.String("portfile", "", "write the bound port here")
	flag.Parse()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	ln, err := serve.Listen(*addr, *portFile)
	if err == nil {
		err = serve.Run(ln, h)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recv-bare:", err)
		os.Exit(1)
	}
}
