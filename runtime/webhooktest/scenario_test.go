package webhooktest_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

func TestScenariosStackState(t *testing.T) {
	k := loadKit(t, specPath("stackstate"))
	open := vectorBody(t, "stackstate", "docs-open.json")
	closeMsg := withField(t, withField(t, open, []string{"event", "type"}, "close"), []string{"event", "reason"}, "HealthStateResolved")
	closeMsg = withField(t, closeMsg, []string{"event", "triggeredTimeMs"}, 1702635356757+60000)
	update := withField(t, open, []string{"event", "triggeredTimeMs"}, 1702635356757+120000)

	for _, via := range []string{"handler", "url"} {
		t.Run(via, func(t *testing.T) {
			rec := webhooktest.NewRecorder()
			srv := serve(t, k, rec, auth.Secrets{"Token": {ssToken}})
			target := webhooktest.URL(srv.URL, nil)
			if via == "handler" {
				target = webhooktest.Handler(srv.Config.Handler)
			}
			sc := k.Scenario(target, rec, webhooktest.WithSecret("Token", ssToken))

			res, err := sc.DuplicateDelivery("notification", "POST", open)
			require.NoError(t, err)
			assert.Equal(t, []int{200, 200}, res.Statuses())
			assert.Equal(t, []string{"processed", "duplicate"}, res.Outcomes())
			assert.Equal(t, 1, res.Calls)

			concurrent := withField(t, open, []string{"notificationId"}, "11111111-2222-4333-8444-555555555555")
			res, err = sc.ConcurrentDuplicate("notification", "POST", concurrent)
			require.NoError(t, err)
			first, _ := res.Step("first")
			second, _ := res.Step("in-flight")
			assert.Equal(t, 200, first.Status)
			assert.Equal(t, 503, second.Status)
			assert.Equal(t, "in-flight", second.Outcome)
			assert.NotEmpty(t, second.RetryAfter)
			assert.Equal(t, 1, res.Calls)

			ent := "99999999-2222-4333-8444-555555555555"
			res, err = sc.OutOfOrder("notification", "POST", webhooktest.Lifecycle{
				Open:   withField(t, open, []string{"notificationId"}, ent),
				Update: withField(t, update, []string{"notificationId"}, ent),
				Close:  withField(t, closeMsg, []string{"notificationId"}, ent),
			})
			require.NoError(t, err)
			assert.Equal(t, []string{"close", "open-after-close", "update-after-close"}, res.Steps)
			assert.Equal(t, []int{200, 200, 200}, res.Statuses())
			assert.Equal(t, "processed", res.Outcomes()[0])
			assert.Contains(t, res.Outcomes()[1], "dropped-")
			assert.Equal(t, "dropped-after-terminal", res.Outcomes()[2])
			assert.Equal(t, 1, res.Calls)

			res, err = sc.OversizedBody("notification", "POST", open)
			require.NoError(t, err)
			assert.Equal(t, []int{413, 413}, res.Statuses())
			assert.Equal(t, []string{"too-large", "too-large"}, res.Outcomes())
			assert.Zero(t, res.Calls)

			res, err = sc.WrongToken("notification", "POST", open)
			require.NoError(t, err)
			assert.Equal(t, []int{404, 404}, res.Statuses(), "StackState's auth failure status")
			for _, r := range res.Responses {
				assert.Empty(t, r.Outcome)
				require.NotNil(t, r.Problem)
				assert.Empty(t, r.Problem.Detail)
				for _, s := range append(res.Sent, ssToken) {
					assert.NotContains(t, string(r.Body), s)
				}
			}
			assert.Zero(t, res.Calls)

			res, err = sc.SecretRotation("notification", "POST", "Token", []string{ssToken}, []string{"old-token"}, open)
			require.NoError(t, err)
			assert.Equal(t, []string{"valid-0", "removed-0"}, res.Steps)
			assert.Equal(t, []int{200, 404}, res.Statuses())
		})
	}
}

