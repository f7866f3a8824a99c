//go:build !linux

package metrics

import "time"

// cpuTime is not measured off Linux: samples carry cpu_percent 0.
func cpuTime() time.Duration { return 0 }

// rssBytes is not measured off Linux: samples carry rss_bytes 0.
func rssBytes() uint64 { return 0 }
