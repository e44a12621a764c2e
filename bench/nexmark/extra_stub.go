package nexmark

import "strings"

// RecoveryResult is one kill -9 and restart.
type RecoveryResult struct{}

// FreshnessResult is the freshness benchmark's outcome.
type FreshnessResult struct{}

// ServingResult is the serving benchmark's outcome.
type ServingResult struct{}

func writeRecoveryMarkdown(b *strings.Builder, r *Report) {}
