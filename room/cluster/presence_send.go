package cluster

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// sendToDevicesScript: KEYS presence; ARGV prefix, this node, device ("":
// every device), except device, inbox max length, inbox ttl ms, kind,
// body. It looks up the user's devices as devicesScript does (dropping
// entries of nodes whose heartbeat is gone) and appends the message to the
// inbox of every other node that holds an addressed device, as Send does;
// it returns {node, devices, ...}.
var sendToDevicesScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local counts, order = {}, {}
for i = 1, #all, 2 do
  local dev = all[i]
  local node = string.match(all[i + 1], '^([^/]+)/')
  if node and redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 1 then
    if node ~= ARGV[2] and (ARGV[3] == '' or dev == ARGV[3]) and dev ~= ARGV[4] then
      if not counts[node] then counts[node] = 0; table.insert(order, node) end
      counts[node] = counts[node] + 1
    end
  else
    redis.call('HDEL', KEYS[1], dev)
  end
end
local out = {}
for _, node in ipairs(order) do
  local inbox = ARGV[1] .. 'inbox:' .. node
  redis.call('XADD', inbox, 'MAXLEN', '~', ARGV[5], '*', 'f', ARGV[2], 'k', ARGV[7], 'c', '', 'b', ARGV[8], 'e', '')
  redis.call('PEXPIRE', inbox, ARGV[6])
  table.insert(out, node); table.insert(out, counts[node])
end
return out
`)

// SendToDevices relays a one-way message of kind to the nodes that hold
// user's devices (only device when it is set; never except), other than
// this one, in one round trip: the look-up of DevicesOf and the Send to
// each node's inbox done by one script. It returns node → devices
// reached there.
func (s *Store) SendToDevices(ctx context.Context, user, device, except, kind string, body []byte) (map[string]int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := sendToDevicesScript.Run(ctx, s.rdb, []string{s.presenceKey(user)}, s.cfg.Prefix, s.cfg.NodeID,
		device, except, s.cfg.InboxMax, ms(inboxTTL), kind, body).Slice()
	if err != nil {
		return nil, wrap("send to devices", err)
	}
	out := make(map[string]int, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		node, _ := res[i].(string)
		n, _ := res[i+1].(int64)
		if node == "" {
			return nil, fmt.Errorf("cluster: send to devices: malformed reply %v", res)
		}
		out[node] = int(n)
	}
	return out, nil
}
