//! The minutes PDF (being written).
