// Command recv-fsync is the durable baseline: token check, then the body is
// appended to a file and fsynced before the 200, one fsync per request.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/hookgen/hookgen/internal/bench/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback listen address")
	portFile := flag.String("portfile", "", "write the bound port here")
	path := flag.String("log", "", "append-only log file")
	flag.Parse()
	if err := run(*addr, *portFile, *path); err != nil {
		fmt.Fprintln(os.Stderr, "recv-fsync:", err)
		os.Exit(1)
	}
}

func run(addr, portFile, path string) error {
	if path == "" {
		return fmt.Errorf("-log is required")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !serve.TokenOK(r) {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		buf, err := serve.ReadBody(w, r)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		defer serve.PutBuffer(buf)
		buf.WriteByte('\n')
		mu.Lock()
		_, err = f.Write(buf.Bytes())
		if err == nil {
			err = f.Sync()
		}
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	ln, err := serve.Listen(addr, portFile)
	if err != nil {
		return err
	}
	return serve.Run(ln, h)
}
