package sys

import (
	"io"

	"github.com/go-wrench/wrench/internal/trust"
)

// readRules reads a category file through r, reading one byte past
// trust.MaxFileSize so that a file that grew over the limit since it was
// looked at is caught: tooBig is then true and data nil. Both platforms'
// ReadRules use it, so the limit is enforced in one place.
func readRules(r io.Reader) (data []byte, tooBig bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, trust.MaxFileSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > trust.MaxFileSize {
		return nil, true, nil
	}
	return data, false, nil
}
