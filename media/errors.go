package media

import "errors"

// ErrInvalidRTCIP is returned by New when Config.RTCIP is not an IPv4
// address. ringsfu gathers UDP4 candidates only, so an IPv6 RTCIP could never
// appear in a candidate.
var ErrInvalidRTCIP = errors.New("media: RTCIP must be an IPv4 address")

// ErrInvalidPorts is returned by New when the port settings contradict each
// other: a UDPPort together with a UDPPortMin/UDPPortMax range, a range with
// only one bound, a range whose minimum exceeds its maximum, or a port
// outside 0..65535.
var ErrInvalidPorts = errors.New("media: invalid UDP port configuration")
