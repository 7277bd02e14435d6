package receiver

import "log/slog"

// Outcome names what the pipeline did with a delivery. It is the value of
// the Hookgen-Outcome response header, the outcome label of the metrics and
// the outcome attribute of the log line.
type Outcome string

// OutcomeHeader is the response header that carries the Outcome.
const OutcomeHeader = "Hookgen-Outcome"

// Outcomes of a delivery.
const (
	// OutcomeProcessed: the handler succeeded; answered with the success status.
	OutcomeProcessed Outcome = "processed"
	// OutcomeAccepted: durable mode persisted the delivery to the inbox and
	// acknowledged it with the success status; a worker runs the handler.
	OutcomeAccepted Outcome = "accepted"
	// OutcomeDuplicate: a repeat of a completed delivery; acknowledged, handler not called.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeInFlight: a repeat of a delivery still being processed; the
	// sender is asked to come back (retry status + Retry-After).
	OutcomeInFlight Outcome = "in-flight"
	// OutcomeRetry: the handler failed transiently; retry status + Retry-After.
	OutcomeRetry Outcome = "retry"
	// OutcomeQuarantined: a poison delivery (rejected, panicking or invalid)
	// was quarantined and acknowledged so that a retrying sender stops.
	OutcomeQuarantined Outcome = "quarantined"
	// OutcomeRejected: the handler rejected the delivery; quarantined and
	// answered 422 (senders that do not retry until success).
	OutcomeRejected Outcome = "rejected"
	// OutcomePanic: the handler panicked; quarantined and answered 500
	// (senders that do not retry until success).
	OutcomePanic Outcome = "panic"
	// OutcomeDroppedStale: an older version than the entity's newest; acknowledged and dropped.
	OutcomeDroppedStale Outcome = "dropped-stale"
	// OutcomeDroppedAfterTerminal: a message after its entity's terminal
	// message; acknowledged and dropped.
	OutcomeDroppedAfterTerminal Outcome = "dropped-after-terminal"
	// OutcomeUnhandled: lenient mode acknowledged an event it does not know.
	OutcomeUnhandled Outcome = "unhandled"
	// OutcomeUnknownEvent: strict mode refused an event it does not know (400).
	OutcomeUnknownEvent Outcome = "unknown-event"
	// OutcomeInvalid: the payload failed validation (400).
	OutcomeInvalid Outcome = "invalid"
	// OutcomeUnauthorized: authentication failed (not sent as a header).
	OutcomeUnauthorized Outcome = "unauthorized"
	// OutcomeTooLarge: the body exceeded the size limit (413).
	OutcomeTooLarge Outcome = "too-large"
	// OutcomeUnsupportedMediaType: the Content-Type is not accepted (415).
	OutcomeUnsupportedMediaType Outcome = "unsupported-media-type"
	// OutcomeMethodNotAllowed: the method is not accepted (405).
	OutcomeMethodNotAllowed Outcome = "method-not-allowed"
	// OutcomeStoreError: a store or dead letter failed; 503 + Retry-After.
	OutcomeStoreError Outcome = "store-error"
	// OutcomeShuttingDown: the receiver is shutting down; 503 + Retry-After.
	OutcomeShuttingDown Outcome = "shutting-down"
)

// level is the log level of a delivery with this outcome.
func (o Outcome) level() slog.Level {
	switch o {
	case OutcomeProcessed, OutcomeAccepted, OutcomeDuplicate, OutcomeDroppedStale, OutcomeDroppedAfterTerminal:
		return slog.LevelInfo
	case OutcomePanic, OutcomeStoreError:
		return slog.LevelError
	default:
		return slog.LevelWarn
	}
}
