package generator_test

import (
	"context"
	"fmt"

	"github.com/hookgen/hookgen/generator"
)

// ExampleRun generates the StackState receiver package in memory; the CLI
// writes the same files to disk.
func ExampleRun() {
	files, err := generator.Run(context.Background(), generator.Config{Spec: "../openapi/stackstate.yaml", Package: "stackstate"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	// Output:
	// models.gen.go
	// receiver.gen.go
	// validate.gen.go
	// sender.gen.go
}
