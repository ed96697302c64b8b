package handlers

// WithMaxCookieBytes lowers the cookie size limit, so a test can make a
// session save fail.
func WithMaxCookieBytes(n int) func(*Config) {
	return func(cfg *Config) { cfg.maxCookieBytes = n }
}