func TestScenarioClockSkewAndRotation(t *testing.T) {
	k := loadKit(t, billingSpec)
	rec := webhooktest.NewRecorder()
	srv := serve(t, k, rec, auth.Secrets{"StandardWebhook": {billingKey, billingKey2}})
	paid := []byte(`{"type":"invoice.paid","id":"in_123","amount":100,"currency":"eur"}`)

	sc := k.Scenario(webhooktest.URL(srv.URL, nil), rec, webhooktest.WithSecret("StandardWebhook", billingKey))
	res, err := sc.ClockSkew("billing-event", "POST", paid, 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{"past", "future", "now"}, res.Steps)
	assert.Equal(t, []int{401, 401, 204}, res.Statuses())
	assert.Equal(t, 1, res.Calls)

	res, err = sc.ClockSkew("billing-event", "POST", []byte(`{"type":"invoice.paid","id":"in_456","amount":1,"currency":"usd"}`), 2*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []int{204, 204, 204}, res.Statuses(), "inside the 5m window")

	removed := "whsec_cmVtb3ZlZC1rZXktbm8tbG9uZ2VyLXZhbGlk"
	res, err = sc.SecretRotation("billing-event", "POST", "StandardWebhook", []string{billingKey, billingKey2}, []string{removed},
		[]byte(`{"type":"subscription.canceled","id":"sub_1","canceledAt":"2024-01-01T00:00:00Z"}`))
	require.NoError(t, err)
	assert.Equal(t, []int{204, 204, 401}, res.Statuses())
	assert.Equal(t, []string{"processed", "duplicate", ""}, res.Outcomes())
	assert.Equal(t, 1, res.Calls)

	_, err = k.Scenario(webhooktest.URL(srv.URL, nil), rec).ClockSkew("billing-event", "POST", paid, time.Hour)
	assert.ErrorContains(t, err, "timestamped signature scheme")
}

func TestScenarioErrors(t *testing.T) {
	ss := loadKit(t, specPath("stackstate"))
	at := loadKit(t, specPath("atscale"))
	h := webhooktest.Handler(http.NotFoundHandler())
	_, err := ss.Scenario(h, nil).ConcurrentDuplicate("notification", "POST", []byte(`{}`))
	assert.ErrorContains(t, err, "needs the receiver's Recorder")
	_, err = at.Scenario(h, nil).WrongToken("event", "POST", []byte(`{}`))
	assert.ErrorContains(t, err, "declares no security")
	_, err = ss.Scenario(h, nil).SecretRotation("notification", "POST", "Nope", nil, nil, nil)
	assert.ErrorContains(t, err, `no security scheme "Nope"`)
	_, err = ss.Scenario(h, nil).DuplicateDelivery("nope", "POST", nil)
	assert.ErrorContains(t, err, `no webhook "nope"`)

	// A handler that never reaches the dispatch: ConcurrentDuplicate says so.
	rec := webhooktest.NewRecorder()
	_, err = ss.Scenario(h, rec).WithWait(50*time.Millisecond).ConcurrentDuplicate("notification", "POST", []byte(`{}`))
	assert.ErrorContains(t, err, "without reaching the handler")

	// A handler that is never called within the wait.
	slow := webhooktest.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
	}))
	_, err = ss.Scenario(slow, rec).WithWait(20*time.Millisecond).ConcurrentDuplicate("notification", "POST", []byte(`{}`))
	assert.ErrorContains(t, err, "not called within")

	_, err = webhooktest.Target{}.Do(&http.Request{})
	assert.Error(t, err)
}

// TestScenarioDetectsBrokenReceiver drives a receiver that processes
// everything (no dedupe, no size limit, no auth): the results show it.
func TestScenarioDetectsBrokenReceiver(t *testing.T) {
	k := loadKit(t, specPath("stackstate"))
	rec := webhooktest.NewRecorder()
	naive := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = rec.Record(r.Context(), nil, nil)
		w.WriteHeader(http.StatusOK)
	})
	sc := k.Scenario(webhooktest.Handler(naive), rec)
	res, err := sc.DuplicateDelivery("notification", "POST", []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Calls)
	assert.Equal(t, []string{"", ""}, res.Outcomes())
	res, err = sc.OversizedBody("notification", "POST", nil)
	require.NoError(t, err)
	assert.Equal(t, []int{200, 200}, res.Statuses())
	res, err = sc.WrongToken("notification", "POST", []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, []int{200, 200}, res.Statuses())
	assert.Len(t, res.Sent, 1)
}

