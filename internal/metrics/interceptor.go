package metrics

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/outage"
)

// Interceptor times every activity attempt, local or regular, so latency and
// failures are measured the same way for all of them; a failure that is not
// a business refusal is counted as a retry by cause, since the workflow
// retries every such error.
func (m *Metrics) Interceptor() interceptor.WorkerInterceptor {
	return &workerInterceptor{m: m}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	m *Metrics
}

func (w *workerInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityInterceptor{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, m: w.m}
}

type activityInterceptor struct {
	interceptor.ActivityInboundInterceptorBase
	m *Metrics
}

func (a *activityInterceptor) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	result, err := a.Next.ExecuteActivity(ctx, in)
	errType := ""
	name := activity.GetInfo(ctx).ActivityType.Name
	if err != nil && !temporal.IsCanceledError(err) {
		if cause := outage.Classify(err); cause != outage.Refusal {
			a.m.ActivityRetried(name, cause)
		}
		if a.m.observeFailure != nil {
			a.m.observeFailure(err)
		}
	}
	if err != nil {
		errType = "error"
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() != "" {
			errType = appErr.Type()
		}
	}
	a.m.ActivityDone(name, time.Since(start), errType)
	return result, err
}
