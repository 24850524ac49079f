#!/bin/sh
# Regenerates the media fixtures of the whole-server media tests
# (signaling/media_test.go). Needs ffmpeg with libvpx and libopus
# (Debian: apt-get install ffmpeg). The outputs are committed, so tests do
# not need ffmpeg.
#
# Video: VP8 in IVF, 15 fps, 2 s, one keyframe (the first frame) per file,
# so a keyframe seen mid-stream proves the sender restarted on a PLI. Three
# sizes serve as the q/h/f simulcast layers; the 160x120 one is the camera.
# Audio: Opus in Ogg, 48 kHz mono, 20 ms frames, one packet per page.
set -eu
cd "$(dirname "$0")"
vp8() { # size bitrate out
	ffmpeg -nostdin -hide_banner -loglevel error -y \
		-f lavfi -i "testsrc=size=$1:rate=15" -t 2 -pix_fmt yuv420p \
		-c:v libvpx -b:v "$2" -g 1000 -keyint_min 1000 -auto-alt-ref 0 \
		-lag-in-frames 0 -deadline realtime -cpu-used 8 -error-resilient 1 \
		"$3"
}
vp8 80x60 30k vp8-80x60.ivf
vp8 160x120 60k vp8-160x120.ivf
vp8 320x240 120k vp8-320x240.ivf
ffmpeg -nostdin -hide_banner -loglevel error -y \
	-f lavfi -i "sine=frequency=440:sample_rate=48000" -t 2 -ac 1 \
	-c:a libopus -b:a 24k -frame_duration 20 -page_duration 20000 \
	opus-440hz.ogg
