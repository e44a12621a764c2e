package types

import (
	"fmt"

	"github.com/cockroachdb/errors"
)

// SQLSTATE codes used across streamdb (Postgres Appendix A).
const (
	CodeSuccessfulCompletion         = "00000"
	CodeWarning                      = "01000"
	CodeConnectionException          = "08000"
	CodeConnectionFailure            = "08006"
	CodeProtocolViolation            = "08P01"
	CodeFeatureNotSupported          = "0A000"
	CodeCardinalityViolation         = "21000"
	CodeDataException                = "22000"
	CodeStringDataRightTruncation    = "22001"
	CodeNumericValueOutOfRange       = "22003"
	CodeNullValueNotAllowed          = "22004"
	CodeInvalidDatetimeFormat        = "22007"
	CodeDatetimeFieldOverflow        = "22008"
	CodeInvalidTimeZoneDisplacement  = "22009"
	CodeArraySubscriptError          = "2202E"
	CodeInvalidParameterValue        = "22023"
	CodeDivisionByZero               = "22012"
	CodeIntervalFieldOverflow        = "22015"
	CodeInvalidTextRepresentation    = "22P02"
	CodeInvalidBinaryRepresentation  = "22P03"
	CodeInvalidEscapeSequence        = "22025"
	CodeInvalidRegularExpression     = "2201B"
	CodeInvalidJSONText              = "22032"
	CodeCharacterNotInRepertoire     = "22021"
	CodeUntranslatableCharacter      = "22P05"
	CodeInvalidRowCountInLimit       = "2201W"
	CodeInvalidRowCountInOffset      = "2201X"
	CodeIntegrityConstraintViolation = "23000"
	CodeNotNullViolation             = "23502"
	CodeForeignKeyViolation          = "23503"
	CodeUniqueViolation              = "23505"
	CodeCheckViolation               = "23514"
	CodeInvalidCursorState           = "24000"
	CodeInvalidTransactionState      = "25000"
	CodeActiveSQLTransaction         = "25001"
	CodeNoActiveSQLTransaction       = "25P01"
	CodeInFailedSQLTransaction       = "25P02"
	CodeReadOnlySQLTransaction       = "25006"
	CodeInvalidSQLStatementName      = "26000"
	CodeInvalidAuthorizationSpec     = "28000"
	CodeInvalidPassword              = "28P01"
	CodeDependentObjectsStillExist   = "2BP01"
	CodeInvalidCursorName            = "34000"
	CodeInvalidCatalogName           = "3D000"
	CodeInvalidSchemaName            = "3F000"
	CodeSerializationFailure         = "40001"
	CodeSyntaxError                  = "42601"
	CodeInsufficientPrivilege        = "42501"
	CodeUndefinedColumn              = "42703"
	CodeUndefinedFunction            = "42883"
	CodeUndefinedTable               = "42P01"
	CodeUndefinedParameter           = "42P02"
	CodeUndefinedObject              = "42704"
	CodeUndefinedSchema              = "3F000"
	CodeDuplicateColumn              = "42701"
	CodeDuplicateObject              = "42710"
	CodeDuplicateTable               = "42P07"
	CodeDuplicateSchema              = "42P06"
	CodeDuplicateFunction            = "42723"
	CodeDuplicatePreparedStatement   = "42P05"
	CodeDuplicateCursor              = "42P03"
	CodeDuplicateAlias               = "42712"
	CodeAmbiguousColumn              = "42702"
	CodeAmbiguousFunction            = "42725"
	CodeAmbiguousParameter           = "42P08"
	CodeDatatypeMismatch             = "42804"
	CodeCannotCoerce                 = "42846"
	CodeGroupingError                = "42803"
	CodeWindowingError               = "42P20"
	CodeInvalidRecursion             = "42P19"
	CodeInvalidColumnReference       = "42P10"
	CodeInvalidTableDefinition       = "42P16"
	CodeInvalidObjectDefinition      = "42P17"
	CodeWrongObjectType              = "42809"
	CodeInvalidFunctionDefinition    = "42P13"
	CodeUndefinedPreparedStatement   = "26000"
	CodeProgramLimitExceeded         = "54000"
	CodeStatementTooComplex          = "54001"
	CodeTooManyColumns               = "54011"
	CodeInsufficientResources        = "53000"
	CodeOutOfMemory                  = "53200"
	CodeTooManyConnections           = "53300"
	CodeObjectNotInPrerequisiteState = "55000"
	CodeLockNotAvailable             = "55P03"
	CodeQueryCanceled                = "57014"
	CodeAdminShutdown                = "57P01"
	CodeCannotConnectNow             = "57P03"
	CodeIOError                      = "58030"
	CodeInternalError                = "XX000"
	CodeDataCorrupted                = "XX001"
	CodeConfigFileError              = "F0000"
)

// codeError attaches a SQLSTATE to its cause.
type codeError struct {
	cause error
	code  string
}

func (e *codeError) Error() string                 { return e.cause.Error() }
func (e *codeError) Cause() error                  { return e.cause }
func (e *codeError) Unwrap() error                 { return e.cause }
func (e *codeError) Format(s fmt.State, verb rune) { errors.FormatError(e, s, verb) }
func (e *codeError) FormatError(p errors.Printer) error {
	if p.Detail() {
		p.Printf("sqlstate %s", e.code)
	}
	return e.cause
}

// positionError attaches a 1-based character position in the statement text.
type positionError struct {
	cause error
	pos   int
}

func (e *positionError) Error() string                 { return e.cause.Error() }
func (e *positionError) Cause() error                  { return e.cause }
func (e *positionError) Unwrap() error                 { return e.cause }
func (e *positionError) Format(s fmt.State, verb rune) { errors.FormatError(e, s, verb) }
func (e *positionError) FormatError(p errors.Printer) error {
	if p.Detail() {
		p.Printf("position %d", e.pos)
	}
	return e.cause
}

// Errorf returns a new error with the given SQLSTATE.
func Errorf(code, format string, args ...any) error {
	return &codeError{cause: errors.NewWithDepthf(1, format, args...), code: code}
}

// WithCode attaches a SQLSTATE to err (the outermost code wins). A nil err
// stays nil.
func WithCode(err error, code string) error {
	if err == nil {
		return nil
	}
	return &codeError{cause: err, code: code}
}

// WithPosition attaches a 1-based statement position to err, unless it
// already carries one. A pos <= 0 leaves err as it is.
func WithPosition(err error, pos int) error {
	if err == nil || pos <= 0 || Position(err) > 0 {
		return err
	}
	return &positionError{cause: err, pos: pos}
}

// Code returns the SQLSTATE of err: the outermost attached code, or XX000
// (internal error) when none is attached.
func Code(err error) string {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return CodeInternalError
}

// Position returns the statement position attached to err, or 0.
func Position(err error) int {
	var pe *positionError
	if errors.As(err, &pe) {
		return pe.pos
	}
	return 0
}

// Unsupported returns a 0A000 error naming the feature.
func Unsupported(feature string) error {
	return &codeError{cause: errors.NewWithDepthf(1, "%s is not supported", feature), code: CodeFeatureNotSupported}
}
