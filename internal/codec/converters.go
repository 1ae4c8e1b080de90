package codec

import (
	"errors"

	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// DataConverter is the SDK's default converter with c applied to every
// payload: workflow and activity inputs and results, signals, updates,
// queries, memo and the UI's summaries and details. Inside a workflow a
// payload c cannot decrypt fails the workflow task (workflowAware).
func DataConverter(c *Codec) converter.DataConverter {
	return workflowAware{converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)}
}

// FailureConverter moves failure messages and stack traces into an encoded
// payload (refusal texts name people), and when a message cannot be decrypted
// it says why instead of the SDK's bare "Encoded failure".
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return &failureConverter{
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}),
		dc:               dc,
	}
}

// UnreadableFailurePrefix starts the message of a failure whose encrypted
// message this process could not decrypt, so that a client can report a key
// mismatch as such whatever type the failure has (the SDK's own failures,
// such as an input the worker could not decode, have none).
const UnreadableFailurePrefix = "the message is encrypted and cannot be read here: "

type failureConverter struct {
	converter.FailureConverter
	dc converter.DataConverter
}

// FailureToError explains, in each failure of the chain whose encoded message
// cannot be read, what is missing; the error types stay, so a business
// refusal is still recognised as one.
func (f *failureConverter) FailureToError(failure *failurepb.Failure) error {
	if failure == nil {
		return nil
	}
	failure = proto.Clone(failure).(*failurepb.Failure)
	for fl := failure; fl != nil; fl = fl.GetCause() {
		if fl.GetEncodedAttributes() == nil {
			continue
		}
		var attrs struct{}
		err := f.dc.FromPayload(fl.GetEncodedAttributes(), &attrs)
		var decodeErr *DecodeError
		if errors.As(err, &decodeErr) {
			fl.Message = UnreadableFailurePrefix + decodeErr.Message
		}
	}
	return f.FailureConverter.FailureToError(failure)
}
