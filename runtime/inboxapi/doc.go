// Package inboxapi is the HTTP admin API of a store's inbox, and its client.
//
// Handler serves, under Prefix (served by runtime/serve on the operations
// listener, behind its bearer token when one is set):
//
//	GET    /admin/inbox?family=F&state=S&since=T&before=T&after=CURSOR&limit=N   one page, newest first
//	GET    /admin/inbox/{family}/{id}                                           one entry
//	POST   /admin/inbox/{family}/{id}/replay                                    Done or Dead → Pending
//	DELETE /admin/inbox?family=F&state=S&since=T&before=T                       purge, answers {"purged": N}
//
// Times are RFC 3339; states are pending, done and dead. Errors are RFC 9457
// problem documents: 400 for a bad parameter, 404 for an unknown entry, 501
// when the store keeps no inbox, 503 for a store failure.
//
// Client implements Admin over that API, so that a command line tool reads
// and replays the inbox of a running receiver whose embedded store file is
// locked by it. Both are safe for concurrent use.
package inboxapi