func TestRecorder(t *testing.T) {
	rec := webhooktest.NewRecorder()
	ctx := context.Background()
	d := func(ev string, attempt int) *runtime.Delivery {
		return &runtime.Delivery{Event: ev, Attempt: attempt, Header: http.Header{"X": {"1"}}, Raw: []byte("raw")}
	}
	boom := errors.New("boom")

	rec.On("B", webhooktest.Fail(boom))
	rec.Once(webhooktest.Retry(3 * time.Second))
	tests := []struct {
		event string
		check func(t *testing.T, err error)
	}{
		{"A", func(t *testing.T, err error) { // queued Once wins
			var oe *runtime.OutcomeError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, 3*time.Second, oe.RetryAfter)
		}},
		{"A", func(t *testing.T, err error) { assert.NoError(t, err) }},
		{"B", func(t *testing.T, err error) { assert.ErrorIs(t, err, boom) }},
	}
	for i, tt := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			tt.check(t, rec.Record(ctx, d(tt.event, i), tt.event+"-payload"))
		})
	}
	assert.Equal(t, 2, rec.Count("A"))
	assert.Equal(t, 3, rec.Count(""))
	assert.Equal(t, map[string]int{"A": 2, "B": 1}, rec.Counts())
	assert.Equal(t, []any{"A-payload", "A-payload"}, rec.Payloads("A"))
	last, ok := rec.Last()
	require.True(t, ok)
	assert.Equal(t, "B", last.Event)
	assert.Equal(t, []byte("raw"), last.Delivery.Raw)

	rec.Always(webhooktest.Reject())
	rec.On("B", nil)
	assert.ErrorIs(t, rec.Record(ctx, d("B", 1), nil), runtime.ErrPermanent)
	assert.PanicsWithValue(t, "kaboom", func() { rec.Once(webhooktest.Panic("kaboom")); _ = rec.Record(ctx, d("A", 1), nil) })

	rec.Reset()
	assert.Zero(t, rec.Count(""))
	_, ok = rec.Last()
	assert.False(t, ok)
	assert.NoError(t, rec.Record(ctx, nil, nil), "after Reset calls succeed")

	// Wrap records the runtime.Event and calls next only on success.
	rec.Reset()
	nextCalls := 0
	next := func(context.Context, *runtime.Delivery, runtime.Event) error { nextCalls++; return nil }
	disp := rec.Wrap(next)
	require.NoError(t, disp(ctx, &runtime.Delivery{}, runtime.Event{Name: "E", Payload: 1}))
	rec.Once(webhooktest.Fail(boom))
	require.ErrorIs(t, disp(ctx, &runtime.Delivery{}, runtime.Event{Name: "E", Payload: 2}), boom)
	assert.Equal(t, 1, nextCalls)
	assert.Equal(t, []any{1, 2}, rec.Payloads("E"))
}

func TestGateAndWait(t *testing.T) {
	rec := webhooktest.NewRecorder()
	g := webhooktest.NewGate()
	rec.Once(webhooktest.Block(g))
	done := make(chan error, 1)
	go func() { done <- rec.Record(context.Background(), &runtime.Delivery{Event: "A"}, nil) }()
	select {
	case <-g.Entered():
	case <-time.After(5 * time.Second):
		t.Fatal("handler never blocked")
	}
	assert.True(t, rec.WaitFor(1, time.Second))
	assert.False(t, rec.WaitFor(2, 20*time.Millisecond))
	select {
	case <-done:
		t.Fatal("returned before release")
	default:
	}
	g.Release()
	g.Release()
	assert.NoError(t, <-done)

	// A blocked handler gives up with its context.
	ctx, cancel := context.WithCancel(context.Background())
	g2 := webhooktest.NewGate()
	rec.Once(webhooktest.Block(g2))
	go func() { <-g2.Entered(); cancel() }()
	assert.ErrorIs(t, rec.Record(ctx, &runtime.Delivery{}, nil), context.Canceled)
}

func TestOutcomeHeaderMatchesReceiver(t *testing.T) {
	assert.Equal(t, receiver.OutcomeHeader, webhooktest.OutcomeHeader)
}
