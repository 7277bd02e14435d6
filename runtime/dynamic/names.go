package dynamic

import (
	"strings"
	"unicode"
)

// TypeName turns a schema or operation name into the exported Go name the
// generated code gives it ("task-failed" → "TaskFailed", "3ds" → "N3ds"):
// the same rule as oapi-codegen's SchemaNameToTypeName with its default
// name normaliser, so that event names agree between generated and
// interpreted receivers.
func TypeName(name string) string {
	return typeNamePrefix(name) + camelCase(name)
}

const separators = "-#@!$&=.+:;_~ (){}[]"

func camelCase(str string) string {
	var b strings.Builder
	capNext := true
	for _, r := range strings.Trim(str, " ") {
		switch {
		case unicode.IsUpper(r), unicode.IsDigit(r):
			b.WriteRune(r)
		case unicode.IsLower(r):
			if capNext {
				b.WriteString(strings.ToUpper(string(r)))
			} else {
				b.WriteRune(r)
			}
		}
		capNext = strings.ContainsRune(separators, r)
	}
	return b.String()
}

var prefixWords = map[rune]string{
	'-': "Minus", '+': "Plus", '&': "And", '|': "Or", '~': "Tilde", '=': "Equal",
	'>': "GreaterThan", '<': "LessThan", '#': "Hash", '.': "Dot", '*': "Asterisk",
	'^': "Caret", '%': "Percent", '_': "Underscore",
}

func typeNamePrefix(name string) string {
	if name == "" {
		return "Empty"
	}
	prefix := ""
	for _, r := range name {
		if r == '$' {
			if len(name) == 1 {
				return "DollarSign"
			}
			continue
		}
		w, ok := prefixWords[r]
		if !ok {
			if prefix == "" && unicode.IsDigit(r) {
				return "N"
			}
			return prefix
		}
		prefix += w
	}
	return prefix
}
