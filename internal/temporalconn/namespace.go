package temporalconn

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// SettingError is a connection setting that no retry can fix: a namespace
// the server does not have, an address that is not host:port. Callers that
// retry while Temporal is unreachable stop at once on it, with its message.
type SettingError struct {
	// Kind names the problem for programs: "NamespaceNotFound" or
	// "BadAddress".
	Kind    string
	Message string
}

func (e *SettingError) Error() string { return e.Message }

// checkNamespace asks the server for the client's namespace. The SDK's dial
// only asks for the server's capabilities, so without this a namespace that
// does not exist shows up on the first call, where it looks like a server
// still starting and is retried. Servers or credentials that do not allow
// the question pass: the first real call will say what is wrong.
func checkNamespace(ctx context.Context, c client.Client, address, namespace string) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var (
		notFound      *serviceerror.NamespaceNotFound
		denied        *serviceerror.PermissionDenied
		unimplemented *serviceerror.Unimplemented
	)
	switch {
	case err == nil, errors.As(err, &denied), errors.As(err, &unimplemented):
		return nil
	case errors.As(err, &notFound):
		return &SettingError{Kind: "NamespaceNotFound", Message: fmt.Sprintf(
			"namespace %q does not exist on %s: create it (temporal operator namespace create %s) or set TEMPORAL_NAMESPACE (--temporal-namespace) to one that does",
			namespace, address, namespace)}
	}
	return fmt.Errorf("cannot reach Temporal at %s (namespace %s): %w (check TEMPORAL_ADDRESS and that the server is running)", address, namespace, err)
}
