//! keygate-policy's integration tests, through the public API only (one binary, one module per feature).

mod reference;
