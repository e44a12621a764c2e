package kafkaconn

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"time"

	"github.com/cockroachdb/errors"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Option keys (RisingWave's names, which follow librdkafka's).
const (
	KeyBootstrap        = "properties.bootstrap.server"
	KeyBootstrapPlural  = "properties.bootstrap.servers"
	KeySecurityProtocol = "properties.security.protocol"
	KeySASLMechanism    = "properties.sasl.mechanism"
	KeySASLUsername     = "properties.sasl.username"
	KeySASLPassword     = "properties.sasl.password"
	KeySSLCALocation    = "properties.ssl.ca.location"
	KeySSLCertLocation  = "properties.ssl.certificate.location"
	KeySSLKeyLocation   = "properties.ssl.key.location"
)

// Conn is a broker connection configuration.
type Conn struct {
	Brokers       []string
	TLS           bool
	CAFile        string
	CertFile      string
	KeyFile       string
	SASLMechanism string // "", PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	Username      string
	Password      string
}

// Parse reads the connection options; errors name the offending option.
func Parse(opts map[string]string) (Conn, error) {
	var c Conn
	servers := opts[KeyBootstrap]
	if servers == "" {
		servers = opts[KeyBootstrapPlural]
	}
	for _, s := range strings.Split(servers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Brokers = append(c.Brokers, s)
		}
	}
	if len(c.Brokers) == 0 {
		return c, errors.Newf("option %q is required", KeyBootstrap)
	}
	proto := strings.ToUpper(opts[KeySecurityProtocol])
	switch proto {
	case "", "PLAINTEXT":
	case "SSL":
		c.TLS = true
	case "SASL_PLAINTEXT":
	case "SASL_SSL":
		c.TLS = true
	default:
		return c, errors.Newf("option %q: unknown security protocol %q (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)", KeySecurityProtocol, opts[KeySecurityProtocol])
	}
	c.CAFile, c.CertFile, c.KeyFile = opts[KeySSLCALocation], opts[KeySSLCertLocation], opts[KeySSLKeyLocation]
	c.SASLMechanism = strings.ToUpper(opts[KeySASLMechanism])
	c.Username, c.Password = opts[KeySASLUsername], opts[KeySASLPassword]
	switch c.SASLMechanism {
	case "":
		if strings.HasPrefix(proto, "SASL_") {
			return c, errors.Newf("option %q is required with security protocol %s", KeySASLMechanism, proto)
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.Username == "" {
			return c, errors.Newf("option %q is required with SASL", KeySASLUsername)
		}
	default:
		return c, errors.Newf("option %q: unsupported SASL mechanism %q (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)", KeySASLMechanism, opts[KeySASLMechanism])
	}
	return c, nil
}

// Options returns the franz-go client options for c.
func (c Conn) Options() ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DialTimeout(10 * time.Second),
	}
	if c.TLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, errors.Wrapf(err, "reading %s", KeySSLCALocation)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.Newf("%s: no certificate in %s", KeySSLCALocation, c.CAFile)
			}
			cfg.RootCAs = pool
		}
		if c.CertFile != "" || c.KeyFile != "" {
			cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
			if err != nil {
				return nil, errors.Wrap(err, "loading the client certificate")
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	switch c.SASLMechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: c.Username, Pass: c.Password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.Username, Pass: c.Password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: c.Username, Pass: c.Password}.AsSha512Mechanism()))
	}
	return opts, nil
}
