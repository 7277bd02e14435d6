package redmine_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/servicetest"
	"github.com/hookgen/hookgen/runtime/ticket"
	"github.com/hookgen/hookgen/runtime/ticket/redmine"
)

func client(t *testing.T, opts ...redmine.Option) *redmine.Client {
	t.Helper()
	r := servicetest.NewRedmine(t)
	c, err := redmine.New(r.URL, r.Key, r.Project(t), opts...)
	require.NoError(t, err)
	return c
}

func TestCreateFindUpdateResolve(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	_, found, err := c.FindByCorrelation(ctx, "stackstate/n-1")
	require.NoError(t, err)
	assert.False(t, found)

	tk, err := c.Create(ctx, ticket.NewTicket{Key: "stackstate/n-1", Subject: "CPU high", Description: "body"})
	require.NoError(t, err)
	assert.Equal(t, "CPU high", tk.Subject)
	assert.Equal(t, "New", tk.Status)

	// A key that is a prefix of another is not confused with it.
	other, err := c.Create(ctx, ticket.NewTicket{Key: "stackstate/n-10", Subject: "other"})
	require.NoError(t, err)
	got, found, err := c.FindByCorrelation(ctx, "stackstate/n-1")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, tk.ID, got.ID)
	got, _, err = c.FindByCorrelation(ctx, "stackstate/n-10")
	require.NoError(t, err)
	assert.Equal(t, other.ID, got.ID)

	require.NoError(t, c.Update(ctx, tk.ID, ticket.Change{Note: "now CRITICAL", Subject: "CPU very high", Key: "stackstate/n-1"}))
	require.NoError(t, c.Resolve(ctx, tk.ID, "HealthStateResolved"))

	is, err := c.Issue(ctx, tk.ID)
	require.NoError(t, err)
	assert.Equal(t, "CPU very high "+redmine.Marker("stackstate/n-1"), is.Subject, "retitled, marker kept")
	assert.Equal(t, "Resolved", is.Status.Name)
	assert.Equal(t, []string{"now CRITICAL", "HealthStateResolved"}, is.Notes())
	got, found, err = c.FindByCorrelation(ctx, "stackstate/n-1")
	require.NoError(t, err)
	require.True(t, found, "found in any status")
	assert.Equal(t, "CPU very high", got.Subject)
}

func TestResolvedStatusIsLookedUpByName(t *testing.T) {
	ctx := context.Background()
	c := client(t, redmine.WithResolvedStatus("closed"))
	tk, err := c.Create(ctx, ticket.NewTicket{Key: "k", Subject: "s"})
	require.NoError(t, err)
	require.NoError(t, c.Resolve(ctx, tk.ID, "done"))
	is, err := c.Issue(ctx, tk.ID)
	require.NoError(t, err)
	assert.Equal(t, "Closed", is.Status.Name)
	assert.True(t, is.Status.IsClosed)

	c2 := client(t, redmine.WithResolvedStatus("Vanished"))
	tk2, err := c2.Create(ctx, ticket.NewTicket{Key: "k", Subject: "s"})
	require.NoError(t, err)
	err = c2.Resolve(ctx, tk2.ID, "done")
	require.ErrorIs(t, err, ticket.ErrRejected)
	assert.Contains(t, err.Error(), `"Vanished"`)
}

func TestValidationErrorsCarryRedmineMessages(t *testing.T) {
	ctx := context.Background()
	r := servicetest.NewRedmine(t)
	// Redmine answers an unknown project with 422 and its messages.
	c, err := redmine.New(r.URL, r.Key, "no-such-project-hookgen")
	require.NoError(t, err)
	_, err = c.Create(ctx, ticket.NewTicket{Key: "k", Subject: "s"})
	require.ErrorIs(t, err, ticket.ErrRejected)
	msgs, ok := redmine.IsValidation(err)
	require.True(t, ok, "%v", err)
	assert.Contains(t, msgs, "Project cannot be blank")
	assert.Contains(t, err.Error(), "422 Unprocessable Entity: Project cannot be blank")
}

func TestSubjectIsOneLine(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	tk, err := c.Create(ctx, ticket.NewTicket{Key: "k/nl", Subject: "disk full\r\non\tdb1\x00"})
	require.NoError(t, err)
	is, err := c.Issue(ctx, tk.ID)
	require.NoError(t, err)
	assert.Equal(t, "disk full  on db1 "+redmine.Marker("k/nl"), is.Subject)
}

func TestLongSubjectKeepsTheMarker(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	tk, err := c.Create(ctx, ticket.NewTicket{Key: "k/long", Subject: strings.Repeat("é", 400)})
	require.NoError(t, err)
	got, found, err := c.FindByCorrelation(ctx, "k/long")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, tk.ID, got.ID)
}

// Keys come from payloads: a long one still fits the subject and is found;
// two long keys with the same beginning stay apart.
func TestLongKeysAreShortenedButDistinct(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	long1 := "netpulse/192.0.2.1/" + strings.Repeat("show running-config; ", 50) + "1"
	long2 := "netpulse/192.0.2.1/" + strings.Repeat("show running-config; ", 50) + "2"
	assert.LessOrEqual(t, len(redmine.Marker(long1)), 100)
	assert.NotEqual(t, redmine.Marker(long1), redmine.Marker(long2))
	assert.Equal(t, "[hookgen:short/key]", redmine.Marker("short/key"))
	t1, err := c.Create(ctx, ticket.NewTicket{Key: long1, Subject: "s"})
	require.NoError(t, err)
	_, found, err := c.FindByCorrelation(ctx, long2)
	require.NoError(t, err)
	assert.False(t, found)
	got, found, err := c.FindByCorrelation(ctx, long1)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, t1.ID, got.ID)
}

func TestBadKeyIsRejectedAndDownIsUnavailable(t *testing.T) {
	ctx := context.Background()
	r := servicetest.NewRedmine(t)
	project := r.Project(t)
	bad, err := redmine.New(r.URL, strings.Repeat("0", 40), project)
	require.NoError(t, err)
	_, _, err = bad.FindByCorrelation(ctx, "k")
	require.ErrorIs(t, err, ticket.ErrRejected)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	down, err := redmine.New("http://"+addr, r.Key, project)
	require.NoError(t, err)
	_, err = down.Create(ctx, ticket.NewTicket{Key: "k", Subject: "s"})
	require.ErrorIs(t, err, ticket.ErrUnavailable)
}

func TestNewRejectsBadArguments(t *testing.T) {
	_, err := redmine.New("ftp://x", "k", "p")
	require.ErrorIs(t, err, ticket.ErrInvalid)
	_, err = redmine.New("http://127.0.0.1:1", "", "p")
	require.ErrorIs(t, err, ticket.ErrInvalid)
}
