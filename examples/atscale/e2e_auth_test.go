package atscale_test

import (
	"testing"

	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// AtScale documents no authentication: no secrets on either side.
func receiverSecrets(*testing.T) []receiver.Option       { return nil }
func senderSecrets(*testing.T) []sender.Option           { return nil }
func scenarioSecrets(*testing.T) []webhooktest.ReqOption { return nil }
