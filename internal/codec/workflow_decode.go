package codec

import (
	"context"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// workflowAware is the data converter every program uses. Outside a
// workflow it is the codec data converter as it is: a client, the codec
// server or an activity gets a DecodeError it can report. Inside a workflow
// (the SDK asks for a workflow-context variant for signals, activity
// results, queries and inputs) a payload it cannot decrypt panics instead.
//
// Why: the SDK drops a signal that fails to decode ("Corrupted signal
// received") and hands other decode failures to the workflow as errors, so
// what the workflow does would depend on which keys the worker running the
// task holds. During a key rotation an old worker would then record
// commands that a worker with the new key cannot replay (nondeterminism).
// A panic fails the workflow task instead (the worker's default
// WorkflowPanicPolicy, BlockWorkflow): nothing is recorded, Temporal retries
// the task, and a worker that holds the key runs it as if nothing happened.
type workflowAware struct {
	converter.DataConverter
}

var (
	_ converter.ContextAware                          = workflowAware{}
	_ converter.DataConverterWithSerializationContext = workflowAware{}
	_ converter.DataConverterWithSerializationContext = failTaskOnDecodeError{}
)

// WithWorkflowContext returns the variant that fails the workflow task on a
// payload it cannot decrypt.
func (w workflowAware) WithWorkflowContext(converter.WorkflowContext) converter.DataConverter {
	return failTaskOnDecodeError(w)
}

// WithContext keeps the reporting behaviour: activities and clients handle
// a DecodeError themselves.
func (w workflowAware) WithContext(context.Context) converter.DataConverter { return w }

// WithSerializationContext passes the SDK's serialization context on to the
// codec data converter underneath, keeping the workflow awareness.
func (w workflowAware) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	return workflowAware{converter.WithDataConverterSerializationContext(w.DataConverter, sc)}
}

// failTaskOnDecodeError is workflowAware bound to a workflow: see there.
type failTaskOnDecodeError workflowAware

// FromPayload panics on a payload the codec cannot decrypt.
func (f failTaskOnDecodeError) FromPayload(payload *commonpb.Payload, valuePtr any) error {
	return failTaskOn(f.DataConverter.FromPayload(payload, valuePtr))
}

// FromPayloads panics on payloads the codec cannot decrypt.
func (f failTaskOnDecodeError) FromPayloads(payloads *commonpb.Payloads, valuePtrs ...any) error {
	return failTaskOn(f.DataConverter.FromPayloads(payloads, valuePtrs...))
}

// WithSerializationContext keeps failing the task under the SDK's
// serialization context.
func (f failTaskOnDecodeError) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	return failTaskOnDecodeError{converter.WithDataConverterSerializationContext(f.DataConverter, sc)}
}

// CannotDecryptInWorkflow prefixes the panic that fails a workflow task on
// a payload the worker cannot decrypt; operators find it in the task's
// failure and the worker's log.
const CannotDecryptInWorkflow = "cannot decrypt a payload inside the workflow; the workflow task fails and is retried, with nothing recorded, until a worker that holds the key runs it"

func failTaskOn(err error) error {
	var decodeErr *DecodeError
	if errors.As(err, &decodeErr) {
		panic(fmt.Errorf("%s: %w", CannotDecryptInWorkflow, err))
	}
	return err
}
