//! Tests: nn.
