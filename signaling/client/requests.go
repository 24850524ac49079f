package client

import (
	"context"

	"github.com/ringsfu/ringsfu/signaling"
)

// Invite sends an invitation (PROTOCOL.md §4).
func (c *Client) Invite(ctx context.Context, req signaling.InviteRequest) (signaling.InviteResult, error) {
	var res signaling.InviteResult
	err := c.Request(ctx, signaling.TypeInvite, req, &res)
	return res, err
}

// Accept accepts an invitation and returns the call state.
func (c *Client) Accept(ctx context.Context, callID, customData string) (signaling.CallState, error) {
	var st signaling.CallState
	err := c.Request(ctx, signaling.TypeAccept, signaling.AcceptRequest{CallID: callID, CustomData: customData}, &st)
	return st, err
}

// Reject declines an invitation; reason is "declined" or "busy".
func (c *Client) Reject(ctx context.Context, callID, reason, customData string) error {
	return c.Request(ctx, signaling.TypeReject, signaling.RejectRequest{CallID: callID, Reason: reason, CustomData: customData}, nil)
}

// Cancel withdraws invitations; nil userIDs cancels all the caller rang.
func (c *Client) Cancel(ctx context.Context, callID string, userIDs []string, customData string) error {
	req := signaling.CancelRequest{CallID: callID, CustomData: customData}
	if userIDs != nil {
		req.UserIDs = &userIDs
	}
	return c.Request(ctx, signaling.TypeCancel, req, nil)
}

// Join joins or creates a call by id.
func (c *Client) Join(ctx context.Context, req signaling.JoinRequest) (signaling.CallState, error) {
	var st signaling.CallState
	err := c.Request(ctx, signaling.TypeJoin, req, &st)
	return st, err
}

// Leave hangs up.
func (c *Client) Leave(ctx context.Context, callID string) error {
	return c.Request(ctx, signaling.TypeLeave, signaling.LeaveRequest{CallID: callID}, nil)
}

// Remove kicks members out (initiator only).
func (c *Client) Remove(ctx context.Context, callID string, userIDs ...string) error {
	return c.Request(ctx, signaling.TypeRemove, signaling.RemoveRequest{CallID: callID, UserIDs: userIDs}, nil)
}

// SetDevice changes the caller's device state.
func (c *Client) SetDevice(ctx context.Context, req signaling.SetDeviceRequest) error {
	return c.Request(ctx, signaling.TypeSetDevice, req, nil)
}

// SetRemoteDevice controls another member's devices (initiator only).
func (c *Client) SetRemoteDevice(ctx context.Context, req signaling.SetRemoteDeviceRequest) error {
	return c.Request(ctx, signaling.TypeSetRemoteDevice, req, nil)
}

// Ping sends a ping and waits for the pong.
func (c *Client) Ping(ctx context.Context) error {
	return c.Request(ctx, signaling.TypePing, nil, nil)
}

// Bool returns a pointer to b, for optional request fields.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to n, for optional request fields.
func Int(n int) *int { return &n }

// String returns a pointer to s, for optional request fields.
func String(s string) *string { return &s }
