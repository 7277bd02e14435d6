package clcbackup_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// keyPair is an RSA key pair for the optional Tier3-RsaSha1 signature.
type keyPair struct{ priv, pub string }

// keys generates the suite's two key pairs once (1024 bits keeps -race
// runs fast; the scheme accepts them).
var keys = sync.OnceValues(func() ([2]keyPair, error) {
	var out [2]keyPair
	for i := range out {
		priv, pub, err := auth.GenerateRSAKeyPair(1024)
		if err != nil {
			return out, err
		}
		out[i] = keyPair{string(priv), string(pub)}
	}
	return out, nil
})

func key(t *testing.T, i int) keyPair {
	t.Helper()
	ks, err := keys()
	require.NoError(t, err)
	return ks[i]
}

// The e2e suite runs with the signature enforced: the receiver holds the
// first public key, the sender signs with its private key.
func receiverSecrets(t *testing.T) []receiver.Option {
	return []receiver.Option{receiver.WithSecrets(auth.Secrets{"Tier3RsaSha1": {key(t, 0).pub}})}
}

func senderSecrets(t *testing.T) []sender.Option {
	return []sender.Option{sender.WithSecret("Tier3RsaSha1", key(t, 0).priv)}
}

func scenarioSecrets(t *testing.T) []webhooktest.ReqOption {
	return []webhooktest.ReqOption{webhooktest.WithSecret("Tier3RsaSha1", key(t, 0).priv)}
}

func TestE2ERSASHA1Signature(t *testing.T) {
	v := e2etest.Vector(t, family, "docs-backup-success")

	t.Run("signed accepted, wrong key and unsigned refused", func(t *testing.T) {
		e := e2etest.Start(t, family)
		sc := e.Scenario(scenarioSecrets(t)...)
		res, err := sc.WrongToken(v.Webhook, v.Method, v.Body)
		require.NoError(t, err)
		assert.Equal(t, []int{401, 401}, res.Statuses(), "another key's signature, then none")
		for _, r := range res.Responses {
			assert.Empty(t, r.Outcome)
			require.NotNil(t, r.Problem)
			assert.Empty(t, r.Problem.Detail)
		}
		res, err = sc.DuplicateDelivery(v.Webhook, v.Method, v.Body)
		require.NoError(t, err)
		assert.Equal(t, []int{200, 200}, res.Statuses())
		assert.Equal(t, 1, res.Calls)
	})
	t.Run("tampered body refused", func(t *testing.T) {
		e := e2etest.Start(t, family)
		req, err := e.Kit.Request(v.Webhook, v.Method, v.Body, webhooktest.WithSecret("Tier3RsaSha1", key(t, 0).priv), webhooktest.WithBaseURL(e.Server.URL))
		require.NoError(t, err)
		sig := req.Header.Get("Tier3-RsaSha1")
		require.NotEmpty(t, sig)
		tampered, err := e.Kit.Request(v.Webhook, v.Method, append([]byte(" "), v.Body...), webhooktest.WithBaseURL(e.Server.URL))
		require.NoError(t, err)
		tampered.Header.Set("Tier3-RsaSha1", sig)
		r := e.Do(t, tampered)
		assert.Equal(t, 401, r.Status)
		assert.Zero(t, e.Recorder.Count(""))
	})
	t.Run("key rotation", func(t *testing.T) {
		e := e2etest.Start(t, family, receiver.WithSecrets(auth.Secrets{"Tier3RsaSha1": {key(t, 0).pub + key(t, 1).pub}}))
		sc := e.Scenario()
		priv, _, err := auth.GenerateRSAKeyPair(1024)
		require.NoError(t, err)
		res, err := sc.SecretRotation(v.Webhook, v.Method, "Tier3RsaSha1", []string{key(t, 0).priv, key(t, 1).priv}, []string{string(priv)}, v.Body)
		require.NoError(t, err)
		assert.Equal(t, []int{200, 200, 401}, res.Statuses())
		assert.Equal(t, []string{"processed", "duplicate", ""}, res.Outcomes())
	})
	t.Run("optional: without a key unsigned deliveries are accepted", func(t *testing.T) {
		e := e2etest.Start(t, family, receiver.WithSecrets(nil))
		req, err := e.Kit.Request(v.Webhook, v.Method, v.Body, webhooktest.WithBaseURL(e.Server.URL))
		require.NoError(t, err)
		r := e.Do(t, req)
		assert.Equal(t, 200, r.Status, "%s", r.Body)
		assert.Equal(t, "processed", r.Outcome)
	})
}
