package netpulse_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// NetPulse authenticates as the user configured it: Basic or a bearer
// token (the manifest's credentials).
const (
	basic  = "netpulse:hookgen"
	bearer = "hookgen-test-token"
)

func receiverSecrets(*testing.T) []receiver.Option {
	return []receiver.Option{receiver.WithSecrets(auth.Secrets{"Basic": {basic}, "Bearer": {bearer}})}
}

func senderSecrets(*testing.T) []sender.Option {
	return []sender.Option{sender.WithSecret("Basic", basic)}
}

func scenarioSecrets(*testing.T) []webhooktest.ReqOption {
	return []webhooktest.ReqOption{webhooktest.WithSecret("Basic", basic)}
}

func TestE2EAuth(t *testing.T) {
	e := e2etest.Start(t, family)
	v := e2etest.Vector(t, family, "docs-v042-job-completed")
	sc := e.Scenario()

	t.Run("wrong token", func(t *testing.T) {
		res, err := sc.WrongToken(v.Webhook, v.Method, v.Body)
		require.NoError(t, err)
		assert.Equal(t, []int{401, 401}, res.Statuses())
		for _, r := range res.Responses {
			assert.Empty(t, r.Outcome)
			require.NotNil(t, r.Problem)
			assert.Empty(t, r.Problem.Detail, "no detail leaked")
			for _, s := range append(res.Sent, basic, bearer) {
				assert.NotContains(t, string(r.Body), s)
			}
		}
		assert.Zero(t, res.Calls)
	})
	t.Run("bearer and basic both accepted", func(t *testing.T) {
		for i, opt := range []webhooktest.ReqOption{webhooktest.WithSecret("Bearer", bearer), webhooktest.WithSecret("Basic", basic)} {
			var doc map[string]any
			require.NoError(t, json.Unmarshal(v.Body, &doc))
			doc["id"] = fmt.Sprintf("job-%d", i)
			body, err := json.Marshal(doc)
			require.NoError(t, err)
			rep := e.Kit.RequireValid(t, "result", body, webhooktest.Strict())
			req, err := e.Kit.Request(v.Webhook, "GET", body, opt, webhooktest.WithBaseURL(e.Server.URL))
			require.NoError(t, err)
			r := e.Do(t, req)
			assert.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Equal(t, "processed", r.Outcome)
			call, _ := e.Recorder.Last()
			assert.Equal(t, rep.Event, call.Event, "JSON body on GET decoded")
		}
	})
}
