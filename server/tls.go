package server

import (
	"crypto/tls"

	"github.com/cockroachdb/errors"
)

// pgwireTLS builds the TLS configuration of the pgwire port from the
// tls.cert_file and tls.key_file keys (PEM). It returns nil when TLS is
// not configured; tls.required without a certificate is a startup error,
// not a silent plaintext server.
func pgwireTLS(o Options) (cfg *tls.Config, required bool, err error) {
	certFile, keyFile := o.Setting("tls.cert_file"), o.Setting("tls.key_file")
	required = o.Setting("tls.required") == "on"
	if certFile == "" && keyFile == "" {
		if required {
			return nil, false, errors.New("tls.required is on but tls.cert_file and tls.key_file are not set")
		}
		return nil, false, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, false, errors.New("tls.cert_file and tls.key_file must be set together")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, false, errors.Wrapf(err, "loading the TLS certificate %s and key %s", certFile, keyFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}, required, nil
}
