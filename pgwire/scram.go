package pgwire

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/streamdb/streamdb/sql/types"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding, as Postgres
// implements it (src/backend/libpq/auth-scram.c). Passwords are used as
// given: Postgres applies SASLprep first, which changes only non-ASCII
// passwords.

const (
	scramMechanism = "SCRAM-SHA-256"
	// scramIterations is Postgres's default scram_iterations.
	scramIterations = 4096
	scramSaltLen    = 16
	scramNonceLen   = 18
)

// scramVerifier is what the server stores for a SCRAM user.
type scramVerifier struct {
	iterations int
	salt       []byte
	storedKey  []byte
	serverKey  []byte
}

// MakeSCRAMVerifier returns the SCRAM-SHA-256 verifier of password with a
// fresh random salt, in the format Postgres stores in pg_authid.rolpassword:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (base64).
func MakeSCRAMVerifier(password string) string {
	salt := make([]byte, scramSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+).
	return newSCRAMVerifier(password, salt, scramIterations).String()
}

func newSCRAMVerifier(password string, salt []byte, iterations int) scramVerifier {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		// Only for an impossible key length.
		panic(err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	return scramVerifier{
		iterations: iterations,
		salt:       salt,
		storedKey:  storedKey[:],
		serverKey:  hmacSHA256(salted, "Server Key"),
	}
}

func (v scramVerifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return scramMechanism + "$" + strconv.Itoa(v.iterations) + ":" + b64(v.salt) + "$" + b64(v.storedKey) + ":" + b64(v.serverKey)
}

// parseSCRAMVerifier parses a stored verifier; ok is false when s is not
// one (then it is a plain password).
func parseSCRAMVerifier(s string) (v scramVerifier, ok bool) {
	rest, found := strings.CutPrefix(s, scramMechanism+"$")
	if !found {
		return v, false
	}
	iterSalt, keys, found := strings.Cut(rest, "$")
	if !found {
		return v, false
	}
	iterStr, saltStr, found := strings.Cut(iterSalt, ":")
	if !found {
		return v, false
	}
	storedStr, serverStr, found := strings.Cut(keys, ":")
	if !found {
		return v, false
	}
	var err error
	if v.iterations, err = strconv.Atoi(iterStr); err != nil || v.iterations <= 0 {
		return v, false
	}
	dec := base64.StdEncoding.DecodeString
	if v.salt, err = dec(saltStr); err != nil || len(v.salt) == 0 {
		return v, false
	}
	if v.storedKey, err = dec(storedStr); err != nil || len(v.storedKey) != sha256.Size {
		return v, false
	}
	if v.serverKey, err = dec(serverStr); err != nil || len(v.serverKey) != sha256.Size {
		return v, false
	}
	return v, true
}

// check reports whether password matches the verifier (cleartext
// authentication against a SCRAM verifier).
func (v scramVerifier) check(password string) bool {
	w := newSCRAMVerifier(password, v.salt, v.iterations)
	return subtle.ConstantTimeCompare(w.storedKey, v.storedKey)&subtle.ConstantTimeCompare(w.serverKey, v.serverKey) == 1
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

func errMalformedSCRAM(detail string) error {
	return types.WithCode(errorsWithDetail("malformed SCRAM message", detail), types.CodeProtocolViolation)
}

// scramClientFirst is the parsed client-first-message.
type scramClientFirst struct {
	gs2Header string // "n,," or "y,,"
	bare      string // client-first-message-bare
	nonce     string
}

func parseSCRAMClientFirst(data string) (scramClientFirst, error) {
	var cf scramClientFirst
	if data == "" {
		return cf, errMalformedSCRAM("The message is empty.")
	}
	switch data[0] {
	case 'n', 'y':
	case 'p':
		return cf, types.Errorf(types.CodeProtocolViolation,
			"channel binding is not supported: the server did not offer SCRAM-SHA-256-PLUS")
	default:
		return cf, errMalformedSCRAM("Unexpected channel-binding flag.")
	}
	if len(data) < 2 || data[1] != ',' {
		return cf, errMalformedSCRAM("Comma expected after the channel-binding flag.")
	}
	authzid, rest, found := strings.Cut(data[2:], ",")
	if !found {
		return cf, errMalformedSCRAM("Comma expected after the authorization identity.")
	}
	if authzid != "" {
		return cf, types.Errorf(types.CodeFeatureNotSupported, "client uses authorization identity, but it is not supported")
	}
	cf.gs2Header = data[:3]
	cf.bare = rest
	// n=<user>,r=<nonce>[,extensions]; Postgres ignores the user name here
	// (the startup packet's user counts).
	attrs := strings.Split(rest, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return cf, errMalformedSCRAM("Expected attributes \"n\" and \"r\".")
	}
	if strings.HasPrefix(attrs[0], "m=") {
		return cf, types.Errorf(types.CodeFeatureNotSupported, "client requires an unsupported SCRAM extension")
	}
	cf.nonce = attrs[1][2:]
	if cf.nonce == "" {
		return cf, errMalformedSCRAM("The client nonce is empty.")
	}
	for i := 0; i < len(cf.nonce); i++ {
		if ch := cf.nonce[i]; ch < 0x21 || ch > 0x7e {
			return cf, errMalformedSCRAM("The client nonce contains invalid characters.")
		}
	}
	return cf, nil
}

// mockSCRAMVerifier stands in for an unknown user so the exchange looks the
// same as for a known one; its salt is stable per user name.
func (s *Server) mockSCRAMVerifier(user string) scramVerifier {
	salt := sha256.Sum256(append(append([]byte{}, s.mockAuthNonce[:]...), user...))
	return scramVerifier{
		iterations: scramIterations,
		salt:       salt[:scramSaltLen],
		storedKey:  make([]byte, sha256.Size),
		serverKey:  make([]byte, sha256.Size),
	}
}

func (c *conn) authSCRAM(auth Authenticator) error {
	c.send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
	msg, err := c.receiveAuthResponse(pgproto3.AuthTypeSASL)
	if err != nil {
		return err
	}
	initial, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return types.Errorf(types.CodeProtocolViolation, "expected SASL response, got message type %d", frontendMessageType(msg))
	}
	if initial.AuthMechanism != scramMechanism {
		return types.Errorf(types.CodeProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	clientFirst, err := parseSCRAMClientFirst(string(initial.Data))
	if err != nil {
		return err
	}

	// Unknown users and users without a usable password run the whole
	// exchange against a mock verifier and fail at the end, as Postgres does.
	stored, known := auth.Password(c.user)
	var verifier scramVerifier
	usable := known && stored != ""
	if usable {
		if verifier, ok = parseSCRAMVerifier(stored); !ok {
			salt := make([]byte, scramSaltLen)
			_, _ = rand.Read(salt)
			verifier = newSCRAMVerifier(stored, salt, scramIterations)
		}
	} else {
		verifier = c.srv.mockSCRAMVerifier(c.user)
	}

	nonceBytes := make([]byte, scramNonceLen)
	_, _ = rand.Read(nonceBytes)
	nonce := clientFirst.nonce + base64.StdEncoding.EncodeToString(nonceBytes)
	serverFirst := "r=" + nonce + ",s=" + base64.StdEncoding.EncodeToString(verifier.salt) + ",i=" + strconv.Itoa(verifier.iterations)
	c.send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})

	msg, err = c.receiveAuthResponse(pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return types.Errorf(types.CodeProtocolViolation, "expected SASL response, got message type %d", frontendMessageType(msg))
	}
	clientFinal := string(resp.Data)
	withoutProof, proofStr, found := strings.Cut(clientFinal, ",p=")
	if !found || strings.Contains(proofStr, ",") {
		return errMalformedSCRAM("Proof expected at the end of the final message.")
	}
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return errMalformedSCRAM("Expected attributes \"c\" and \"r\".")
	}
	if attrs[0][2:] != base64.StdEncoding.EncodeToString([]byte(clientFirst.gs2Header)) {
		return types.Errorf(types.CodeProtocolViolation, "SCRAM channel binding check failed")
	}
	if attrs[1][2:] != nonce {
		return errMalformedSCRAM("Nonce does not match.")
	}
	proof, err := base64.StdEncoding.DecodeString(proofStr)
	if err != nil || len(proof) != sha256.Size {
		return errMalformedSCRAM("Malformed proof in client-final-message.")
	}

	authMessage := clientFirst.bare + "," + serverFirst + "," + withoutProof
	clientSignature := hmacSHA256(verifier.storedKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ clientSignature[i]
	}
	computedStoredKey := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(computedStoredKey[:], verifier.storedKey) != 1 || !usable {
		return errPasswordFailed(c.user)
	}
	serverSignature := hmacSHA256(verifier.serverKey, authMessage)
	c.send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSignature))})
	return nil
}
