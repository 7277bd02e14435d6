// Package simulate replays messages at receivers the way each vendor
// sends them ([Replay]): its HTTP dialect (query encoding, auth, signing),
// its retry policy (until exactly the success status, limited retries, or
// a single attempt), superseded messages dropped, per-key rate limits, and
// the duplicate, reorder and storm scenarios.
//
// It is the engine of `hookgen send`; internal/demo runs it in-process.
package simulate
