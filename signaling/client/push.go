package client

import (
	"context"

	"github.com/ringsfu/ringsfu/signaling"
)

// RegisterPush registers a push target of this device (PROTOCOL.md §9.6)
// and returns its registration id. Registering the same token or
// subscription again updates it; registrations outlive the connection.
func (c *Client) RegisterPush(ctx context.Context, req signaling.RegisterPushRequest) (string, error) {
	var res signaling.RegisterPushResult
	err := c.Request(ctx, signaling.TypeRegisterPush, req, &res)
	return res.RegistrationID, err
}

// UnregisterPush removes the user's registration id, or every registration
// of this device when id is "", and returns how many it removed (§9.6).
func (c *Client) UnregisterPush(ctx context.Context, id string) (int, error) {
	var res signaling.UnregisterPushResult
	err := c.Request(ctx, signaling.TypeUnregisterPush, signaling.UnregisterPushRequest{RegistrationID: id}, &res)
	return res.Removed, err
}
