// Command recv-json is the receiver a Go team writes by hand: net/http, a
// constant-time token check, encoding/json decode of the body into the
// generated StackState NotificationOpenedEnvelope, 200. It validates nothing beyond JSON
// syntax and types, and keeps no idempotency or ordering state.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/internal/bench/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback listen address")
	portFile := flag.String("portfile", "", "write the bound port here")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+serve.Path, func(w http.ResponseWriter, r *http.Request) {
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
		var env stackstate.NotificationOpenedEnvelope
		if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	ln, err := serve.Listen(*addr, *portFile)
	if err == nil {
		err = serve.Run(ln, mux)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recv-json:", err)
		os.Exit(1)
	}
}
