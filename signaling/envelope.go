package signaling

import (
	"encoding/json"
	"fmt"
)

// appendEnvelope builds {"id":…,"type":…,"data":…} around already encoded
// data without re-parsing it (json.Marshal would validate and compact the
// RawMessage again). id nil leaves out the id key; data nil leaves out data.
// typ is one of the package's constants, which need no escaping.
func appendEnvelope(id *string, typ string, data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data)+len(typ)+48)
	out = append(out, '{')
	if id != nil {
		idJSON, err := json.Marshal(*id)
		if err != nil {
			return nil, fmt.Errorf("encode id: %w", err)
		}
		out = append(out, `"id":`...)
		out = append(out, idJSON...)
		out = append(out, ',')
	}
	out = append(out, `"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if data != nil {
		out = append(out, `,"data":`...)
		out = append(out, data...)
	}
	return append(out, '}'), nil
}
