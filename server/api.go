package server

// The server's entry points (server.go):
//
//	Start(ctx context.Context, opts Options) (*Server, error) // listening when it returns
//	(*Server).PGAddr() string                               // host:port actually bound (Listen may use port 0)
//	(*Server).HTTPAddr() string                             // "" when disabled
//	(*Server).Close() error                                 // clean shutdown: stop accepting, end sessions, close stores
//	Run(ctx context.Context, opts Options) error             // Start, wait for ctx, Close
