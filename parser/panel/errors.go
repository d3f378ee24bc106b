package panel

import "errors"

// ErrOptions is returned (wrapped, naming the site and the value) by
// Options.Validate for invalid options.
var ErrOptions = errors.New("panel: invalid options")
