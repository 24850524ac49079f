package client

import (
	"context"

	"github.com/ringsfu/ringsfu/signaling"
)

// CallHistory returns a page of the signed-in user's call history, newest
// first (PROTOCOL.md §9.3). limit 0 takes the server's default; before ""
// starts at the newest call, else pass the previous page's NextBefore.
func (c *Client) CallHistory(ctx context.Context, limit int, before string) (signaling.CallHistoryResult, error) {
	req := signaling.CallHistoryRequest{Before: before}
	if limit > 0 {
		req.Limit = &limit
	}
	var res signaling.CallHistoryResult
	err := c.Request(ctx, signaling.TypeCallHistory, req, &res)
	return res, err
}

// MarkMissedSeen marks the user's missed calls seen and returns how many
// unseen ones remain (PROTOCOL.md §9.3).
func (c *Client) MarkMissedSeen(ctx context.Context) (int, error) {
	var res signaling.MarkMissedSeenResult
	err := c.Request(ctx, signaling.TypeMarkMissedSeen, signaling.MarkMissedSeenRequest{}, &res)
	return res.MissedCalls, err
}
