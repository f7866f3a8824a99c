package node

import (
	"context"
	"time"
)

// maxWait is how long an internal ask may take: the context's deadline, or a minute.
func maxWait(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return time.Until(dl)
	}
	return time.Minute
}
