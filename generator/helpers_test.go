package generator_test

import (
	"bytes"
	"io"
)

func httptestBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
