// Package webhooktest is hookgen's test kit for webhook receivers: it
// validates payloads against any spec, builds requests the way the vendor
// sends them, records handler calls, and drives a receiver through the
// delivery scenarios that break naive receivers (duplicates, concurrent
// duplicates, out-of-order lifecycles, clock skew, secret rotation,
// oversized bodies, wrong credentials).
//
// Everything starts from a Kit, which holds one loaded spec:
//
//	kit, err := webhooktest.Load("openapi/stackstate.yaml")
//	kit.RequireValid(t, "NotificationOpened", webhooktest.File("testdata/open.json"), webhooktest.Strict())
//	kit.RequireInvalid(t, "notification", []byte(`{}`), "/notificationId")
//
// A Kit is immutable after Load and safe for concurrent use; the package
// keeps no state of its own (load a spec once per test and keep the Kit).
// Validation runs the same interpreted validators as `hookgen serve`
// (runtime/dynamic), whose verdicts agree with the compiled ones.
//
// The scenario helpers return what happened (statuses, Hookgen-Outcome
// headers, Retry-After, problem documents, handler calls) and assert
// nothing: the caller asserts with testify.
package webhooktest
