package storeurl_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

func ExampleOpen() {
	ctx := context.Background()
	// The same URL forms work for every backend: bolt:/var/lib/hookgen/store.db,
	// redis://127.0.0.1:6379/0, postgres://user@host/db?search_path=hooks.
	b, err := storeurl.Open(ctx, "memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	c, _ := b.Claim(ctx, "stackstate:delivery-1", 30*time.Second)
	fmt.Println("won:", c.Won)
	_, err = storeurl.Open(ctx, "mysql://db")
	fmt.Println(err)
	// Output:
	// won: true
	// storeurl: unknown store URL "mysql://db": use one of memory:, bolt:PATH, redis://HOST[:PORT][/DB], postgres://…
}
