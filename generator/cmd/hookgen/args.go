package main

import (
	"errors"
	"flag"
	"strings"
)

// parseArgs parses args like parse, with two differences the new
// subcommands rely on: flags may follow positional arguments
// ("validate -spec X a.json -strict"), and a bad flag gives only the
// one-line reason, not the whole usage (-h prints that). It returns the
// positional arguments ("-" stays one: stdin; everything after "--" too).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, errHelp
			}
			return nil, usagef("%s", strings.TrimSpace(err.Error()))
		}
		before := len(rest)
		rest = fs.Args()
		if len(rest) > 0 && before-len(rest) > 0 && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		for len(rest) > 0 && (rest[0] == "-" || !strings.HasPrefix(rest[0], "-")) {
			pos = append(pos, rest[0])
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return pos, nil
		}
	}
}
