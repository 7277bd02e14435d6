// Package ticketinge2e holds the end-to-end tests of the ticketing
// scaffold: examples/ticketing (the output of 'hookgen scaffold ticketing')
// runs as a process against a real Redmine (HOOKGEN_REDMINE_URL,
// HOOKGEN_REDMINE_KEY) and is driven by 'hookgen send', the way each vendor
// sends. The tests count the Redmine issues and notes each scenario leaves.
package ticketinge2e
