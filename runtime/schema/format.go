package schema

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"time"
)

var (
	uuidRE = regexp.MustCompile(`^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000)$`) // RFC 4122, as kin-openapi checks it
	dateRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])$`)
	dtRE   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])[Tt]([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|(\+|-)[0-9]{2}:[0-9]{2})$`)
)

// KnownFormat reports whether Format checks the named format; others are
// annotations only, as JSON Schema allows.
func KnownFormat(name string) bool {
	switch name {
	case "uuid", "date", "date-time", "email", "ipv4", "ipv6", "uri":
		return true
	}
	return false
}

// Format checks s against a string format. Format findings are errors in
// both modes: formats sit on identity fields (StackState's notificationId
// is a uuid) where hookgen is strict; specs whose vendors send ids that are
// not quite UUIDs (AtScale) simply declare no format.
func (c *Checker) Format(p, s, name string) {
	if !FormatValid(s, name) {
		c.Fail(p, "format", "is not a valid "+name)
	}
}

// FormatValid reports whether s is a valid value of the named format
// (unknown formats are always valid).
func FormatValid(s, name string) bool {
	switch name {
	case "uuid":
		return uuidRE.MatchString(s)
	case "date":
		if !dateRE.MatchString(s) {
			return false
		}
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	case "date-time":
		if !dtRE.MatchString(s) {
			return false
		}
		_, err := time.Parse("2006-01-02", s[:10]) // a real calendar day
		return err == nil
	case "email":
		_, err := mail.ParseAddress(s)
		return err == nil
	case "ipv4":
		ip := net.ParseIP(s)
		return ip != nil && ip.To4() != nil && !containsColon(s)
	case "ipv6":
		ip := net.ParseIP(s)
		return ip != nil && containsColon(s)
	case "uri":
		u, err := url.Parse(s)
		return err == nil && u.Scheme != ""
	}
	return true
}

func containsColon(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
}
