//! The vote's timeline (being written).
