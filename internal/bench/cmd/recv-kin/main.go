// Command recv-kin is the receiver the project replaces: gorilla/mux with
// oapi-codegen's nethttp-middleware in front, which validates every request
// against the StackState schema (as an OpenAPI 3.0.3 path) with kin-openapi's
// openapi3filter, including the Token apiKey scheme; the handler then decodes
// the body into the generated NotificationOpenedEnvelope with encoding/json and
// answers 200.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/gorilla/mux"
	nethttpmiddleware "github.com/oapi-codegen/nethttp-middleware"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/internal/bench/serve"
	"github.com/hookgen/hookgen/internal/bench/spec30"
	"github.com/hookgen/hookgen/openapi"
)

var errBadToken = errors.New("bad webhook token")

func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !serve.TokenOK(in.RequestValidationInput.Request) {
		return errBadToken
	}
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback listen address")
	portFile := flag.String("portfile", "", "write the bound port here")
	flag.Parse()
	if err := run(*addr, *portFile); err != nil {
		fmt.Fprintln(os.Stderr, "recv-kin:", err)
		os.Exit(1)
	}
}

func run(addr, portFile string) error {
	src, err := openapi.SpecBytes("stackstate")
	if err != nil {
		return err
	}
	y, err := spec30.Convert(src)
	if err != nil {
		return err
	}
	doc, err := openapi3.NewLoader().LoadFromData(y)
	if err != nil {
		return err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return err
	}
	validator := nethttpmiddleware.OapiRequestValidatorWithOptions(doc, &nethttpmiddleware.Options{
		Options: openapi3filter.Options{
			AuthenticationFunc:      authenticate,
			SchemaValidationOptions: openapi.SchemaValidationOptions(),
		},
	})
	r := mux.NewRouter()
	r.Use(validator)
	r.HandleFunc(spec30.Path, func(w http.ResponseWriter, r *http.Request) {
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
	}).Methods(http.MethodPost)
	ln, err := serve.Listen(addr, portFile)
	if err != nil {
		return err
	}
	return serve.Run(ln, r)
}
