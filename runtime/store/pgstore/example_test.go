package pgstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hookgen/hookgen/runtime/store/pgstore"
)

// Several replicas open the same database; the first one applies the
// migrations, the others wait for it and find nothing to do.
func ExampleOpen() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=hooks")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	c, err := s.Claim(ctx, "stackstate:delivery-1", 30*time.Second)
	fmt.Println(c.Won, err)
}

// A deployment step that applies the migrations before replicas start
// (they then open with WithoutMigrate).
func ExampleMigrate() {
	if err := pgstore.Migrate(context.Background(), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"); err != nil {
		fmt.Println(err)
	}
}
