// The process and port helpers every test target that starts real servers shares.
@_exported import TestSupport
